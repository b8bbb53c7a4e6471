-- One product of a brand by id (the product catalogue's single read).
create function api.get_product(_brand_id uuid, _product_id uuid)
returns api.product
language plpgsql stable security invoker set search_path = ''
as $$
declare v_row data.products;
begin
  perform app.require_role(_brand_id, 'viewer', 'products:read');
  select * into v_row from data.products p where p.brand_id = _brand_id and p.id = _product_id;
  if not found then
    perform app.raise('PT404', format('Product %s not found', _product_id), jsonb_build_object('field', '_product_id', 'rule', 'exists'));
  end if;
  return app.product_out(v_row);
end
$$;
comment on function api.get_product(uuid, uuid) is
  $$One product of a brand by id (archived ones too: archived_at is set). Viewer role, scope products:read. Errors: 401, 403, 404.$$;
grant execute on function api.get_product(uuid, uuid) to authenticated;
