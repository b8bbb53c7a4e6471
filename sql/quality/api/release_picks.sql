-- release_picks: give a reserved pick list's stock back (nothing moves).
create function api.release_picks(_brand_id uuid, _pick_id uuid, _reason text default null)
returns api.pick
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.pick_finish(_brand_id, _pick_id, 'release', _reason);
  return app.pick_out(_brand_id, _pick_id);
end
$$;
comment on function api.release_picks(uuid, uuid, text) is
  $$Release a reserved pick list: its reservations end (committed falls, ledger kind release), nothing moves; status released with _reason. Always allowed while reserved, held stock included. Editor role, scope inventory:write. Errors: 400, 401, 403, 404, 409 (not reserved).$$;
grant execute on function api.release_picks(uuid, uuid, text) to authenticated;
