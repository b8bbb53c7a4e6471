-- reserve_picks: reserve exactly a pick suggestion (its lines), atomically; 409 when the suggestion changed.
create function api.reserve_picks(_brand_id uuid, _product_id uuid, _location_id uuid, _lines jsonb,
                                  _min_remaining_days integer default 0, _note text default null)
returns api.pick
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_id uuid;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  v_id := app.pick_reserve(_brand_id, _product_id, _location_id, _lines, _min_remaining_days, _note);
  return app.pick_out(_brand_id, v_id);
end
$$;
comment on function api.reserve_picks(uuid, uuid, uuid, jsonb, integer, text) is
  $$Reserve a pick: _lines are the lines of a suggest_picks answer ([{batch_id, quantity}], any order; the informational batch_number, expiry_date, received_date and available may stay in), with the same _product_id, _location_id and _min_remaining_days. In one transaction, under the stock locks, the suggestion for the lines' total is computed again; if it is not exactly these lines (stock, holds or expiry changed) the answer is 409 rule suggestion_changed with the current suggestion in details.suggestion, and nothing is reserved. A line whose stock is unsellable is 409 rule unsellable naming the hold. Reserved quantities are committed at the location (available falls), like a pending transfer's. Returns the pick list (PK-000001, status reserved). Editor role, scope inventory:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.reserve_picks(uuid, uuid, uuid, jsonb, integer, text) to authenticated;
