create function api.receive_inbound(
  _brand_id            uuid,
  _location_id         uuid,
  _reference           text  default null,
  _external_reference  text  default null,
  _lines               jsonb default null,
  _note                text  default null
)
returns api.inbound
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_reference text;
  v_external text;
  v_note text;
  v_el jsonb;
  v_key text;
  v_i integer := 0;
  v_f text;
  v_parsed jsonb := '[]';
  v_batch data.batches;
  v_product data.products;
  v_created boolean;
  v_found jsonb := '{}';
  v_id uuid;
  r record;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.check_required(_location_id, '_location_id');
  v_reference := app.check_text(_reference, '_reference', 200, false);
  v_external := app.check_text(_external_reference, '_external_reference', 200, false);
  v_note := app.check_text(_note, '_note', 2000, false);
  if _lines is null or jsonb_typeof(_lines) <> 'array' then
    perform app.invalid('_lines', 'array', '_lines must be a JSON array of {product_id, batch_number, quantity, expiry_date?}');
  end if;
  if jsonb_array_length(_lines) = 0 then
    perform app.invalid('_lines', 'min_items', '_lines must have at least one line');
  end if;
  if jsonb_array_length(_lines) > 500 then
    perform app.invalid('_lines', 'max_items', '_lines must have at most 500 lines');
  end if;

  -- validate every line
  for v_el in select e from jsonb_array_elements(_lines) e loop
    v_f := format('_lines[%s]', v_i);
    if jsonb_typeof(v_el) <> 'object' then
      perform app.invalid(v_f, 'object', format('%s must be an object {product_id, batch_number, quantity, expiry_date?}', v_f));
    end if;
    for v_key in select jsonb_object_keys(v_el) loop
      if v_key not in ('product_id', 'batch_number', 'quantity', 'expiry_date') then
        perform app.invalid(v_f || '.' || v_key, 'unknown_key',
                            format('%s.%s is not a line field; allowed: product_id, batch_number, quantity, expiry_date', v_f, v_key));
      end if;
    end loop;
    if jsonb_typeof(v_el -> 'product_id') is distinct from 'string'
       or (v_el ->> 'product_id') !~ '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' then
      perform app.invalid(v_f || '.product_id', 'uuid', format('%s.product_id is required and must be a uuid', v_f));
    end if;
    if jsonb_typeof(v_el -> 'batch_number') is distinct from 'string' then
      perform app.invalid(v_f || '.batch_number', 'required', format('%s.batch_number is required (a string)', v_f));
    end if;
    if v_el -> 'quantity' is null or jsonb_typeof(v_el -> 'quantity') = 'null' then
      perform app.invalid(v_f || '.quantity', 'required', format('%s.quantity is required', v_f));
    end if;
    if app.json_quantity(v_el -> 'quantity', v_f || '.quantity') <= 0 then
      perform app.invalid(v_f || '.quantity', 'positive', format('%s.quantity must be > 0', v_f));
    end if;
    v_parsed := v_parsed || jsonb_build_array(jsonb_build_object(
      'line_no', v_i + 1,
      'product_id', (v_el ->> 'product_id')::uuid,
      'batch_number', app.check_text(v_el ->> 'batch_number', v_f || '.batch_number', 100),
      'quantity', v_el -> 'quantity',
      'expiry_date', app.json_date(v_el -> 'expiry_date', v_f || '.expiry_date')));
    v_i := v_i + 1;
  end loop;

  -- one expiry date per batch within the receipt
  select l.line_no into r
    from (select l.*, first_value(l.expiry_date) over (partition by l.product_id, l.batch_number
                                                       order by l.expiry_date is null, l.line_no) as first_expiry
            from jsonb_to_recordset(v_parsed) as l (line_no integer, product_id uuid, batch_number text, expiry_date date)) l
   where l.expiry_date is not null and l.expiry_date <> l.first_expiry
   order by l.line_no limit 1;
  if found then
    perform app.invalid(format('_lines[%s].expiry_date', r.line_no - 1), 'consistent',
                        'lines of the same batch must carry the same expiry_date');
  end if;

  -- create or reuse the batches, in (product, batch number) order so concurrent receipts never deadlock
  for r in
    select l.product_id, l.batch_number, min(l.line_no) as line_no, max(l.expiry_date) as expiry_date, sum(l.quantity) as quantity
      from jsonb_to_recordset(v_parsed) as l (line_no integer, product_id uuid, batch_number text, quantity numeric, expiry_date date)
     group by l.product_id, l.batch_number
     order by l.product_id, l.batch_number
  loop
    v_f := format('_lines[%s]', r.line_no - 1);
    select * into v_product from data.products p where p.brand_id = _brand_id and p.id = r.product_id;
    if not found then
      perform app.not_found('Product', r.product_id, v_f || '.product_id');
    end if;
    -- ON CONFLICT waits for a concurrent receipt creating the same batch, then reuses its row
    insert into data.batches (brand_id, product_id, batch_number, status, expiry_date, received_date, quantity, unit, created_by)
    values (_brand_id, r.product_id, r.batch_number, 'received', r.expiry_date, current_date, r.quantity, v_product.unit,
            app.current_user_id())
    on conflict (brand_id, product_id, batch_number) do nothing
    returning * into v_batch;
    v_created := found;
    if v_created then
      if v_product.expirable and r.expiry_date is null then
        perform app.invalid(v_f || '.expiry_date', 'required', format('%s.expiry_date is required: product "%s" is expirable', v_f, v_product.name));
      end if;
    else
      select * into v_batch from data.batches b
       where b.brand_id = _brand_id and b.product_id = r.product_id and b.batch_number = r.batch_number;
      if v_batch.status = 'archived' then
        perform app.raise('PT409', format('Batch "%s" is archived and cannot receive stock', r.batch_number),
                          jsonb_build_object('field', v_f || '.batch_number', 'rule', 'state', 'state', 'archived', 'batch_id', v_batch.id));
      end if;
      if r.expiry_date is not null and v_batch.expiry_date is distinct from r.expiry_date then
        if v_batch.expiry_date is null then
          update data.batches b set expiry_date = r.expiry_date where b.brand_id = _brand_id and b.id = v_batch.id;
          perform app.require_found(found, v_f || '.batch_number', format('Batch "%s" not found', r.batch_number));
        else
          perform app.raise('PT409', format('Batch "%s" already has expiry date %s, not %s', r.batch_number, v_batch.expiry_date, r.expiry_date),
                            jsonb_build_object('field', v_f || '.expiry_date', 'rule', 'matches_batch', 'batch_id', v_batch.id,
                                               'expiry_date', v_batch.expiry_date));
        end if;
      end if;
    end if;
    v_found := v_found || jsonb_build_object(r.product_id::text || '/' || r.batch_number,
                                             jsonb_build_object('batch_id', v_batch.id, 'batch_created', v_created));
  end loop;
  -- every line gets its batch
  select jsonb_agg(e || (v_found -> ((e ->> 'product_id') || '/' || (e ->> 'batch_number'))) order by (e ->> 'line_no')::integer)
    into v_parsed from jsonb_array_elements(v_parsed) e;

  v_id := app.inventory_receive(_brand_id, _location_id, v_reference, v_external, v_note, v_parsed);
  return app.inbound_out(_brand_id, v_id);
end
$$;
comment on function api.receive_inbound(uuid, uuid, text, text, jsonb, text) is
  $$Receive goods at a location (a warehouse API's inbound) in one transaction. _lines: [{product_id, batch_number, quantity > 0, expiry_date?}] (1–500); each line creates its batch (status received; expiry_date required when the product is expirable) or reuses the product's batch with that number, and books a receipt in the stock ledger. _external_reference is the sender's idempotency key: receiving it twice is a 409 naming the first inbound. Returns the inbound with its lines and number IN-000001. Editor role, scope inventory:write. Errors: 400, 401, 403, 404 (location, product), 409 (archived location or batch, expiry date conflict, duplicate external reference).$$;
grant execute on function api.receive_inbound(uuid, uuid, text, text, jsonb, text) to authenticated;
