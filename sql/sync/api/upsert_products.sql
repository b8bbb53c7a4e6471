create function api.upsert_products(_brand_id uuid, _products jsonb)
returns api.sync_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_rows app.sync_record[];
begin
  perform app.sync_begin(_brand_id, 'products', '_products', _products);   -- 401/403/400 before anything is read

  -- Each record: what it sets (an absent key keeps the stored value, null clears it), its field errors and
  -- its supplier, looked up for the whole payload at once (see app.sync_records).
  with s as materialized (
    select s.*, app.sync_text(s.r -> 'supplierExternalId') as supplier_ext
      from app.sync_records(_brand_id, _products, null::data.products) s
  ), se as (
    select z.external_id as supplier_ext, z.id from data.suppliers z
     where z.brand_id = _brand_id
       and z.external_id = any (array(select distinct s.supplier_ext from s where s.supplier_ext is not null))
  )
  select array_agg(app.sync_record(
           _ord => s.ord, _ext => s.ext, _stored => to_jsonb(s.cur),
           _values => app.sync_column(s.r, 'name', 'name', app.sync_text(s.r -> 'name'))
                  || app.sync_column(s.r, 'supplierExternalId', 'supplier_id', sup.id)
                  || app.sync_column(s.r, 'gtin', 'gtin', app.sync_gtin(s.r -> 'gtin'))
                  || app.sync_column(s.r, 'sku', 'sku', app.sync_text(s.r -> 'sku'))
                  || app.sync_column(s.r, 'ean', 'ean', app.sync_text(s.r -> 'ean'))
                  || app.sync_column(s.r, 'articleCode', 'article_code', app.sync_text(s.r -> 'articleCode'))
                  || app.sync_column(s.r, 'unit', 'unit', app.sync_text(s.r -> 'unit'))
                  || app.sync_column(s.r, 'expirable', 'expirable', coalesce(app.sync_bool(s.r -> 'expirable'), false))
                  || app.sync_column(s.r, 'serialized', 'serialized', coalesce(app.sync_bool(s.r -> 'serialized'), false))
                  || app.sync_column(s.r, 'attributes', 'attributes',
                                     coalesce(case when jsonb_typeof(s.r -> 'attributes') = 'object' then s.r -> 'attributes' end, '{}')),
           _error => app.sync_field_errors(s.ord, s.r, array['externalId', 'name', 'supplierExternalId', 'gtin', 'sku', 'ean',
                                                          'articleCode', 'unit', 'expirable', 'serialized', 'attributes'],
             app.sync_text_error(s.r -> 'name', 'name', 300, true),
             app.sync_text_error(s.r -> 'supplierExternalId', 'supplierExternalId', 200, false),
             app.sync_gtin_error(s.r -> 'gtin', 'gtin'),
             app.sync_text_error(s.r -> 'sku', 'sku', 100, false),
             app.sync_text_error(s.r -> 'ean', 'ean', 50, false),
             app.sync_text_error(s.r -> 'articleCode', 'articleCode', 100, false),
             app.sync_text_error(s.r -> 'unit', 'unit', 32, false),
             app.sync_bool_error(s.r -> 'expirable', 'expirable'),
             app.sync_bool_error(s.r -> 'serialized', 'serialized'),
             app.sync_object_error(s.r -> 'attributes', 'attributes')),
           _rule_error => case when s.supplier_ext is not null and sup.id is null and length(s.supplier_ext) <= 200
                              then format('Supplier with externalId "%s" not found. Sync suppliers first.', s.supplier_ext) end))
    into v_rows
    from s
    left join se sup on sup.supplier_ext = s.supplier_ext;

  return jsonb_populate_record(null::api.sync_result,
    app.sync_upsert(_brand_id, 'products', 'Product', v_rows,
                    _defaults => '{"expirable": false, "serialized": false, "attributes": {}}'));
end
$$;
comment on function api.upsert_products(uuid, jsonb) is
  $$Bulk upsert of products keyed by externalId within the brand (seed B, POST /integration/products; sync suppliers first, batches after). _products: JSON array of at most 500 records {externalId, name (required), supplierExternalId, gtin (8/12/13/14 digits, valid check digit; stored as GTIN-14), sku, ean, articleCode, unit, expirable, serialized (booleans), attributes (object)}; an absent key keeps the stored value, null clears it. An unknown supplier: 'Supplier with externalId "S-9" not found. Sync suppliers first.' Each record is CREATED, UPDATED, UNCHANGED (identical push: nothing written) or ERROR; a bad record never sinks the others. Returns {success, created, updated, errors, records, ddsCreated: []}; success is false when any record failed (the valid ones are still written). Requires editor and, for scoped tokens, integration:products:write. Errors: 400 (_products not an array, or more than 500 records, rule max_items), 401, 403.$$;
grant execute on function api.upsert_products(uuid, jsonb) to authenticated;
