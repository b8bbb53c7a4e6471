-- Record the authority's answer to a submitted due-diligence statement: accepted or rejected.
create function api.record_due_diligence_decision(
  _brand_id             uuid,
  _dds_id               uuid,
  _decision             text,
  _verification_number  text    default null,
  _reason               text    default null,
  _expected_version     integer default null
)
returns api.due_diligence_statement
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_decision text := app.status_arg(_decision);
  v_verification text;
begin
  perform app.require_role(_brand_id, 'admin', 'dds:write');
  if v_decision is null or v_decision not in ('accepted', 'rejected') then
    perform app.invalid('_decision', 'enum', '_decision must be accepted or rejected');
  end if;
  v_verification := app.check_text(_verification_number, '_verification_number', 100, v_decision = 'accepted');
  if v_decision = 'rejected' and v_verification is not null then
    perform app.invalid('_verification_number', 'exclusive', '_verification_number is only for an accepted statement');
  end if;
  return app.dds_out(app.dds_decide(_brand_id, _dds_id, _expected_version, v_decision, v_verification,
                                    app.check_text(_reason, '_reason', 2000, v_decision = 'rejected')));
end
$$;
comment on function api.record_due_diligence_decision(uuid, uuid, text, text, text, integer) is
  $$Record the authority's decision on a submitted due-diligence statement: submitted → accepted (with the _verification_number the authority issued; required) or rejected (with a _reason; required). Both are final. A statement that is not submitted: 409. _expected_version → 412 when stale. Admin role, scope dds:write. Errors: 400, 401, 403, 404, 409, 412.$$;
grant execute on function api.record_due_diligence_decision(uuid, uuid, text, text, text, integer) to authenticated;
