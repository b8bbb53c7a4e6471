-- Split one batch into new batches: quantities move from the parent's stock at a location into each part,
-- with a genealogy edge parent → part; the parent keeps the remainder.
create function api.split_batch(
  _brand_id     uuid,
  _batch_id     uuid,
  _location_id  uuid,
  _parts        jsonb,
  _note         text default null
)
returns api.genealogy_event
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_event uuid;
  v_parent data.batches;
  v_el jsonb;
  v_f text;
  v_i integer := 0;
  v_number text;
  v_given text[] := '{}';
  v_parts jsonb := '[]';
  v_child data.batches;
  v_total numeric := 0;
  r record;
begin
  perform app.require_role(_brand_id, 'editor', 'trace:write');
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  if _location_id is null then
    perform app.invalid('_location_id', 'required', '_location_id is required');
  end if;
  if _parts is null or jsonb_typeof(_parts) <> 'array' then
    perform app.invalid('_parts', 'array', '_parts must be a JSON array of {quantity, batch_number?, location_id?}');
  end if;
  if jsonb_array_length(_parts) = 0 or jsonb_array_length(_parts) > 100 then
    perform app.invalid('_parts', case when jsonb_array_length(_parts) = 0 then 'min_items' else 'max_items' end, '_parts must have 1 to 100 parts');
  end if;
  for v_el in select e from jsonb_array_elements(_parts) e loop
    v_f := format('_parts[%s]', v_i);
    perform app.check_keys(v_el, v_f, array['quantity', 'batch_number', 'location_id']);
    if v_el -> 'quantity' is null or jsonb_typeof(v_el -> 'quantity') = 'null' then
      perform app.invalid(v_f || '.quantity', 'required', format('%s.quantity is required', v_f));
    end if;
    if app.json_quantity(v_el -> 'quantity', v_f || '.quantity') <= 0 then
      perform app.invalid(v_f || '.quantity', 'positive', format('%s.quantity must be > 0', v_f));
    end if;
    if jsonb_typeof(v_el -> 'batch_number') not in ('string', 'null') then
      perform app.invalid(v_f || '.batch_number', 'string', format('%s.batch_number must be a string', v_f));
    end if;
    v_number := app.check_text(v_el ->> 'batch_number', v_f || '.batch_number', 100, false);
    if v_number = any (v_given) then
      perform app.invalid(v_f || '.batch_number', 'unique', format('%s.batch_number "%s" appears in an earlier part', v_f, v_number));
    end if;
    if v_number is not null then v_given := v_given || v_number; end if;
    if jsonb_typeof(v_el -> 'location_id') not in ('string', 'null')
       or coalesce(v_el ->> 'location_id', '00000000-0000-0000-0000-000000000000') !~ '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' then
      perform app.invalid(v_f || '.location_id', 'uuid', format('%s.location_id must be a uuid', v_f));
    end if;
    v_parts := v_parts || jsonb_build_array(jsonb_build_object('quantity', (v_el ->> 'quantity')::numeric, 'batch_number', v_number,
                                                               'location_id', coalesce((v_el ->> 'location_id')::uuid, _location_id), 'index', v_i));
    v_i := v_i + 1;
  end loop;

  perform app.genealogy_lock(_brand_id);   -- before the parts are created: generated numbers do not race
  select * into v_parent from data.batches b where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  -- create the parts: given numbers must be new; missing ones are the parent's number + -1, -2, … (first free)
  for r in select (p ->> 'index')::integer as index, p ->> 'batch_number' as batch_number, (p ->> 'quantity')::numeric as quantity
             from jsonb_array_elements(v_parts) p order by (p ->> 'index')::integer loop
    v_number := coalesce(r.batch_number, app.genealogy_free_number(_brand_id, v_parent.product_id, v_parent.batch_number || '-', v_given));
    v_given := v_given || v_number;
    insert into data.batches (brand_id, product_id, batch_number, status, production_date, received_date, expiry_date, quantity,
                              unit, facility_ref, attributes, created_by)
    values (_brand_id, v_parent.product_id, v_number,
            -- a recalled or archived parent is refused by the writer; a part never starts in those
            case when v_parent.status in ('recalled', 'archived') then 'active' else v_parent.status end, v_parent.production_date, v_parent.received_date,
            v_parent.expiry_date, r.quantity, v_parent.unit, v_parent.facility_ref, v_parent.attributes, app.current_user_id())
    on conflict (brand_id, product_id, batch_number) do nothing
    returning * into v_child;
    if not found then
      perform app.raise('23505', format('Batch number "%s" already exists for this product', v_number),
                        jsonb_build_object('field', format('_parts[%s].batch_number', r.index), 'rule', 'unique', 'value', v_number));
    end if;
    v_parts := jsonb_set(v_parts, array[r.index::text], (v_parts -> r.index) || jsonb_build_object('batch_id', v_child.id));
    v_total := v_total + r.quantity;
  end loop;

  -- two statements: the read must see what the writer wrote (a stable function reads its statement's snapshot)
  v_event := app.genealogy_record(_brand_id, 'split', _location_id,
    jsonb_build_array(jsonb_build_object('batch_id', _batch_id, 'quantity', v_total, 'field', '_batch_id', 'quantity_field', '_parts')),
    (select jsonb_agg(jsonb_build_object('batch_id', p -> 'batch_id', 'quantity', p -> 'quantity', 'location_id', p -> 'location_id',
                                         'field', format('_parts[%s].batch_number', p ->> 'index'),
                                         'location_field', format('_parts[%s].location_id', p ->> 'index')))
       from jsonb_array_elements(v_parts) p),
    (select jsonb_agg(jsonb_build_object('input_batch_id', _batch_id, 'output_batch_id', p -> 'batch_id', 'quantity', p -> 'quantity'))
       from jsonb_array_elements(v_parts) p),
    app.check_text(_note, '_note', 2000, false));
  return app.genealogy_event_out(_brand_id, v_event);
end
$$;
comment on function api.split_batch(uuid, uuid, uuid, jsonb, text) is
  $$Split a batch: each of _parts [{quantity > 0, batch_number?, location_id?}] (1–100) becomes a new batch of the same product (status, dates, unit, facility and attributes copied), its quantity moved out of the parent's stock at _location_id (ledger consumption) into the part at its location_id (default _location_id; ledger production), with a genealogy edge parent → part. A part without batch_number gets the parent's number + "-1", "-2", … (the first free). The parent keeps the remainder; more than available is a 409 naming the shortfall (field _parts). A recalled (held, …) or archived parent is a 409. Editor role, scope trace:write. Errors: 400, 401, 403, 404, 409 (also 409 23505 for a part number that exists).$$;
grant execute on function api.split_batch(uuid, uuid, uuid, jsonb, text) to authenticated;
