-- Inventory shapes: locations, inbound receipts, stock per (batch, location), ledger rows, transfers.
-- The row → type helpers live beside the types (dropped and rebuilt with api; app is not exposed).

create type api.location as (
  id           uuid,
  brand_id     uuid,
  name         text,
  kind         text,        -- warehouse | room | shop | vehicle | other
  note         text,
  created_by   text,
  created_at   timestamptz,
  updated_at   timestamptz,
  version      integer,
  archived_at  timestamptz
);
comment on type api.location is 'A place where stock lives (the retail partner API''s inventory room / shop).';

create type api.inbound_line as (
  line_no        integer,
  product_id     uuid,
  batch_id       uuid,
  batch_number   text,
  quantity       numeric,
  expiry_date    date,
  batch_created  boolean     -- true when this receipt created the batch
);

create type api.inbound as (
  id                  uuid,
  brand_id            uuid,
  number              text,        -- IN-000001, per brand
  location_id         uuid,
  location_name       text,
  reference           text,
  external_reference  text,
  note                text,
  received_at         timestamptz,
  created_by          text,
  total_quantity      numeric,
  lines               api.inbound_line[]
);
comment on type api.inbound is 'An inbound receipt (as in warehouse APIs) with its lines.';

-- The retail partner API's BatchQuantity: one batch at one location.
create type api.batch_quantity as (
  brand_id           uuid,
  batch_id           uuid,
  product_id         uuid,
  batch_number       text,
  batch_status       text,
  expiry_date        date,
  batch_archived     boolean,
  location_id        uuid,
  location_name      text,
  location_archived  boolean,
  quantity           numeric,      -- on hand
  committed          numeric,      -- reserved by pending transfers leaving this location and by reserved picks
  available          numeric,      -- quantity - committed; 0 while the stock here is unsellable
  in_transfer        numeric,      -- in pending transfers leaving this location (in transit out)
  incoming           numeric,      -- in pending transfers headed to this location (in transit in)
  updated_at         timestamptz,
  unsellable         boolean,      -- held (here or as a whole), recalled, archived or expired: app.batch_sellability
  unsellable_reasons api.unsellable_reason[]
);
comment on type api.batch_quantity is 'Quantity, committed, available and in-transit quantity of one batch at one location.';

create type api.stock_movement as (
  id               bigint,
  brand_id         uuid,
  kind             text,         -- receipt | adjustment | transfer_out | transfer_in | reservation | release | consumption | production | pick
  batch_id         uuid,
  location_id      uuid,
  quantity_delta   numeric,
  committed_delta  numeric,
  quantity_after   numeric,
  committed_after  numeric,
  reason           text,
  inbound_id       uuid,
  transfer_id      uuid,
  actor            text,
  created_at       timestamptz,
  trace_event_id   uuid,         -- consumption | production: the genealogy event (produce_batch, split_batch, merge_batches)
  pick_id          uuid          -- the pick list of a reservation, release or pick
);
comment on type api.stock_movement is 'One row of the append-only stock ledger.';

create type api.transfer_line as (
  batch_id      uuid,
  product_id    uuid,
  batch_number  text,
  quantity      numeric
);

create type api.transfer as (
  id                  uuid,
  brand_id            uuid,
  number              text,        -- TR-000001, per brand
  status              text,        -- pending | accepted | declined | cancelled (docs/state-machine.md)
  from_location_id    uuid,
  from_location_name  text,
  to_location_id      uuid,
  to_location_name    text,
  note                text,
  created_by          text,
  created_at          timestamptz,
  updated_by          text,
  updated_at          timestamptz,
  version             integer,
  accepted_by         text,
  accepted_at         timestamptz,
  declined_by         text,
  declined_at         timestamptz,
  decline_reason      text,
  cancelled_by        text,
  cancelled_at        timestamptz,
  cancel_reason       text,
  total_quantity      numeric,
  lines               api.transfer_line[]
);
comment on type api.transfer is 'An inventory transfer between two locations (the retail partner API''s InventoryTransferHistory) with its lines.';

create or replace function app.location_out(_l data.locations)
returns api.location
language sql stable security invoker set search_path = ''
as $$
  select row(_l.id, _l.brand_id, _l.name, _l.kind, _l.note, _l.created_by, _l.created_at, _l.updated_at,
             _l.version, _l.archived_at)::api.location
$$;

-- An inbound receipt as the API returns it, with its lines; 404 naming _inbound_id when there is none.
create or replace function app.inbound_out(_brand_id uuid, _inbound_id uuid)
returns api.inbound
language plpgsql stable security invoker set search_path = ''
as $$
declare v api.inbound;
begin
  select i.id, i.brand_id, i.number, i.location_id, loc.name, i.reference, i.external_reference, i.note,
         i.received_at, i.created_by, ln.total, ln.lines
    into v
    from data.inbounds i
    join data.locations loc on loc.brand_id = i.brand_id and loc.id = i.location_id
    cross join lateral (
      select coalesce(sum(l.quantity), 0) as total,
             coalesce(array_agg(row(l.line_no, l.product_id, l.batch_id, b.batch_number, l.quantity, l.expiry_date,
                                    l.batch_created)::api.inbound_line order by l.line_no), '{}') as lines
        from data.inbound_lines l
        join data.batches b on b.brand_id = l.brand_id and b.id = l.batch_id
       where l.brand_id = i.brand_id and l.inbound_id = i.id) ln
   where i.brand_id = _brand_id and i.id = _inbound_id;
  if not found then
    perform app.not_found('Inbound', _inbound_id, '_inbound_id');
  end if;
  return v;
end
$$;

-- A transfer as the API returns it, with its lines; 404 naming _transfer_id when there is none.
create or replace function app.transfer_out(_brand_id uuid, _transfer_id uuid)
returns api.transfer
language plpgsql stable security invoker set search_path = ''
as $$
declare v api.transfer;
begin
  select t.id, t.brand_id, t.number, t.status, t.from_location_id, fl.name, t.to_location_id, tl.name, t.note,
         t.created_by, t.created_at, t.updated_by, t.updated_at, t.version, t.accepted_by, t.accepted_at,
         t.declined_by, t.declined_at, t.decline_reason, t.cancelled_by, t.cancelled_at, t.cancel_reason,
         ln.total, ln.lines
    into v
    from data.transfers t
    join data.locations fl on fl.brand_id = t.brand_id and fl.id = t.from_location_id
    join data.locations tl on tl.brand_id = t.brand_id and tl.id = t.to_location_id
    cross join lateral (
      select coalesce(sum(l.quantity), 0) as total,
             coalesce(array_agg(row(l.batch_id, b.product_id, b.batch_number, l.quantity)::api.transfer_line
                                order by b.batch_number, l.batch_id), '{}') as lines
        from data.transfer_lines l
        join data.batches b on b.brand_id = l.brand_id and b.id = l.batch_id
       where l.brand_id = t.brand_id and l.transfer_id = t.id) ln
   where t.brand_id = _brand_id and t.id = _transfer_id;
  if not found then
    perform app.not_found('Transfer', _transfer_id, '_transfer_id');
  end if;
  return v;
end
$$;

create or replace function app.stock_movement_out(_m data.stock_movements)
returns api.stock_movement
language sql stable security invoker set search_path = ''
as $$
  select row(_m.id, _m.brand_id, _m.kind, _m.batch_id, _m.location_id, _m.quantity_delta, _m.committed_delta,
             _m.quantity_after, _m.committed_after, _m.reason, _m.inbound_id, _m.transfer_id, _m.actor,
             _m.created_at, _m.trace_event_id, _m.pick_id)::api.stock_movement
$$;

-- One batch at one location, with what is in transit from and to it.
create or replace function app.batch_quantity_at(_brand_id uuid, _batch_id uuid, _location_id uuid)
returns api.batch_quantity
language sql stable security invoker set search_path = ''
as $$
  select row(_brand_id, b.id, b.product_id, b.batch_number, b.status, b.expiry_date, b.status = 'archived',
             loc.id, loc.name, loc.archived_at is not null,
             coalesce(s.quantity, 0), coalesce(s.committed, 0), case when q.unsellable then 0 else coalesce(s.available, 0) end,
             (select coalesce(sum(l.quantity), 0) from data.transfer_lines l
                join data.transfers t on t.brand_id = l.brand_id and t.id = l.transfer_id
               where l.brand_id = _brand_id and l.batch_id = _batch_id and t.status = 'pending' and t.from_location_id = _location_id),
             (select coalesce(sum(l.quantity), 0) from data.transfer_lines l
                join data.transfers t on t.brand_id = l.brand_id and t.id = l.transfer_id
               where l.brand_id = _brand_id and l.batch_id = _batch_id and t.status = 'pending' and t.to_location_id = _location_id),
             s.updated_at, q.unsellable, q.unsellable_reasons)::api.batch_quantity
    from data.batches b
    join data.locations loc on loc.brand_id = _brand_id and loc.id = _location_id
    left join data.stock s on s.brand_id = _brand_id and s.batch_id = _batch_id and s.location_id = _location_id
    cross join lateral app.batch_sellability(_brand_id, b.id, b.status, b.expiry_date, _location_id) q
   where b.brand_id = _brand_id and b.id = _batch_id
$$;

grant execute on function app.batch_quantity_at(uuid, uuid, uuid) to authenticated;
grant execute on function app.location_out(data.locations), app.inbound_out(uuid, uuid), app.transfer_out(uuid, uuid),
  app.stock_movement_out(data.stock_movements) to authenticated;
