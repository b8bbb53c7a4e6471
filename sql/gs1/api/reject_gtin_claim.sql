create function api.reject_gtin_claim(_brand_id uuid, _claim_id uuid, _note text)
returns api.gtin_claim
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_platform_admin();
  perform app.check_text(_note, '_note', 2000);
  return app.gtin_claim_out(app.gtin_claim_decide(_brand_id, _claim_id, 'rejected', _note));
end
$$;
comment on function api.reject_gtin_claim(uuid, uuid, text) is
  $$Platform administrators (scope platform:admin): reject a pending claim, or revoke a verified one (the resolver stops answering for its GTINs at once), with a reason (_note, 1-2000 characters, shown to the brand). Errors: 400, 401, 403, 404 (claim), 409 (already rejected). docs/gtin-ownership.md.$$;
grant execute on function api.reject_gtin_claim(uuid, uuid, text) to authenticated;
