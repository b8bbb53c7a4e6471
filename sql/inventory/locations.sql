-- Inventory: where stock may be put, and archiving a location. Lock order: stock-ledger.sql.

-- A live location that stock may be put into: locked FOR SHARE (archive_location waits for us, and we for
-- it), 404 when absent, 409 when archived. Internal (no grant).
create or replace function app.inventory_location_for_write(_brand_id uuid, _location_id uuid, _field text)
returns data.locations
language plpgsql volatile security invoker set search_path = ''
as $$
declare v data.locations;
begin
  if _location_id is null then
    perform app.invalid(_field, 'required', format('%s is required', _field));
  end if;
  select * into v from data.locations l where l.brand_id = _brand_id and l.id = _location_id for share;
  if not found then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', _field, 'rule', 'exists'));
  end if;
  if v.archived_at is not null then
    perform app.raise('PT409', format('Location "%s" is archived and takes no stock', v.name),
                      jsonb_build_object('field', _field, 'rule', 'state', 'state', 'archived', 'location_id', _location_id));
  end if;
  return v;
end
$$;

-- Archive a location: admin only, and only while it holds no stock and no pending transfer leaves or
-- enters it. The row lock (FOR UPDATE) conflicts with the FOR SHARE that receipts, adjustments and
-- transfers take on a location they put stock into, so the check cannot be overtaken.
create or replace function app.location_archive(_brand_id uuid, _location_id uuid)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row data.locations;
  v_stock numeric;
  v_pending bigint;
begin
  perform app.require_role(_brand_id, 'admin', 'inventory:write');
  if _location_id is null then
    perform app.invalid('_location_id', 'required', '_location_id is required');
  end if;
  select * into v_row from data.locations l where l.brand_id = _brand_id and l.id = _location_id for update;
  if not found then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
  end if;
  if v_row.archived_at is not null then
    perform app.raise('PT409', format('Location "%s" is already archived', v_row.name),
                      jsonb_build_object('field', '_location_id', 'rule', 'state', 'state', 'archived'));
  end if;
  select coalesce(sum(s.quantity), 0) into v_stock from data.stock s where s.brand_id = _brand_id and s.location_id = _location_id;
  if v_stock > 0 then
    perform app.raise('PT409', format('Location "%s" still holds stock (%s); move or adjust it out before archiving', v_row.name, v_stock),
                      jsonb_build_object('field', '_location_id', 'rule', 'empty', 'state', 'has_stock', 'quantity', v_stock));
  end if;
  select count(*) into v_pending from data.transfers t
   where t.brand_id = _brand_id and t.status = 'pending' and (t.from_location_id = _location_id or t.to_location_id = _location_id);
  if v_pending > 0 then
    perform app.raise('PT409', format('Location "%s" has %s pending transfer(s); accept, decline or cancel them before archiving', v_row.name, v_pending),
                      jsonb_build_object('field', '_location_id', 'rule', 'no_pending_transfers', 'state', 'pending_transfers', 'pending', v_pending));
  end if;
  update data.locations l set archived_at = pg_catalog.now() where l.brand_id = _brand_id and l.id = _location_id;
end
$$;
alter function app.location_archive(uuid, uuid) owner to lotline_auth;
comment on function app.location_archive(uuid, uuid) is
  'Definer: archived_at has no update grant for callers (an archived location takes no stock); archives for an admin (checked first) only when empty.';

alter function app.inventory_location_for_write(uuid, uuid, text) owner to lotline_auth;
revoke execute on function app.inventory_location_for_write(uuid, uuid, text), app.location_archive(uuid, uuid) from public;
grant execute on function app.location_archive(uuid, uuid) to authenticated;
