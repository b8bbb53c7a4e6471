create function api.update_transfer(
  _brand_id          uuid,
  _transfer_id       uuid,
  _lines             jsonb   default null,
  _to_location_id    uuid    default null,
  _note              text    default null,
  _expected_version  integer default null
)
returns api.transfer
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_lines jsonb;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.check_required(_transfer_id, '_transfer_id');
  if _lines is not null then
    v_lines := app.parse_transfer_lines(_lines, '_lines');
  end if;
  perform app.transfer_update(_brand_id, _transfer_id, v_lines, _to_location_id,
                              case when _note is null then null
                                   else coalesce(app.check_text(_note, '_note', 2000, false), '') end,
                              _expected_version);
  return app.transfer_out(_brand_id, _transfer_id);
end
$$;
comment on function api.update_transfer(uuid, uuid, jsonb, uuid, text, integer) is
  $$Change a pending transfer (the retail partner API's PUT transferInventory): _lines replaces all lines and the reservations at the source are adjusted by the difference (more than available → 409 naming the batch and shortfall); _to_location_id changes the destination; _note changes the note ('' clears it). Omitted (null) arguments stay as they are. _expected_version → 412 when stale. Only the transfer's creator or an admin; only while pending (otherwise 409 naming its state). Editor role, scope inventory:write. Errors: 400, 401, 403, 404, 409, 412.$$;
grant execute on function api.update_transfer(uuid, uuid, jsonb, uuid, text, integer) to authenticated;
