-- Inventory: inbound receipts. Definer (lotline_auth): see stock-ledger.sql for why and for the lock order.

-- Book an inbound receipt. _lines (already validated by api.receive_inbound, batches created or found):
-- [{line_no, product_id, batch_id, quantity, expiry_date, batch_created}]. Returns the inbound id.
create or replace function app.inventory_receive(_brand_id uuid, _location_id uuid, _reference text,
                                                 _external_reference text, _note text, _lines jsonb)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_number text;
  v_existing uuid;
  r record;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.inventory_location_for_write(_brand_id, _location_id, '_location_id');
  if _lines is null or jsonb_typeof(_lines) <> 'array' or jsonb_array_length(_lines) = 0 then
    perform app.invalid('_lines', 'min_items', '_lines must have at least one line');
  end if;
  -- every line's batch belongs to its product in this brand
  select l.line_no into r from jsonb_to_recordset(_lines) as l (line_no integer, product_id uuid, batch_id uuid)
   where not exists (select from data.batches b where b.brand_id = _brand_id and b.id = l.batch_id and b.product_id = l.product_id)
   limit 1;
  if found then
    perform app.raise('PT404', format('Batch of line %s not found for its product', r.line_no),
                      jsonb_build_object('field', format('_lines[%s].batch_id', r.line_no - 1), 'rule', 'exists'));
  end if;

  v_number := app.inventory_next_number(_brand_id, 'inbound', 'IN');
  perform app.stock_lock(_brand_id,
    array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(_lines) e),
    array_fill(_location_id, array[jsonb_array_length(_lines)]));
  insert into data.inbounds (brand_id, id, number, location_id, reference, external_reference, note, created_by)
  values (_brand_id, v_id, v_number, _location_id, _reference, _external_reference, _note, app.current_user_id())
  on conflict (brand_id, external_reference) do nothing;
  if not found then
    select i.id into v_existing from data.inbounds i where i.brand_id = _brand_id and i.external_reference = _external_reference;
    perform app.raise('23505', format('An inbound with external reference "%s" was already received', _external_reference),
                      jsonb_build_object('field', '_external_reference', 'rule', 'unique', 'value', _external_reference,
                                         'inbound_id', v_existing));
  end if;
  insert into data.inbound_lines (brand_id, inbound_id, line_no, product_id, batch_id, quantity, expiry_date, batch_created)
  select _brand_id, v_id, l.line_no, l.product_id, l.batch_id, l.quantity, l.expiry_date, coalesce(l.batch_created, false)
    from jsonb_to_recordset(_lines) as l (line_no integer, product_id uuid, batch_id uuid, quantity numeric,
                                          expiry_date date, batch_created boolean);
  perform app.stock_apply(_brand_id, k.kinds, k.batches, k.locations, k.dq, k.dc, null, v_id, null)
     from (select array_agg('receipt'::text order by l.line_no) as kinds, array_agg(l.batch_id order by l.line_no) as batches,
                  array_agg(_location_id order by l.line_no) as locations, array_agg(l.quantity order by l.line_no) as dq,
                  array_agg(0::numeric order by l.line_no) as dc
             from jsonb_to_recordset(_lines) as l (line_no integer, batch_id uuid, quantity numeric)) k;
  return v_id;
end
$$;
alter function app.inventory_receive(uuid, uuid, text, text, text, jsonb) owner to lotline_auth;
comment on function app.inventory_receive(uuid, uuid, text, text, text, jsonb) is
  'Definer: inbounds, inbound_lines, stock and the ledger have no write grant for callers; books a receipt for an editor (checked first).';

revoke execute on function app.inventory_receive(uuid, uuid, text, text, text, jsonb) from public;
grant execute on function app.inventory_receive(uuid, uuid, text, text, text, jsonb) to authenticated;
