-- Produce (or repack) an output batch from input batches at a location: stock consumed and produced through
-- the ledger, the genealogy edges recorded, in one transaction.
create function api.produce_batch(
  _brand_id            uuid,
  _location_id         uuid,
  _inputs              jsonb,
  _quantity            data.quantity,
  _product_id          uuid    default null,
  _batch_number        text    default null,
  _output_batch_id     uuid    default null,
  _output_location_id  uuid    default null,
  _kind                text    default 'production',
  _production_date     data.iso_date default null,
  _expiry_date         data.iso_date default null,
  _note                text    default null
)
returns api.genealogy_event
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_event uuid;
  v_inputs jsonb;
  v_out data.batches;
  v_product data.products;
  v_number text;
  v_expiry date;
  v_field text;
  v_production_date date := _production_date::date;
  v_expiry_date date := _expiry_date::date;
begin
  perform app.require_role(_brand_id, 'editor', 'trace:write');
  if _location_id is null then
    perform app.invalid('_location_id', 'required', '_location_id is required');
  end if;
  if _kind is null or _kind not in ('production', 'repack') then
    perform app.invalid('_kind', 'enum', '_kind must be production or repack');
  end if;
  v_inputs := app.genealogy_inputs(_inputs);
  if _quantity is null then
    perform app.invalid('_quantity', 'required', '_quantity is required');
  end if;
  perform app.check_quantity(_quantity, '_quantity');
  if _quantity <= 0 then
    perform app.invalid('_quantity', 'positive', '_quantity must be > 0');
  end if;
  if _output_batch_id is null and (_product_id is null or _batch_number is null) then
    perform app.invalid(case when _product_id is null then '_product_id' else '_batch_number' end, 'required',
                        'give _output_batch_id (add to a batch), or _product_id and _batch_number (create or add to that batch)');
  end if;
  v_number := app.check_text(_batch_number, '_batch_number', 100, false);
  if v_expiry_date is not null and v_production_date is not null and v_expiry_date < v_production_date then
    perform app.invalid('_expiry_date', 'after_production_date', '_expiry_date must not be before _production_date');
  end if;

  perform app.genealogy_lock(_brand_id);   -- before the output batch is created (docs/traceability.md, locking)
  if _output_batch_id is not null then
    v_field := '_output_batch_id';
    select * into v_out from data.batches b where b.brand_id = _brand_id and b.id = _output_batch_id;
    if not found then
      perform app.raise('PT404', format('Batch %s not found', _output_batch_id), jsonb_build_object('field', '_output_batch_id', 'rule', 'exists'));
    end if;
    if (_product_id is not null and _product_id <> v_out.product_id) or (v_number is not null and v_number <> v_out.batch_number) then
      perform app.invalid(case when v_number is not null and v_number <> v_out.batch_number then '_batch_number' else '_product_id' end,
                          'matches_batch', '_product_id and _batch_number, when given with _output_batch_id, must be that batch''s');
    end if;
  else
    v_field := '_batch_number';
    select * into v_product from data.products p where p.brand_id = _brand_id and p.id = _product_id;
    if not found then
      perform app.raise('PT404', format('Product %s not found', _product_id), jsonb_build_object('field', '_product_id', 'rule', 'exists'));
    end if;
    select min(b.expiry_date) into v_expiry
      from jsonb_to_recordset(v_inputs) as l (batch_id uuid) join data.batches b on b.brand_id = _brand_id and b.id = l.batch_id;
    v_expiry := coalesce(v_expiry_date, v_expiry);
    -- ON CONFLICT waits for a concurrent creator of the same batch, then reuses its row
    insert into data.batches (brand_id, product_id, batch_number, status, production_date, expiry_date, quantity, unit, created_by)
    values (_brand_id, _product_id, v_number, 'active', coalesce(v_production_date, current_date), v_expiry, _quantity,
            v_product.unit, app.current_user_id())
    on conflict (brand_id, product_id, batch_number) do nothing
    returning * into v_out;
    if found then
      if v_product.expirable and v_expiry is null then
        perform app.invalid('_expiry_date', 'required', format('_expiry_date is required: product "%s" is expirable and no input has one', v_product.name));
      end if;
      v_expiry_date := null;   -- used for the new batch
    else
      select * into v_out from data.batches b where b.brand_id = _brand_id and b.product_id = _product_id and b.batch_number = v_number;
    end if;
  end if;
  if v_expiry_date is not null and v_out.expiry_date is distinct from v_expiry_date then
    perform app.raise('PT409', format('Batch "%s" has expiry date %s, not %s', v_out.batch_number, coalesce(v_out.expiry_date::text, 'none'), v_expiry_date),
                      jsonb_build_object('field', '_expiry_date', 'rule', 'matches_batch', 'batch_id', v_out.id, 'expiry_date', v_out.expiry_date));
  end if;

  -- two statements: the read must see what the writer wrote (a stable function reads its statement's snapshot)
  v_event := app.genealogy_record(_brand_id, _kind, _location_id,
    (select jsonb_agg(e || jsonb_build_object('field', format('_inputs[%s].batch_id', e ->> 'index'),
                                              'quantity_field', format('_inputs[%s].quantity', e ->> 'index')))
       from jsonb_array_elements(v_inputs) e),
    jsonb_build_array(jsonb_build_object('batch_id', v_out.id, 'quantity', _quantity,
                                         'location_id', coalesce(_output_location_id, _location_id), 'field', v_field,
                                         'location_field', case when _output_location_id is null then '_location_id' else '_output_location_id' end)),
    (select jsonb_agg(jsonb_build_object('input_batch_id', e -> 'batch_id', 'output_batch_id', v_out.id, 'quantity', e -> 'quantity'))
       from jsonb_array_elements(v_inputs) e),
    app.check_text(_note, '_note', 2000, false));
  return app.genealogy_event_out(_brand_id, v_event);
end
$$;
comment on function api.produce_batch(uuid, uuid, jsonb, data.quantity, uuid, text, uuid, uuid, text, data.iso_date, data.iso_date, text) is
  $$Produce (or repack, _kind = 'repack') _quantity of an output batch from input batches taken at _location_id, in one transaction: each input line [{batch_id, quantity > 0}] (1–100, one per batch) is consumed from its stock there (ledger kind consumption; more than available is a 409 naming the shortfall), the output is produced at _output_location_id (default _location_id; ledger kind production), and a genealogy edge input → output records each consumed quantity. The output is _output_batch_id, or the batch _batch_number of _product_id, created when it does not exist (status active, production date today unless given, expiry = _expiry_date or the earliest input expiry; required for an expirable product). Inputs and output must be usable: a recalled batch (or held, …) is a 409 naming it, an archived one a 409; an output that is (or is made into) one of its inputs is a 409 (rule cycle). Editor role, scope trace:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.produce_batch(uuid, uuid, jsonb, data.quantity, uuid, text, uuid, uuid, text, data.iso_date, data.iso_date, text) to authenticated;
