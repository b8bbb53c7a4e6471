-- list_release_rules: the products of a brand that have a release rule.
create function api.list_release_rules(_brand_id uuid, _product_id uuid default null)
returns setof api.release_rule
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'quality:read');
  return query
    select o.* from data.release_rules r cross join lateral app.release_rule_out(r) o
     where r.brand_id = _brand_id and (_product_id is null or r.product_id = _product_id)
     order by r.product_id;
end
$$;
comment on function api.list_release_rules(uuid, uuid) is
  $$The release rules of a brand's products (those ever set; requires_lab_result false when lifted), optionally of one _product_id. Viewer role, scope quality:read. Errors: 401, 403.$$;
grant execute on function api.list_release_rules(uuid, uuid) to authenticated;
