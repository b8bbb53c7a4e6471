-- Merge batches of one product into one: a new batch, or an existing one (_into_batch_id), with a genealogy
-- edge from each merged batch; stock moves through the ledger at one location.
create function api.merge_batches(
  _brand_id       uuid,
  _location_id    uuid,
  _inputs         jsonb,
  _into_batch_id  uuid default null,
  _batch_number   text default null,
  _note           text default null
)
returns api.genealogy_event
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_event uuid;
  v_inputs jsonb;
  v_first data.batches;
  v_into data.batches;
  v_number text;
  v_total numeric;
  v_field text := '_into_batch_id';
  r record;
begin
  perform app.require_role(_brand_id, 'editor', 'trace:write');
  if _location_id is null then
    perform app.invalid('_location_id', 'required', '_location_id is required');
  end if;
  v_inputs := app.genealogy_inputs(_inputs);
  if _into_batch_id is null and jsonb_array_length(v_inputs) < 2 then
    perform app.invalid('_inputs', 'min_items', '_inputs must name at least two batches (or one, with _into_batch_id)');
  end if;
  if _into_batch_id is not null and _batch_number is not null then
    perform app.invalid('_batch_number', 'exclusive', 'give _into_batch_id or _batch_number, not both');
  end if;
  select e ->> 'index' as index into r from jsonb_array_elements(v_inputs) e where (e ->> 'batch_id')::uuid = _into_batch_id;
  if found then
    perform app.invalid(format('_inputs[%s].batch_id', r.index), 'is_target',
                        'the batch merged into keeps its own stock: list only the batches merged into it');
  end if;
  v_number := app.check_text(_batch_number, '_batch_number', 100, false);
  select sum((e ->> 'quantity')::numeric) into v_total from jsonb_array_elements(v_inputs) e;

  perform app.genealogy_lock(_brand_id);   -- before the merged batch is created
  perform app.inventory_check_batches(_brand_id, v_inputs, '_inputs');
  select b.* into v_first from jsonb_to_recordset(v_inputs) as l (batch_id uuid, index integer)
    join data.batches b on b.brand_id = _brand_id and b.id = l.batch_id order by l.index limit 1;
  if _into_batch_id is not null then
    select * into v_into from data.batches b where b.brand_id = _brand_id and b.id = _into_batch_id;
    if not found then
      perform app.raise('PT404', format('Batch %s not found', _into_batch_id), jsonb_build_object('field', '_into_batch_id', 'rule', 'exists'));
    end if;
  else
    -- a new batch: the inputs' common status and unit (checked under lock by the writer), earliest dates
    v_field := '_batch_number';
    v_number := coalesce(v_number, app.genealogy_free_number(_brand_id, v_first.product_id, v_first.batch_number || '-M'));
    insert into data.batches (brand_id, product_id, batch_number, status, production_date, received_date, expiry_date, quantity,
                              unit, facility_ref, created_by)
    select _brand_id, v_first.product_id, v_number,
           -- a recalled or archived first input is refused by the writer; the new batch never starts in those
           case when v_first.status in ('recalled', 'archived') then 'active' else v_first.status end, min(b.production_date), min(b.received_date), min(b.expiry_date),
           v_total, v_first.unit, v_first.facility_ref, app.current_user_id()
      from jsonb_to_recordset(v_inputs) as l (batch_id uuid) join data.batches b on b.brand_id = _brand_id and b.id = l.batch_id
    on conflict (brand_id, product_id, batch_number) do nothing
    returning * into v_into;
    if not found then
      perform app.raise('23505', format('Batch number "%s" already exists for this product', v_number),
                        jsonb_build_object('field', '_batch_number', 'rule', 'unique', 'value', v_number));
    end if;
  end if;

  -- two statements: the read must see what the writer wrote (a stable function reads its statement's snapshot)
  v_event := app.genealogy_record(_brand_id, 'merge', _location_id,
    (select jsonb_agg(e || jsonb_build_object('field', format('_inputs[%s].batch_id', e ->> 'index'),
                                              'quantity_field', format('_inputs[%s].quantity', e ->> 'index')))
       from jsonb_array_elements(v_inputs) e),
    jsonb_build_array(jsonb_build_object('batch_id', v_into.id, 'quantity', v_total, 'location_id', _location_id,
                                         'field', v_field, 'location_field', '_location_id')),
    (select jsonb_agg(jsonb_build_object('input_batch_id', e -> 'batch_id', 'output_batch_id', v_into.id, 'quantity', e -> 'quantity'))
       from jsonb_array_elements(v_inputs) e),
    app.check_text(_note, '_note', 2000, false));
  return app.genealogy_event_out(_brand_id, v_event);
end
$$;
comment on function api.merge_batches(uuid, uuid, jsonb, uuid, text, text) is
  $$Merge batches of one product at _location_id: each of _inputs [{batch_id, quantity > 0}] (1–100, one per batch) moves that quantity out of its stock there (ledger consumption) into one batch (ledger production) — _into_batch_id, or a new batch _batch_number (default: the first input's number + "-M1", "-M2", … the first free) that takes the inputs' status and unit and their earliest production, receipt and expiry dates — with a genealogy edge from each input. Rules (409, rule named in details): one product (same_product), one status (same_status), one unit (same_unit); no input recalled, held or archived; merging into an existing batch, no input may expire before it (expiry). More than available is a 409 naming the shortfall. Editor role, scope trace:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.merge_batches(uuid, uuid, jsonb, uuid, text, text) to authenticated;
