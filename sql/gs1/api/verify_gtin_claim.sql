create function api.verify_gtin_claim(_brand_id uuid, _claim_id uuid, _note text default null)
returns api.gtin_claim
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_platform_admin();
  return app.gtin_claim_out(app.gtin_claim_decide(_brand_id, _claim_id, 'verified', _note));
end
$$;
comment on function api.verify_gtin_claim(uuid, uuid, text) is
  $$Platform administrators (scope platform:admin): verify a pending claim after checking its evidence against the GS1 licensee record (Verified by GS1). From then on the resolver answers for the claimed GTINs with this brand's data and the claim's display name. Refused (409, rule overlap) when the value overlaps another brand's verified claim. Errors: 400, 401, 403, 404 (claim), 409 (not pending, overlap). docs/gtin-ownership.md.$$;
grant execute on function api.verify_gtin_claim(uuid, uuid, text) to authenticated;
