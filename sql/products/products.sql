-- Products: the lock-and-check every product change starts with, and the archiving rules (docs/products.md).

-- The product row locked for a change: 404 unknown, 412 stale _expected_version, 409 archived.
create or replace function app.product_for_change(_brand_id uuid, _product_id uuid, _expected_version integer)
returns data.products
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_row data.products;
begin
  select * into v_row from data.products p where p.brand_id = _brand_id and p.id = _product_id for update;
  if not found then
    perform app.raise('PT404', format('Product %s not found', _product_id), jsonb_build_object('field', '_product_id', 'rule', 'exists'));
  end if;
  if _expected_version is not null and _expected_version <> v_row.version then
    perform app.raise('PT412', format('Product %s is at version %s, not %s', _product_id, v_row.version, _expected_version),
                      jsonb_build_object('field', '_expected_version', 'rule', 'current_version', 'current', v_row.version));
  end if;
  if v_row.archived_at is not null then
    perform app.raise('PT409', format('Product %s is archived and cannot be changed', _product_id),
                      jsonb_build_object('field', '_product_id', 'rule', 'state', 'state', 'archived'));
  end if;
  return v_row;
end
$$;

-- _100_archived_is_final (data.products, before update): an archived product does not change, whoever writes.
create or replace function app.tg__product_archived_is_final()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if old.archived_at is not null and to_jsonb(new) is distinct from to_jsonb(old) then
    perform app.raise('PT409', format('Product %s is archived and cannot be changed', old.id),
                      jsonb_build_object('field', '_product_id', 'rule', 'state', 'state', 'archived'));
  end if;
  return new;
end
$$;

-- _300_product_not_archived (data.batches, after insert, per statement): no new batch of an archived
-- product, whoever inserts (an AFTER INSERT trigger sees only inserted rows, so the updating half of a
-- sync upsert is not affected). One set-based check per statement, not a probe per row.
create or replace function app.tg__batches_of_live_products()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_product uuid;
begin
  select p.id into v_product
    from data.products p
   where p.archived_at is not null
     and (p.brand_id, p.id) in (select n.brand_id, n.product_id from new_rows n)
   limit 1;
  if found then
    perform app.raise('PT409', format('Product %s is archived: it takes no new batches', v_product),
                      jsonb_build_object('field', '_product_id', 'rule', 'state', 'state', 'archived', 'product_id', v_product));
  end if;
  return null;
end
$$;
grant execute on function app.product_for_change(uuid, uuid, integer), app.tg__product_archived_is_final(),
  app.tg__batches_of_live_products() to authenticated;
