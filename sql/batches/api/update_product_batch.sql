create function api.update_product_batch(_brand_id uuid, _batch_id uuid, _patch jsonb, _expected_version integer default null)
returns api.batch
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row data.batches;
  v_key text;
  v_patchable constant text[] := array['batch_number', 'external_id', 'production_date', 'received_date', 'expiry_date',
                                       'quantity', 'unit', 'facility_ref', 'attributes', 'recall_message'];
begin
  perform app.require_role(_brand_id, 'editor', 'batches:write');
  if _patch is null or jsonb_typeof(_patch) <> 'object' then
    perform app.invalid('_patch', 'object', '_patch must be a JSON object');
  end if;
  for v_key in select jsonb_object_keys(_patch) order by 1 loop
    if v_key in ('id', 'brand_id', 'product_id', 'created_at', 'updated_at', 'version', 'archived_at', 'created_by', 'public_id') then
      perform app.invalid('_patch.' || v_key, 'read_only', format('_patch.%s cannot be changed', v_key));
    elsif v_key = 'status' then
      perform app.raise('22023', '_patch.status cannot be changed here',
                        jsonb_build_object('field', '_patch.status', 'rule', 'read_only'), 'Use set_batch_status');
    elsif not (v_key = any (v_patchable)) then
      perform app.invalid('_patch.' || v_key, 'unknown_key',
                          format('_patch.%s is not a batch field; patchable: %s', v_key, array_to_string(v_patchable, ', ')));
    end if;
  end loop;

  select * into v_row from data.batches b where b.brand_id = _brand_id and b.id = _batch_id for update;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  if _expected_version is not null and _expected_version <> v_row.version then
    perform app.raise('PT412', format('Batch %s is at version %s, not %s', _batch_id, v_row.version, _expected_version),
                      jsonb_build_object('field', '_expected_version', 'rule', 'current_version', 'current', v_row.version));
  end if;
  if v_row.status = 'archived' then
    perform app.raise('PT409', format('Batch %s is archived and cannot be changed', _batch_id),
                      jsonb_build_object('field', '_batch_id', 'rule', 'state', 'status', v_row.status));
  end if;

  if _patch ? 'batch_number' then
    if jsonb_typeof(_patch -> 'batch_number') <> 'string' then
      perform app.invalid('_patch.batch_number', 'string', '_patch.batch_number must be a string');
    end if;
    v_row.batch_number := app.check_text(_patch ->> 'batch_number', '_patch.batch_number', 100);
  end if;
  if _patch ? 'quantity' then
    if jsonb_typeof(_patch -> 'quantity') = 'null' then
      perform app.invalid('_patch.quantity', 'required', '_patch.quantity cannot be null');
    end if;
    v_row.quantity := app.json_quantity(_patch -> 'quantity', '_patch.quantity');
  end if;
  if _patch ? 'attributes' then
    if jsonb_typeof(_patch -> 'attributes') = 'null' then
      v_row.attributes := '{}';
    else
      v_row.attributes := app.check_object(_patch -> 'attributes', '_patch.attributes');
    end if;
  end if;
  if _patch ? 'production_date' then v_row.production_date := app.json_date(_patch -> 'production_date', '_patch.production_date'); end if;
  if _patch ? 'received_date' then v_row.received_date := app.json_date(_patch -> 'received_date', '_patch.received_date'); end if;
  if _patch ? 'expiry_date' then v_row.expiry_date := app.json_date(_patch -> 'expiry_date', '_patch.expiry_date'); end if;
  foreach v_key in array array['external_id', 'unit', 'facility_ref', 'recall_message'] loop
    if _patch ? v_key and jsonb_typeof(_patch -> v_key) not in ('string', 'null') then
      perform app.invalid('_patch.' || v_key, 'string', format('_patch.%s must be a string or null', v_key));
    end if;
  end loop;
  if _patch ? 'external_id' then v_row.external_id := app.check_text(_patch ->> 'external_id', '_patch.external_id', 200, false); end if;
  if _patch ? 'unit' then v_row.unit := app.check_text(_patch ->> 'unit', '_patch.unit', 32, false); end if;
  if _patch ? 'facility_ref' then v_row.facility_ref := app.check_text(_patch ->> 'facility_ref', '_patch.facility_ref', 200, false); end if;
  if _patch ? 'recall_message' then v_row.recall_message := app.check_text(_patch ->> 'recall_message', '_patch.recall_message', 2000, false); end if;
  if v_row.expiry_date is not null and v_row.production_date is not null and v_row.expiry_date < v_row.production_date then
    perform app.invalid('_patch.expiry_date', 'after_production_date', 'expiry_date must not be before production_date');
  end if;

  begin
    update data.batches b
       set batch_number = v_row.batch_number, external_id = v_row.external_id,
           production_date = v_row.production_date, received_date = v_row.received_date,
           expiry_date = v_row.expiry_date, quantity = v_row.quantity, unit = v_row.unit,
           facility_ref = v_row.facility_ref, attributes = v_row.attributes, recall_message = v_row.recall_message
     where b.brand_id = _brand_id and b.id = _batch_id
    returning * into v_row;
  exception when unique_violation then
    if _patch ? 'batch_number' and exists (
         select from data.batches b where b.brand_id = _brand_id and b.product_id = v_row.product_id
            and b.batch_number = v_row.batch_number and b.id <> _batch_id) then
      perform app.raise('23505', format('Batch number "%s" already exists for product %s', v_row.batch_number, v_row.product_id),
                        jsonb_build_object('field', '_patch.batch_number', 'rule', 'unique', 'value', v_row.batch_number));
    end if;
    perform app.raise('23505', format('Batch with external id "%s" already exists', v_row.external_id),
                      jsonb_build_object('field', '_patch.external_id', 'rule', 'unique', 'value', v_row.external_id));
  end;
  return app.batch_out(v_row);
end
$$;
comment on function api.update_product_batch(uuid, uuid, jsonb, integer) is
  $$Patch a batch's metadata. _patch keys: batch_number, external_id, production_date, received_date, expiry_date, quantity, unit, facility_ref, attributes, recall_message; any other key is a 400 naming it (status: use set_batch_status). _expected_version → 412 when stale. Errors: 400, 401, 403, 404, 409, 412.$$;
grant execute on function api.update_product_batch(uuid, uuid, jsonb, integer) to authenticated;
