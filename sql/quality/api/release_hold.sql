-- release_hold: end an open hold (an admin's call); the hold stays on record as released.
create function api.release_hold(_brand_id uuid, _hold_id uuid, _note text default null)
returns api.hold
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'admin', 'quality:write');
  perform app.hold_release(_brand_id, _hold_id, app.check_text(_note, '_note', 2000, false));
  return app.hold_out(_brand_id, _hold_id);
end
$$;
comment on function api.release_hold(uuid, uuid, text) is
  $$Release an open hold; it stays on record with who released it, when and _note. On a product that requires a passing lab result, a lab pending hold goes only once a result is in and a lab failed hold only once the latest result passes (409, rule lab_result_required). Admin role, scope quality:write. Errors: 400, 401, 403, 404, 409 (already released, lab result required).$$;
grant execute on function api.release_hold(uuid, uuid, text) to authenticated;
