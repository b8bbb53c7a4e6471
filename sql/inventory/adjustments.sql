-- Inventory: stock adjustments. Definer (lotline_auth): see stock-ledger.sql for why and for the lock order.

-- Adjust the quantity of a batch at a location by _delta (≠ 0) with a reason. A negative adjustment may not
-- take the quantity below what is committed (409 naming the shortfall).
create or replace function app.inventory_adjust(_brand_id uuid, _batch_id uuid, _location_id uuid, _delta numeric, _reason text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_reason text;
  v_stock data.stock;
  v_batch data.batches;
  v_location data.locations;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  if _delta is null or _delta = 0 then
    perform app.invalid('_delta', 'nonzero', '_delta is required and must not be 0');
  end if;
  perform app.check_quantity(abs(_delta), '_delta');
  v_reason := app.check_text(_reason, '_reason', 2000);
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  select * into v_batch from data.batches b where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  if _delta > 0 then
    v_location := app.inventory_location_for_write(_brand_id, _location_id, '_location_id');
  else
    if _location_id is null then
      perform app.invalid('_location_id', 'required', '_location_id is required');
    end if;
    select * into v_location from data.locations l where l.brand_id = _brand_id and l.id = _location_id;
    if not found then
      perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
    end if;
  end if;

  perform app.stock_lock(_brand_id, array[_batch_id], array[_location_id]);
  if _delta < 0 then
    select * into v_stock from data.stock s
     where s.brand_id = _brand_id and s.batch_id = _batch_id and s.location_id = _location_id;
    if coalesce(v_stock.available, 0) < -_delta then
      perform app.raise('PT409',
        format('Adjustment of %s would take batch "%s" at location "%s" below its committed quantity: quantity %s, committed %s, available %s, short by %s',
               _delta, v_batch.batch_number, v_location.name, coalesce(v_stock.quantity, 0), coalesce(v_stock.committed, 0),
               coalesce(v_stock.available, 0), -_delta - coalesce(v_stock.available, 0)),
        jsonb_build_object('field', '_delta', 'rule', 'available', 'batch_id', _batch_id, 'batch_number', v_batch.batch_number,
                           'location_id', _location_id, 'quantity', coalesce(v_stock.quantity, 0),
                           'committed', coalesce(v_stock.committed, 0), 'available', coalesce(v_stock.available, 0),
                           'shortfall', -_delta - coalesce(v_stock.available, 0)));
    end if;
  end if;
  perform app.stock_apply(_brand_id, array['adjustment'], array[_batch_id], array[_location_id], array[_delta],
                          array[0::numeric], array[v_reason], null, null);
end
$$;
alter function app.inventory_adjust(uuid, uuid, uuid, numeric, text) owner to lotline_auth;
comment on function app.inventory_adjust(uuid, uuid, uuid, numeric, text) is
  'Definer: stock and the ledger have no write grant for callers; adjusts for an editor (checked first), never below committed.';

revoke execute on function app.inventory_adjust(uuid, uuid, uuid, numeric, text) from public;
grant execute on function app.inventory_adjust(uuid, uuid, uuid, numeric, text) to authenticated;
