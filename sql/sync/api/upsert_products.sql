create function api.upsert_products(_brand_id uuid, _products jsonb)
returns api.sync_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_in      jsonb;    -- one object per input record, input order: outcome of validation + values to write
  v_expect  jsonb;    -- externalId → version read while validating, for the rows to update
  v_ids     uuid[];
  v_exts    text[];
  v_new     boolean[];
begin
  perform app.require_role(_brand_id, 'editor', 'integration:products:write');
  perform app.sync_check_payload(_products, '_products');     -- 400 before anything is read or written
  perform app.sync_lock(_brand_id, 'products');
  perform app.sync_refresh_stats('products');             -- statistics fresh enough for index probes

  -- 1. Validate every record in one statement (absent key = keep the stored value, null = clear it).
  with src as (
    select t.ord::integer as ord, t.r, jsonb_typeof(t.r) = 'object' as is_obj
      from jsonb_array_elements(_products) with ordinality as t(r, ord)
  ), f as materialized (
    select s.ord,
           app.sync_text(s.r -> 'externalId') as ext,
           app.sync_text(s.r -> 'name') as name,
           s.is_obj and s.r ? 'supplierExternalId' as has_supplier, app.sync_text(s.r -> 'supplierExternalId') as supplier_ext,
           s.is_obj and s.r ? 'gtin' as has_gtin,                 app.sync_gtin(s.r -> 'gtin') as gtin,
           s.is_obj and s.r ? 'sku' as has_sku,                   app.sync_text(s.r -> 'sku') as sku,
           s.is_obj and s.r ? 'ean' as has_ean,                   app.sync_text(s.r -> 'ean') as ean,
           s.is_obj and s.r ? 'articleCode' as has_article_code,  app.sync_text(s.r -> 'articleCode') as article_code,
           s.is_obj and s.r ? 'unit' as has_unit,                 app.sync_text(s.r -> 'unit') as unit,
           s.is_obj and s.r ? 'expirable' as has_expirable,       app.sync_bool(s.r -> 'expirable') as expirable,
           s.is_obj and s.r ? 'serialized' as has_serialized,     app.sync_bool(s.r -> 'serialized') as serialized,
           s.is_obj and s.r ? 'attributes' as has_attributes,
           case when jsonb_typeof(s.r -> 'attributes') = 'object' then s.r -> 'attributes' end as attributes,
           case when not s.is_obj then format('record #%s must be a JSON object', s.ord)
                else nullif(concat_ws('; ',
                  app.sync_text_error(s.r -> 'externalId', 'externalId', 200, true)
                    || case when app.sync_text(s.r -> 'externalId') is null then format(' (record #%s)', s.ord) else '' end,
                  app.sync_text_error(s.r -> 'name', 'name', 300, true),
                  app.sync_text_error(s.r -> 'supplierExternalId', 'supplierExternalId', 200, false),
                  app.sync_gtin_error(s.r -> 'gtin', 'gtin'),
                  app.sync_text_error(s.r -> 'sku', 'sku', 100, false),
                  app.sync_text_error(s.r -> 'ean', 'ean', 50, false),
                  app.sync_text_error(s.r -> 'articleCode', 'articleCode', 100, false),
                  app.sync_text_error(s.r -> 'unit', 'unit', 32, false),
                  app.sync_bool_error(s.r -> 'expirable', 'expirable'),
                  app.sync_bool_error(s.r -> 'serialized', 'serialized'),
                  app.sync_object_error(s.r -> 'attributes', 'attributes'),
                  app.sync_unknown_fields_error(s.r, array['externalId', 'name', 'supplierExternalId', 'gtin', 'sku', 'ean',
                                                          'articleCode', 'unit', 'expirable', 'serialized', 'attributes'])), '')
           end as field_error
      from src s
  ), cur as (   -- the stored rows of the payload's external ids, one index scan for the whole payload
    select y.external_id as ext, y as cur from data.products y
     where y.brand_id = _brand_id and y.external_id = any (array(select f.ext from f where f.ext is not null))
  ), se as (    -- the referenced suppliers
    select z.external_id as supplier_ext, z.id from data.suppliers z
     where z.brand_id = _brand_id
       and z.external_id = any (array(select distinct f.supplier_ext from f where f.supplier_ext is not null))
  ), j as (
    select f.*, x.cur, sup.id as supplier_id,
           case when f.ext is not null then count(*) over (partition by f.ext) end as ext_count,
           case when f.has_supplier then sup.id else (x.cur).supplier_id end as m_supplier_id,
           case when f.has_gtin then f.gtin else (x.cur).gtin end as m_gtin,
           case when f.has_sku then f.sku else (x.cur).sku end as m_sku,
           case when f.has_ean then f.ean else (x.cur).ean end as m_ean,
           case when f.has_article_code then f.article_code else (x.cur).article_code end as m_article_code,
           case when f.has_unit then f.unit else (x.cur).unit end as m_unit,
           case when f.has_expirable then coalesce(f.expirable, false) else coalesce((x.cur).expirable, false) end as m_expirable,
           case when f.has_serialized then coalesce(f.serialized, false) else coalesce((x.cur).serialized, false) end as m_serialized,
           case when f.has_attributes then coalesce(f.attributes, '{}') else coalesce((x.cur).attributes, '{}') end as m_attributes
      -- set-based lookups (= any (array) + hash joins), not a probe per record: see upsert_batches
      from f
      left join cur x on x.ext = f.ext
      left join se sup on sup.supplier_ext = f.supplier_ext
  ), k as (
    select j.*,
           (j.cur).id is null
             or ((j.cur).name, (j.cur).supplier_id, (j.cur).gtin, (j.cur).sku, (j.cur).ean, (j.cur).article_code, (j.cur).unit,
                 (j.cur).expirable, (j.cur).serialized, (j.cur).attributes)
                is distinct from (j.name, j.m_supplier_id, j.m_gtin, j.m_sku, j.m_ean, j.m_article_code, j.m_unit,
                 j.m_expirable, j.m_serialized, j.m_attributes) as will_change
      from j
  ), e as materialized (   -- materialized: error and will_change are read twice below
    select j.*,
           nullif(concat_ws('; ',
             j.field_error,
             case when j.ext_count > 1 then format('externalId "%s" appears %s times in this payload', j.ext, j.ext_count) end,
             case when j.supplier_ext is not null and j.supplier_id is null and length(j.supplier_ext) <= 200
                  then format('Supplier with externalId "%s" not found. Sync suppliers first.', j.supplier_ext) end,
             case when (j.cur).archived_at is not null and j.will_change
                  then format('Product with externalId "%s" is archived and cannot be changed', j.ext) end
           ), '') as error
      from k j
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'ord', e.ord, 'ext', e.ext, 'id', (e.cur).id, 'error', e.error, 'change', e.will_change,
           'name', e.name, 'supplier_id', e.m_supplier_id, 'gtin', e.m_gtin, 'sku', e.m_sku, 'ean', e.m_ean,
           'article_code', e.m_article_code, 'unit', e.m_unit, 'expirable', e.m_expirable, 'serialized', e.m_serialized,
           'attributes', e.m_attributes) order by e.ord), '[]'),
         coalesce(jsonb_object_agg(e.ext, (e.cur).version)
                    filter (where e.error is null and e.will_change and (e.cur).id is not null), '{}')
    into v_in, v_expect
    from e;

  -- 2. Write only what is new or changed (version guard: see upsert_batches).
  with v as (
    select x.* from jsonb_to_recordset(v_in) as x(ext text, error text, change boolean, name text, supplier_id uuid,
                                                 gtin text, sku text, ean text, article_code text, unit text,
                                                 expirable boolean, serialized boolean, attributes jsonb)
     where x.error is null and x.change
  ), up as (
    insert into data.products as p (brand_id, external_id, name, supplier_id, gtin, sku, ean, article_code, unit,
                                    expirable, serialized, attributes)
    select _brand_id, v.ext, v.name, v.supplier_id, v.gtin, v.sku, v.ean, v.article_code, v.unit,
           v.expirable, v.serialized, v.attributes
      from v
     order by v.ext
    on conflict (brand_id, external_id) do update
       set name = excluded.name, supplier_id = excluded.supplier_id, gtin = excluded.gtin, sku = excluded.sku,
           ean = excluded.ean, article_code = excluded.article_code, unit = excluded.unit,
           expirable = excluded.expirable, serialized = excluded.serialized, attributes = excluded.attributes
     where p.version = (v_expect ->> excluded.external_id)::integer
       and (p.name, p.supplier_id, p.gtin, p.sku, p.ean, p.article_code, p.unit, p.expirable, p.serialized, p.attributes)
           is distinct from (excluded.name, excluded.supplier_id, excluded.gtin, excluded.sku, excluded.ean,
                             excluded.article_code, excluded.unit, excluded.expirable, excluded.serialized, excluded.attributes)
    returning p.id, p.external_id, p.xmax = 0 as created
  )
  select array_agg(up.id), array_agg(up.external_id), array_agg(up.created) into v_ids, v_exts, v_new from up;

  -- 3. The push API's response, records in input order.
  return app.sync_result_of('Product', v_in, v_exts, v_ids, v_new);
end
$$;
comment on function api.upsert_products(uuid, jsonb) is
  $$Bulk upsert of products keyed by externalId within the brand (the integration push API, POST /integration/products; sync suppliers first, batches after). _products: JSON array of at most 500 records {externalId, name (required), supplierExternalId, gtin (8/12/13/14 digits, valid check digit; stored as GTIN-14), sku, ean, articleCode, unit, expirable, serialized (booleans), attributes (object)}; an absent key keeps the stored value, null clears it. An unknown supplier: 'Supplier with externalId "S-9" not found. Sync suppliers first.' Each record is CREATED, UPDATED, UNCHANGED (identical push: nothing written) or ERROR; a bad record never sinks the others. Returns {success, created, updated, errors, records, ddsCreated: []}; success is false when any record failed (the valid ones are still written). Requires editor and, for scoped tokens, integration:products:write. Errors: 400 (_products not an array, or more than 500 records, rule max_items), 401, 403.$$;
grant execute on function api.upsert_products(uuid, jsonb) to authenticated;
