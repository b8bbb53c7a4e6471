-- suggest_picks: which batches to pick for a quantity of a product at a location, first expiry first out.
create function api.suggest_picks(_brand_id uuid, _product_id uuid, _location_id uuid, _quantity data.quantity,
                                  _min_remaining_days integer default 0)
returns api.pick_suggestion
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  if _quantity is null then
    perform app.invalid('_quantity', 'required', '_quantity is required');
  end if;
  perform app.check_quantity(_quantity, '_quantity');
  if _quantity = 0 then
    perform app.invalid('_quantity', 'positive', '_quantity must be > 0');
  end if;
  perform app.pick_check_args(_brand_id, _product_id, _location_id, _min_remaining_days);
  return app.pick_suggestion(_brand_id, _product_id, _location_id, _quantity, _min_remaining_days);
end
$$;
comment on function api.suggest_picks(uuid, uuid, uuid, data.quantity, integer) is
  $$Which batches of a product to pick at a location for _quantity, first expiry first out (batches without an expiry date last), then first received, then oldest: lines [{batch_id, batch_number, expiry_date, received_date, available, quantity}] taking each batch's available stock in that order. Held (at that location or as a whole), expired, recalled and archived batches are skipped, as are batches expiring within _min_remaining_days (0–3650, default 0); skipped lists, with their reasons, those passed over before the quantity was covered (all of them when it is not). suggested, shortfall and complete tell whether the stock covers the request. Pass lines back to reserve_picks to reserve exactly this. Viewer role, scope inventory:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.suggest_picks(uuid, uuid, uuid, data.quantity, integer) to authenticated;
