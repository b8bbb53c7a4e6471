create function api.upsert_batches(_brand_id uuid, _batches jsonb, _auto_create_dds boolean default false)
returns api.sync_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_sub       text := app.current_user_id();
  v_in        jsonb;    -- one object per input record, input order: outcome of validation + values to write
  v_expect    jsonb;    -- externalId → version read while validating, for the rows to update
  v_ids       uuid[];   -- rows the upsert wrote ...
  v_exts      text[];
  v_new       boolean[];  -- ... and whether it inserted them
  v_dds_ids   uuid[];
  v_dds_batch uuid[];
begin
  perform app.require_role(_brand_id, 'editor', 'integration:batches:write');
  perform app.sync_check_payload(_batches, '_batches');       -- 400 before anything is read or written
  perform app.sync_lock(_brand_id, 'batches');                 -- one batch sync per brand at a time
  perform app.sync_refresh_stats('batches');             -- statistics fresh enough for index probes

  -- 1. Validate every record in one statement: field rules, duplicates in the payload, the product,
  --    the batch number's uniqueness, and what the row would become (absent key = keep, null = clear).
  with src as (
    select t.ord::integer as ord, t.r, jsonb_typeof(t.r) = 'object' as is_obj
      from jsonb_array_elements(_batches) with ordinality as t(r, ord)
  ), f as materialized (
    select s.ord,
           app.sync_text(s.r -> 'externalId') as ext,
           app.sync_text(s.r -> 'productExternalId') as product_ext,
           app.sync_text(s.r -> 'batchNumber') as batch_number,
           s.is_obj and s.r ? 'quantity' as has_quantity,       app.sync_number(s.r -> 'quantity') as quantity,
           s.is_obj and s.r ? 'unit' as has_unit,               app.sync_text(s.r -> 'unit') as unit,
           s.is_obj and s.r ? 'receivedDate' as has_received,   app.sync_date(s.r -> 'receivedDate') as received_date,
           s.is_obj and s.r ? 'expiryDate' as has_expiry,       app.sync_date(s.r -> 'expiryDate') as expiry_date,
           case when not s.is_obj then format('record #%s must be a JSON object', s.ord)
                else nullif(concat_ws('; ',
                  app.sync_text_error(s.r -> 'externalId', 'externalId', 200, true)
                    || case when app.sync_text(s.r -> 'externalId') is null then format(' (record #%s)', s.ord) else '' end,
                  app.sync_text_error(s.r -> 'productExternalId', 'productExternalId', 200, true),
                  app.sync_text_error(s.r -> 'batchNumber', 'batchNumber', 100, true),
                  app.sync_quantity_error(s.r -> 'quantity', 'quantity'),
                  app.sync_text_error(s.r -> 'unit', 'unit', 32, false),
                  app.sync_date_error(s.r -> 'receivedDate', 'receivedDate'),
                  app.sync_date_error(s.r -> 'expiryDate', 'expiryDate'),
                  app.sync_unknown_fields_error(s.r, array['externalId', 'productExternalId', 'batchNumber', 'quantity',
                                                          'unit', 'receivedDate', 'expiryDate'])), '')
           end as field_error
      from src s
  ), cur as (   -- the stored rows of the payload's external ids, one index scan for the whole payload
    select x.external_id as ext, x as cur from data.batches x
     where x.brand_id = _brand_id and x.external_id = any (array(select f.ext from f where f.ext is not null))
  ), pe as (    -- the referenced products (a payload names few)
    select y.external_id as product_ext, y.id, y.archived_at from data.products y
     where y.brand_id = _brand_id
       and y.external_id = any (array(select distinct f.product_ext from f where f.product_ext is not null))
  ), taken as ( -- stored batches holding one of the payload's batch numbers (any product)
    select x.product_id, x.batch_number, x.external_id from data.batches x
     where x.brand_id = _brand_id
       and lower(x.batch_number) = any (array(select distinct lower(f.batch_number) from f where f.batch_number is not null))
       and x.batch_number = any (array(select f.batch_number from f where f.batch_number is not null))
  ), j as (
    -- Set-based lookups (= any (array) + hash joins) rather than a probe per record: when statistics are
    -- missing or stale (a table that just grew from empty) a per-record probe can pick a brand-wide index
    -- and cost O(brand) per record; this way the worst case is one scan per call.
    select f.*, c.cur, p.id as product_id, p.archived_at is not null as product_archived, t.product_id is not null as number_taken,
           case when f.ext is not null then count(*) over (partition by f.ext) end as ext_count,
           -- another record of this payload claims the same (product, batchNumber); the record whose
           -- stored batch already has that number keeps it, the others are blamed
           p.id is not null and f.batch_number is not null
             and min(f.ext) over (partition by p.id, f.batch_number) is distinct from max(f.ext) over (partition by p.id, f.batch_number)
             and ((c.cur).product_id, (c.cur).batch_number) is distinct from (p.id, f.batch_number) as number_shared,
           case when f.has_quantity then coalesce(f.quantity, 0) else coalesce((c.cur).quantity, 0) end as m_quantity,
           case when f.has_unit then f.unit else (c.cur).unit end as m_unit,
           case when f.has_received then f.received_date else (c.cur).received_date end as m_received,
           case when f.has_expiry then f.expiry_date else (c.cur).expiry_date end as m_expiry
      from f
      left join cur c on c.ext = f.ext
      left join pe p on p.product_ext = f.product_ext
      left join taken t on t.product_id = p.id and t.batch_number = f.batch_number and t.external_id is distinct from f.ext
  ), k as (
    select j.*,
           (j.cur).id is null
             or ((j.cur).product_id, (j.cur).batch_number, (j.cur).quantity, (j.cur).unit, (j.cur).received_date, (j.cur).expiry_date)
                is distinct from (j.product_id, j.batch_number, j.m_quantity, j.m_unit, j.m_received, j.m_expiry) as will_change
      from j
  ), e as materialized (   -- materialized: error and will_change are read twice below
    select k.*,
           nullif(concat_ws('; ',
             k.field_error,
             case when k.ext_count > 1 then format('externalId "%s" appears %s times in this payload', k.ext, k.ext_count) end,
             case when k.product_ext is not null and k.product_id is null and length(k.product_ext) <= 200
                  then format('Product with externalId "%s" not found. Sync products first.', k.product_ext) end,
             case when (k.cur).id is not null and k.product_id is not null and (k.cur).product_id <> k.product_id
                  then format('productExternalId cannot change: batch "%s" already belongs to another product', k.ext) end,
             case when k.number_shared
                  then format('batchNumber "%s" is used by more than one record of product "%s" in this payload', k.batch_number, k.product_ext) end,
             case when k.number_taken
                  then format('batchNumber "%s" is already used by another batch of product "%s"', k.batch_number, k.product_ext) end,
             case when (k.cur).id is null and k.product_archived
                  then format('Product with externalId "%s" is archived: it takes no new batches', k.product_ext) end,
             case when (k.cur).status = 'archived' and k.will_change
                  then format('Batch with externalId "%s" is archived and cannot be changed', k.ext) end
           ), '') as error
      from k
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'ord', e.ord, 'ext', e.ext, 'id', (e.cur).id, 'error', e.error, 'change', e.will_change,
           'product_id', e.product_id, 'batch_number', e.batch_number, 'quantity', e.m_quantity, 'unit', e.m_unit,
           'received_date', e.m_received, 'expiry_date', e.m_expiry) order by e.ord), '[]'),
         coalesce(jsonb_object_agg(e.ext, (e.cur).version)
                    filter (where e.error is null and e.will_change and (e.cur).id is not null), '{}')
    into v_in, v_expect
    from e;

  -- 2. Write only what is new or changed: one upsert. The version guard makes a row that another
  --    (non-sync) request changed since step 1 come back unwritten instead of being overwritten.
  with v as (
    select x.* from jsonb_to_recordset(v_in) as x(ext text, error text, change boolean, product_id uuid, batch_number text,
                                                 quantity numeric, unit text, received_date date, expiry_date date)
     where x.error is null and x.change
  ), up as (
    insert into data.batches as b (brand_id, product_id, external_id, batch_number, quantity, unit, received_date, expiry_date, created_by)
    select _brand_id, v.product_id, v.ext, v.batch_number, v.quantity, v.unit, v.received_date, v.expiry_date, v_sub
      from v
     order by v.ext
    on conflict (brand_id, external_id) do update
       set batch_number = excluded.batch_number, quantity = excluded.quantity, unit = excluded.unit,
           received_date = excluded.received_date, expiry_date = excluded.expiry_date
     where b.version = (v_expect ->> excluded.external_id)::integer
       and b.product_id = excluded.product_id
       and (b.batch_number, b.quantity, b.unit, b.received_date, b.expiry_date)
           is distinct from (excluded.batch_number, excluded.quantity, excluded.unit, excluded.received_date, excluded.expiry_date)
    returning b.id, b.external_id, b.xmax = 0 as created
  )
  select array_agg(up.id), array_agg(up.external_id), array_agg(up.created) into v_ids, v_exts, v_new from up;

  -- 3. Draft a due-diligence statement for each created batch, when asked.
  if coalesce(_auto_create_dds, false) and true = any (v_new) then
    select array_agg(d.dds_id), array_agg(d.dds_batch_id) into v_dds_ids, v_dds_batch
      from app.sync_create_draft_dds(_brand_id, array(select u.id from unnest(v_ids, v_new) as u(id, created) where u.created)) d;
  end if;

  -- 4. The push API's response, records in input order.
  return app.sync_result_of('Batch', v_in, v_exts, v_ids, v_new, v_dds_batch, v_dds_ids);
end
$$;
comment on function api.upsert_batches(uuid, jsonb, boolean) is
  $$Bulk upsert of batches keyed by externalId within the brand (the integration push API, POST /integration/batches). _batches: JSON array of at most 500 records {externalId, productExternalId, batchNumber (required), quantity (number >= 0), unit, receivedDate, expiryDate (YYYY-MM-DD)}; an absent key keeps the stored value, null clears it (quantity → 0). Each record is CREATED, UPDATED, UNCHANGED (identical push: nothing written, updated_at/version untouched) or ERROR; a bad record never sinks the others. A product must be synced first: 'Product with externalId "ITEM-999" not found. Sync products first.' _auto_create_dds drafts a due-diligence statement for each created batch (ddsCreated). Returns {success, created, updated, errors, records, ddsCreated}; success is false when any record failed (the valid ones are still written). Requires editor and, for scoped tokens, integration:batches:write. Errors: 400 (_batches not an array, or more than 500 records, rule max_items), 401, 403.$$;
grant execute on function api.upsert_batches(uuid, jsonb, boolean) to authenticated;
