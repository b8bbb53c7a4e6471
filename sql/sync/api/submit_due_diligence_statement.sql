-- Submit a complete draft due-diligence statement: it gets its reference number (docs/state-machine.md).
create function api.submit_due_diligence_statement(_brand_id uuid, _dds_id uuid, _expected_version integer default null)
returns api.due_diligence_statement
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'editor', 'dds:write');
  return app.dds_out(app.dds_submit(_brand_id, _dds_id, _expected_version));
end
$$;
comment on function api.submit_due_diligence_statement(uuid, uuid, integer) is
  $$Submit a draft due-diligence statement: draft → submitted, with a new reference_number (DDS-<year>-<12 hex digits>), submitted_at and submitted_by. The draft must have activity_type, hs_code, net_mass_kg, country_of_production and geolocation (409, rule incomplete, naming the missing ones). A statement that is not a draft: 409. _expected_version → 412 when stale. Editor role, scope dds:write. Errors: 401, 403, 404, 409, 412.$$;
grant execute on function api.submit_due_diligence_statement(uuid, uuid, integer) to authenticated;
