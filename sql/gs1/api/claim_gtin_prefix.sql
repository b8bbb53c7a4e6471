create function api.claim_gtin_prefix(_brand_id uuid, _prefix text, _display_name text, _evidence text default null,
                                      _kind text default 'company_prefix')
returns api.gtin_claim
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_kind  text := coalesce(_kind, 'company_prefix');
  v_value text;
  v_row   data.gtin_claims;
begin
  perform app.require_role(_brand_id, 'admin', 'brands:write');
  if v_kind not in ('company_prefix', 'gtin') then
    perform app.invalid('_kind', 'enum', '_kind must be company_prefix or gtin');
  end if;
  v_value := app.gtin_claim_value(v_kind, _prefix, '_prefix');
  begin
    insert into data.gtin_claims (brand_id, kind, value, display_name, evidence)
    values (_brand_id, v_kind, v_value, app.check_text(_display_name, '_display_name', 200),
            app.check_text(_evidence, '_evidence', 2000, false))
    returning * into v_row;
  exception when unique_violation then
    perform app.raise('23505', format('This brand already has an open claim to %s %s', v_kind, v_value),
                      jsonb_build_object('field', '_prefix', 'rule', 'unique', 'value', v_value));
  end;
  return app.gtin_claim_out(v_row);
end
$$;
comment on function api.claim_gtin_prefix(uuid, text, text, text, text) is
  $$Claim a GS1 company prefix (_kind company_prefix, default: 6-12 digits in GTIN-13 form) or a single GTIN (_kind gtin: GTIN-8/12/13/14, stored as GTIN-14) for the brand, with the brand name consumers should see (_display_name, 1-200 characters) and optional evidence for the reviewer (_evidence: licence certificate, GLN, … up to 2000 characters, never public). The claim is pending until a platform administrator verifies it; a pending or rejected claim changes nothing a consumer sees. Admin role, scope brands:write. Errors: 400, 401, 403, 409 (an open claim to the same value). docs/gtin-ownership.md.$$;
grant execute on function api.claim_gtin_prefix(uuid, text, text, text, text) to authenticated;
