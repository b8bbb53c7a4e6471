create function api.create_transfer(
  _brand_id          uuid,
  _from_location_id  uuid,
  _to_location_id    uuid,
  _lines             jsonb,
  _note              text default null
)
returns api.transfer
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_lines jsonb;
  v_id uuid;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.check_required(_from_location_id, '_from_location_id');
  perform app.check_required(_to_location_id, '_to_location_id');
  if _from_location_id = _to_location_id then
    perform app.invalid('_to_location_id', 'differs_from_source', '_to_location_id must differ from _from_location_id');
  end if;
  v_lines := app.parse_transfer_lines(_lines, '_lines');
  v_id := app.transfer_create(_brand_id, _from_location_id, _to_location_id, v_lines, app.check_text(_note, '_note', 2000, false));
  return app.transfer_out(_brand_id, v_id);
end
$$;
comment on function api.create_transfer(uuid, uuid, uuid, jsonb, text) is
  $$Create a pending transfer of stock from one location to another (the retail partner API's transferInventory) and reserve its lines at the source (committed rises, available falls). _lines: [{batch_id, quantity > 0}], one line per batch, 1–500. Asking for more than is available is a 409 (PT409) naming the batch and the shortfall in the message and in details {field, batch_id, requested, available, shortfall, shortfalls[]}. Numbered TR-000001 per brand. Editor role, scope inventory:write. Errors: 400, 401, 403, 404 (location, batch), 409 (shortfall, archived location).$$;
grant execute on function api.create_transfer(uuid, uuid, uuid, jsonb, text) to authenticated;
