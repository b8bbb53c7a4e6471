-- place_hold: put a batch (or its stock at one location) on hold; held stock is unsellable.
create function api.place_hold(_brand_id uuid, _batch_id uuid, _reason_code text, _note text default null,
                               _location_id uuid default null)
returns api.hold
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_id uuid;
begin
  perform app.require_role(_brand_id, 'editor', 'quality:write');
  v_id := app.hold_place(_brand_id, _batch_id, _reason_code, app.check_text(_note, '_note', 2000, false), _location_id);
  return app.hold_out(_brand_id, v_id);
end
$$;
comment on function api.place_hold(uuid, uuid, text, text, uuid) is
  $$Put a batch on hold: _reason_code one of lab_pending, lab_failed, damaged, expired, recalled, regulatory, other (other needs a _note); _location_id limits the hold to the batch's stock at that location. While a hold is open the stock it covers is unsellable: batch reads list it in unsellable_reasons, available excludes it, and reservations, transfers and picks of it answer 409 naming the hold. One open hold per batch, location and reason (a second is 409 naming the first). Editor role, scope quality:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.place_hold(uuid, uuid, text, text, uuid) to authenticated;
