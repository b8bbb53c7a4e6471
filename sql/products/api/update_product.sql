-- Patch a product's fields (the same patch rules as update_product_batch: docs/products.md).
create function api.update_product(_brand_id uuid, _product_id uuid, _patch jsonb, _expected_version integer default null)
returns api.product
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row data.products;
  v_patchable constant text[] := array['name', 'external_id', 'supplier_id', 'gtin', 'sku', 'ean', 'article_code', 'unit',
                                       'expirable', 'serialized', 'attributes'];
begin
  perform app.require_role(_brand_id, 'editor', 'products:write');
  perform app.check_patch_keys(_patch, v_patchable, array['id', 'brand_id', 'created_at', 'updated_at', 'version', 'archived_at'], 'product');
  v_row := app.product_for_change(_brand_id, _product_id, _expected_version);

  if _patch ? 'name' then v_row.name := app.json_text(_patch -> 'name', '_patch.name', 300, true); end if;
  if _patch ? 'external_id' then v_row.external_id := app.json_text(_patch -> 'external_id', '_patch.external_id', 200); end if;
  if _patch ? 'gtin' then v_row.gtin := app.normalize_gtin(app.json_text(_patch -> 'gtin', '_patch.gtin', 100), '_patch.gtin'); end if;
  if _patch ? 'sku' then v_row.sku := app.json_text(_patch -> 'sku', '_patch.sku', 100); end if;
  if _patch ? 'ean' then v_row.ean := app.json_text(_patch -> 'ean', '_patch.ean', 50); end if;
  if _patch ? 'article_code' then v_row.article_code := app.json_text(_patch -> 'article_code', '_patch.article_code', 100); end if;
  if _patch ? 'unit' then v_row.unit := app.json_text(_patch -> 'unit', '_patch.unit', 32); end if;
  if _patch ? 'expirable' then v_row.expirable := app.json_bool(_patch -> 'expirable', '_patch.expirable'); end if;
  if _patch ? 'serialized' then v_row.serialized := app.json_bool(_patch -> 'serialized', '_patch.serialized'); end if;
  if _patch ? 'attributes' then
    v_row.attributes := coalesce(app.check_object(nullif(_patch -> 'attributes', 'null'), '_patch.attributes'), '{}');
  end if;
  if _patch ? 'supplier_id' then
    if jsonb_typeof(_patch -> 'supplier_id') not in ('string', 'null')
       or (_patch ->> 'supplier_id') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
      perform app.invalid('_patch.supplier_id', 'pattern', '_patch.supplier_id must be a supplier id (uuid) or null');
    end if;
    v_row.supplier_id := null;
    if _patch ->> 'supplier_id' is not null then
      select s.id into v_row.supplier_id from data.suppliers s
       where s.brand_id = _brand_id and s.id = (_patch ->> 'supplier_id')::uuid;
      if not found then
        perform app.raise('PT404', format('Supplier %s not found', _patch ->> 'supplier_id'),
                          jsonb_build_object('field', '_patch.supplier_id', 'rule', 'exists'));
      end if;
    end if;
  end if;

  begin
    update data.products p
       set name = v_row.name, external_id = v_row.external_id, supplier_id = v_row.supplier_id, gtin = v_row.gtin,
           sku = v_row.sku, ean = v_row.ean, article_code = v_row.article_code, unit = v_row.unit,
           expirable = v_row.expirable, serialized = v_row.serialized, attributes = v_row.attributes
     where p.brand_id = _brand_id and p.id = _product_id
    returning * into v_row;
    perform app.require_found(found, '_product_id', format('Product %s not found', _product_id));
  exception when unique_violation then
    perform app.raise('23505', format('Product with external id "%s" already exists', v_row.external_id),
                      jsonb_build_object('field', '_patch.external_id', 'rule', 'unique', 'value', v_row.external_id));
  end;
  return app.product_out(v_row);
end
$$;
comment on function api.update_product(uuid, uuid, jsonb, integer) is
  $$Patch a product. _patch keys: name, external_id, supplier_id, gtin (8/12/13/14 digits, valid check digit; stored as GTIN-14), sku, ean, article_code, unit, expirable, serialized, attributes; null clears a key (name cannot be cleared); any other key is a 400 naming it. A product created without an external id can be given one here. An archived product cannot be changed (409). _expected_version → 412 when stale. Editor role, scope products:write. Errors: 400, 401, 403, 404, 409, 412.$$;
grant execute on function api.update_product(uuid, uuid, jsonb, integer) to authenticated;
