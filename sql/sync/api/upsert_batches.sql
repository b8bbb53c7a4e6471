create function api.upsert_batches(_brand_id uuid, _batches jsonb, _auto_create_dds boolean default false)
returns api.sync_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_rows app.sync_record[];
begin
  perform app.sync_begin(_brand_id, 'batches', '_batches', _batches);   -- 401/403/400 before anything is read

  -- Each record: what it sets (an absent key keeps the stored value, null clears it), its field errors, and
  -- the rules that need other rows: the product, the batch number's uniqueness, no move to another product,
  -- no change to an archived batch. Lookups are set-based for the whole payload (see app.sync_records).
  with s as materialized (
    select s.*, app.sync_text(s.r -> 'productExternalId') as product_ext, app.sync_text(s.r -> 'batchNumber') as batch_number
      from app.sync_records(_brand_id, _batches, null::data.batches) s
  ), pe as (    -- the referenced products (a payload names few)
    select y.external_id as product_ext, y.id from data.products y
     where y.brand_id = _brand_id
       and y.external_id = any (array(select distinct s.product_ext from s where s.product_ext is not null))
  ), taken as ( -- stored batches holding one of the payload's batch numbers (any product)
    select x.product_id, x.batch_number, x.external_id from data.batches x
     where x.brand_id = _brand_id
       and lower(x.batch_number) = any (array(select distinct lower(s.batch_number) from s where s.batch_number is not null))
       and x.batch_number = any (array(select s.batch_number from s where s.batch_number is not null))
  ), j as (
    select s.*, p.id as product_id, t.product_id is not null as number_taken,
           -- another record of this payload claims the same (product, batchNumber); the record whose
           -- stored batch already has that number keeps it, the others are blamed
           p.id is not null and s.batch_number is not null
             and min(s.ext) over (partition by p.id, s.batch_number) is distinct from max(s.ext) over (partition by p.id, s.batch_number)
             and ((s.cur).product_id, (s.cur).batch_number) is distinct from (p.id, s.batch_number) as number_shared
      from s
      left join pe p on p.product_ext = s.product_ext
      left join taken t on t.product_id = p.id and t.batch_number = s.batch_number and t.external_id is distinct from s.ext
  )
  select array_agg(app.sync_record(
           _ord => j.ord, _ext => j.ext, _stored => to_jsonb(j.cur),
           _values => app.sync_column(j.r, 'productExternalId', 'product_id', j.product_id)
                  || app.sync_column(j.r, 'batchNumber', 'batch_number', j.batch_number)
                  || app.sync_column(j.r, 'quantity', 'quantity', coalesce(app.sync_number(j.r -> 'quantity'), 0))
                  || app.sync_column(j.r, 'unit', 'unit', app.sync_text(j.r -> 'unit'))
                  || app.sync_column(j.r, 'receivedDate', 'received_date', app.sync_date(j.r -> 'receivedDate'))
                  || app.sync_column(j.r, 'expiryDate', 'expiry_date', app.sync_date(j.r -> 'expiryDate')),
           _error => app.sync_field_errors(j.ord, j.r, array['externalId', 'productExternalId', 'batchNumber', 'quantity',
                                                          'unit', 'receivedDate', 'expiryDate'],
             app.sync_text_error(j.r -> 'productExternalId', 'productExternalId', 200, true),
             app.sync_text_error(j.r -> 'batchNumber', 'batchNumber', 100, true),
             app.sync_quantity_error(j.r -> 'quantity', 'quantity'),
             app.sync_text_error(j.r -> 'unit', 'unit', 32, false),
             app.sync_date_error(j.r -> 'receivedDate', 'receivedDate'),
             app.sync_date_error(j.r -> 'expiryDate', 'expiryDate')),
           _rule_error => nullif(concat_ws('; ',
             case when j.product_ext is not null and j.product_id is null and length(j.product_ext) <= 200
                  then format('Product with externalId "%s" not found. Sync products first.', j.product_ext) end,
             case when (j.cur).id is not null and j.product_id is not null and (j.cur).product_id <> j.product_id
                  then format('productExternalId cannot change: batch "%s" already belongs to another product', j.ext) end,
             case when j.number_shared
                  then format('batchNumber "%s" is used by more than one record of product "%s" in this payload', j.batch_number, j.product_ext) end,
             case when j.number_taken
                  then format('batchNumber "%s" is already used by another batch of product "%s"', j.batch_number, j.product_ext) end), ''),
           _change_error => case when (j.cur).status = 'archived'
                                then format('Batch with externalId "%s" is archived and cannot be changed', j.ext) end))
    into v_rows
    from j;

  return jsonb_populate_record(null::api.sync_result,
    app.sync_upsert(_brand_id, 'batches', 'Batch', v_rows, _defaults => '{"quantity": 0}', _insert_only => array['product_id'],
                    _insert => jsonb_build_object('created_by', app.current_user_id()), _draft_dds => _auto_create_dds));
end
$$;
comment on function api.upsert_batches(uuid, jsonb, boolean) is
  $$Bulk upsert of batches keyed by externalId within the brand (seed B, POST /integration/batches). _batches: JSON array of at most 500 records {externalId, productExternalId, batchNumber (required), quantity (number >= 0), unit, receivedDate, expiryDate (YYYY-MM-DD)}; an absent key keeps the stored value, null clears it (quantity → 0). Each record is CREATED, UPDATED, UNCHANGED (identical push: nothing written, updated_at/version untouched) or ERROR; a bad record never sinks the others. A product must be synced first: 'Product with externalId "ITEM-999" not found. Sync products first.' _auto_create_dds drafts a due-diligence statement for each created batch (ddsCreated). Returns {success, created, updated, errors, records, ddsCreated}; success is false when any record failed (the valid ones are still written). Requires editor and, for scoped tokens, integration:batches:write. Errors: 400 (_batches not an array, or more than 500 records, rule max_items), 401, 403.$$;
grant execute on function api.upsert_batches(uuid, jsonb, boolean) to authenticated;
