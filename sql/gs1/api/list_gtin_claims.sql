create function api.list_gtin_claims(_brand_id uuid default null, _status text default null)
returns setof api.gtin_claim
language plpgsql stable security invoker set search_path = ''
as $$
begin
  if _brand_id is null then
    perform app.require_platform_admin();   -- every brand's claims: the review queue
  else
    perform app.require_role(_brand_id, 'viewer', 'brands:read');
  end if;
  if _status is not null and _status not in ('pending', 'verified', 'rejected') then
    perform app.invalid('_status', 'enum', '_status must be pending, verified or rejected');
  end if;
  return query
    select o.* from data.gtin_claims c cross join lateral app.gtin_claim_out(c) o
     where (_brand_id is null or c.brand_id = _brand_id) and (_status is null or c.status = _status)
     order by c.created_at, c.id
     limit 1000;
end
$$;
comment on function api.list_gtin_claims(uuid, text) is
  $$The brand's GTIN ownership claims (viewer role, scope brands:read), oldest first, optionally by _status (pending | verified | rejected). Without _brand_id: every brand's claims, for platform administrators (scope platform:admin) reviewing them. At most 1000 rows. Errors: 400, 401, 403. docs/gtin-ownership.md.$$;
grant execute on function api.list_gtin_claims(uuid, text) to authenticated;
