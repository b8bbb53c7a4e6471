-- set_release_rule: whether a product's batches need a passing lab result before they may be sold.
create function api.set_release_rule(_brand_id uuid, _product_id uuid, _requires_lab_result boolean)
returns api.release_rule
language plpgsql volatile security invoker set search_path = ''
as $$
declare v data.release_rules;
begin
  perform app.require_role(_brand_id, 'admin', 'quality:write');
  if _product_id is null then
    perform app.invalid('_product_id', 'required', '_product_id is required');
  end if;
  if _requires_lab_result is null then
    perform app.invalid('_requires_lab_result', 'required', '_requires_lab_result is required (true or false)');
  end if;
  if not exists (select from data.products p where p.brand_id = _brand_id and p.id = _product_id) then
    perform app.raise('PT404', format('Product %s not found', _product_id), jsonb_build_object('field', '_product_id', 'rule', 'exists'));
  end if;
  insert into data.release_rules as r (brand_id, product_id, requires_lab_result, updated_by)
  values (_brand_id, _product_id, _requires_lab_result, app.current_user_id())
  on conflict (brand_id, product_id) do update
    set requires_lab_result = excluded.requires_lab_result, updated_by = excluded.updated_by
  returning * into v;
  return app.release_rule_out(v);
end
$$;
comment on function api.set_release_rule(uuid, uuid, boolean) is
  $$Set whether a product's batches need a passing lab result before sale (Metrc-style release gate). With it, a new batch of the product starts in_testing with an automatic lab pending hold, and ready_for_sale is reachable only while the batch's latest lab result passes — for every write, direct UPDATEs included. Existing batches keep their status and holds. Admin role, scope quality:write. Errors: 400, 401, 403, 404.$$;
grant execute on function api.set_release_rule(uuid, uuid, boolean) to authenticated;
