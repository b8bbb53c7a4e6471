create function api.create_product_batch(
  _brand_id         uuid,
  _product_id       uuid,
  _batch_number     text,
  _production_date  date    default null,
  _quantity         numeric default null,
  _facility_ref     text    default null,
  _attributes       jsonb   default null,
  _expiry_date      date    default null,
  _received_date    date    default null,
  _unit             text    default null,
  _external_id      text    default null
)
returns api.batch
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row data.batches;
  v_number text;
begin
  perform app.require_role(_brand_id, 'editor', 'batches:write');
  if _product_id is null then
    perform app.invalid('_product_id', 'required', '_product_id is required');
  end if;
  v_number := app.check_text(_batch_number, '_batch_number', 100);
  perform app.check_quantity(_quantity, '_quantity');
  if _expiry_date is not null and _production_date is not null and _expiry_date < _production_date then
    perform app.invalid('_expiry_date', 'after_production_date', '_expiry_date must not be before _production_date');
  end if;
  if not exists (select from data.products p where p.brand_id = _brand_id and p.id = _product_id) then
    perform app.raise('PT404', format('Product %s not found', _product_id),
                      jsonb_build_object('field', '_product_id', 'rule', 'exists'));
  end if;
  insert into data.batches (brand_id, product_id, batch_number, production_date, quantity, facility_ref,
                            attributes, expiry_date, received_date, unit, external_id, created_by)
  values (_brand_id, _product_id, v_number, _production_date, coalesce(_quantity, 0),
          app.check_text(_facility_ref, '_facility_ref', 200, false),
          coalesce(app.check_object(_attributes, '_attributes'), '{}'),
          _expiry_date, _received_date,
          app.check_text(_unit, '_unit', 32, false),
          app.check_text(_external_id, '_external_id', 200, false),
          app.current_user_id())
  on conflict do nothing
  returning * into v_row;
  if not found then
    -- a unique key is taken: say which one
    if exists (select from data.batches b where b.brand_id = _brand_id and b.product_id = _product_id and b.batch_number = v_number) then
      perform app.raise('23505', format('Batch number "%s" already exists for product %s', v_number, _product_id),
                        jsonb_build_object('field', '_batch_number', 'rule', 'unique', 'value', v_number));
    end if;
    perform app.raise('23505', format('Batch with external id "%s" already exists', _external_id),
                      jsonb_build_object('field', '_external_id', 'rule', 'unique', 'value', _external_id));
  end if;
  return app.batch_out(v_row);
end
$$;
comment on function api.create_product_batch(uuid, uuid, text, date, numeric, text, jsonb, date, date, text, text) is
  $$Create a production batch for a product (status active). _batch_number is unique within the product; _production_date, _quantity (>= 0), _facility_ref, _attributes (object) and the rest are optional. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.create_product_batch(uuid, uuid, text, date, numeric, text, jsonb, date, date, text, text) to authenticated;
