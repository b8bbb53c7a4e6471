create function api.create_product(
  _brand_id      uuid,
  _name          text,
  _gtin          text    default null,
  _sku           text    default null,
  _ean           text    default null,
  _article_code  text    default null,
  _unit          text    default null,
  _expirable     boolean default false,
  _serialized    boolean default false,
  _external_id   text    default null,
  _supplier_id   uuid    default null,
  _attributes    jsonb   default null
)
returns api.product
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_row data.products;
begin
  perform app.require_role(_brand_id, 'editor', 'products:write');
  if _supplier_id is not null and not exists (
       select from data.suppliers s where s.brand_id = _brand_id and s.id = _supplier_id) then
    perform app.raise('PT404', format('Supplier %s not found', _supplier_id),
                      jsonb_build_object('field', '_supplier_id', 'rule', 'exists'));
  end if;
  begin
    insert into data.products (brand_id, name, gtin, sku, ean, article_code, unit, expirable, serialized,
                               external_id, supplier_id, attributes)
    values (_brand_id,
            app.check_text(_name, '_name', 300),
            app.normalize_gtin(_gtin, '_gtin'),
            app.check_text(_sku, '_sku', 100, false),
            app.check_text(_ean, '_ean', 50, false),
            app.check_text(_article_code, '_article_code', 100, false),
            app.check_text(_unit, '_unit', 32, false),
            coalesce(_expirable, false),
            coalesce(_serialized, false),
            app.check_text(_external_id, '_external_id', 200, false),
            _supplier_id,
            coalesce(app.check_object(_attributes, '_attributes'), '{}'))
    returning * into v_row;
  exception when unique_violation then
    perform app.raise('23505', format('Product with external id "%s" already exists', _external_id),
                      jsonb_build_object('field', '_external_id', 'rule', 'unique', 'value', _external_id));
  end;
  return app.product_out(v_row);
end
$$;
comment on function api.create_product(uuid, text, text, text, text, text, text, boolean, boolean, text, uuid, jsonb) is
  $$Create a product. _gtin (8/12/13/14 digits with a valid check digit) is stored as GTIN-14. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.create_product(uuid, text, text, text, text, text, text, boolean, boolean, text, uuid, jsonb) to authenticated;
