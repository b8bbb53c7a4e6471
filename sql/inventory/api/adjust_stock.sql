create function api.adjust_stock(_brand_id uuid, _batch_id uuid, _location_id uuid, _delta numeric, _reason text)
returns api.batch_quantity
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.inventory_adjust(_brand_id, _batch_id, _location_id, _delta, _reason);
  return app.batch_quantity_at(_brand_id, _batch_id, _location_id);
end
$$;
comment on function api.adjust_stock(uuid, uuid, uuid, numeric, text) is
  $$Correct the quantity of a batch at a location by _delta (positive or negative, not 0) with a required _reason (stock count, damage, …); recorded in the ledger as an adjustment with who and when. A negative adjustment cannot take the quantity below what pending transfers have committed (409 naming the shortfall); a positive one cannot go into an archived location (409). Returns the new balance. Editor role, scope inventory:write. Errors: 400, 401, 403, 404 (batch, location), 409.$$;
grant execute on function api.adjust_stock(uuid, uuid, uuid, numeric, text) to authenticated;
