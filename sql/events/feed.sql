-- The transactional outbox: domain events are inserted into data.events by triggers, in the same transaction
-- as the change, whatever door or function made it. Each event row carries the writing transaction's id
-- (xid8) and a sequence number; the feed (api.list_changes) serves only transactions below the reader's
-- snapshot xmin, in (xid, seq) order, so a transaction that commits late is never skipped.
-- The trigger functions are definers owned by lotline_auth: request roles cannot insert events themselves.

-- For other rooms' definer triggers: one event. Not executable by request roles (a forged event is a lie).
create or replace function app.emit_event(_brand_id uuid, _type text, _subject text, _data jsonb)
returns void
language sql volatile security definer set search_path = ''
as $$
  insert into data.events (brand_id, type, subject, data, actor, request_id)
  select _brand_id, _type, _subject, coalesce(_data, '{}'), c.actor, c.request_id from app.write_context() c
$$;
comment on function app.emit_event(uuid, text, text, jsonb) is
  'Write one domain event into the outbox (same transaction). Definer owned by lotline_auth; call it from your own definer triggers.';

-- The feed cursor: '<xid>:<seq>' of the last event seen ('0:0' = from the start).
create or replace function app.feed_cursor(_cursor text, _field text default '_after', out xid xid8, out seq bigint)
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _cursor is null then
    xid := '0'::xid8; seq := 0; return;
  end if;
  if _cursor !~ '^[0-9]{1,19}:[0-9]{1,18}$' then
    perform app.invalid(_field, 'cursor', format('%s must be a cursor returned by the feed (<xid>:<seq>)', _field));
  end if;
  xid := split_part(_cursor, ':', 1)::xid8;
  seq := split_part(_cursor, ':', 2)::bigint;
end
$$;

-- batches: batch.created, batch.updated, batch.status_changed, recall.issued, batch.deleted
create or replace function app.tg__batch_events()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare c record;
begin
  select * into c from app.write_context();
  if tg_op = 'INSERT' then
    insert into data.events (brand_id, type, subject, data, actor, request_id)
    select n.brand_id, 'batch.created', 'batch/' || n.id,
           jsonb_build_object('id', n.id, 'product_id', n.product_id, 'batch_number', n.batch_number, 'external_id', n.external_id,
                              'status', n.status, 'quantity', n.quantity, 'unit', n.unit, 'production_date', n.production_date,
                              'expiry_date', n.expiry_date, 'version', n.version),
           c.actor, c.request_id
      from new_rows n order by n.created_at, n.id;
  elsif tg_op = 'DELETE' then
    insert into data.events (brand_id, type, subject, data, actor, request_id)
    select o.brand_id, 'batch.deleted', 'batch/' || o.id,
           jsonb_build_object('id', o.id, 'product_id', o.product_id, 'batch_number', o.batch_number), c.actor, c.request_id
      from old_rows o;
  else
    insert into data.events (brand_id, type, subject, data, actor, request_id)
    select e.brand_id, e.type, 'batch/' || e.id, e.data, c.actor, c.request_id
      from (select n.brand_id, n.id, x.ord, x.type, x.data
              from new_rows n join old_rows o on o.brand_id = n.brand_id and o.id = n.id
             cross join lateral (
               select 1 as ord, 'batch.status_changed' as type,
                      jsonb_build_object('id', n.id, 'batch_number', n.batch_number, 'from', o.status, 'to', n.status, 'version', n.version) as data
                where n.status is distinct from o.status
               union all
               select 2, 'recall.issued',
                      jsonb_build_object('batch_id', n.id, 'product_id', n.product_id, 'batch_number', n.batch_number,
                                         'public_id', n.public_id, 'message', n.recall_message)
                where n.status = 'recalled' and o.status is distinct from 'recalled'
               union all
               select 3, 'batch.updated',
                      jsonb_build_object('id', n.id, 'batch_number', n.batch_number, 'version', n.version, 'changed', d.changed)
                 from (select array_agg(k.key order by k.key) as changed
                         from jsonb_each(to_jsonb(n)) k
                        where k.key not in ('status', 'archived_at', 'recall_message', 'updated_at', 'version')
                          and k.value is distinct from to_jsonb(o) -> k.key) d
                where d.changed is not null) x
             order by n.id, x.ord) e;
  end if;
  return null;
end
$$;

-- stock ledger: stock.moved (receipts, adjustments, reservations, releases, transfer legs, genealogy consumption and
-- production, picks)
create or replace function app.tg__stock_movement_events()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare c record;
begin
  select * into c from app.write_context();
  insert into data.events (brand_id, type, subject, data, actor, request_id)
  select n.brand_id, 'stock.moved', 'batch/' || n.batch_id,
         jsonb_build_object('movement_id', n.id, 'kind', n.kind, 'batch_id', n.batch_id, 'location_id', n.location_id,
                            'quantity_delta', n.quantity_delta, 'committed_delta', n.committed_delta,
                            'quantity_after', n.quantity_after, 'committed_after', n.committed_after,
                            'inbound_id', n.inbound_id, 'transfer_id', n.transfer_id, 'trace_event_id', n.trace_event_id,
                            'pick_id', n.pick_id, 'reason', n.reason),
         c.actor, c.request_id
    from new_rows n order by n.id;
  return null;
end
$$;

-- transfers: transfer.created, transfer.updated, transfer.accepted|declined|cancelled
create or replace function app.tg__transfer_events()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare c record;
begin
  select * into c from app.write_context();
  if tg_op = 'INSERT' then
    insert into data.events (brand_id, type, subject, data, actor, request_id)
    select n.brand_id, 'transfer.created', 'transfer/' || n.id,
           jsonb_build_object('id', n.id, 'number', n.number, 'status', n.status, 'from_location_id', n.from_location_id,
                              'to_location_id', n.to_location_id, 'version', n.version),
           c.actor, c.request_id
      from new_rows n order by n.id;
  else
    insert into data.events (brand_id, type, subject, data, actor, request_id)
    select n.brand_id,
           case when n.status is distinct from o.status then 'transfer.' || n.status else 'transfer.updated' end,
           'transfer/' || n.id,
           jsonb_build_object('id', n.id, 'number', n.number, 'status', n.status, 'previous_status', o.status,
                              'from_location_id', n.from_location_id, 'to_location_id', n.to_location_id, 'version', n.version),
           c.actor, c.request_id
      from new_rows n join old_rows o on o.brand_id = n.brand_id and o.id = n.id
     where to_jsonb(n) is distinct from to_jsonb(o)
     order by n.id;
  end if;
  return null;
end
$$;

-- serials: serials.minted / serials.imported once per batch and statement; serial.voided per serial
create or replace function app.tg__serial_events()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare c record;
begin
  select * into c from app.write_context();
  if tg_op = 'INSERT' then
    insert into data.events (brand_id, type, subject, data, actor, request_id)
    select n.brand_id, 'serials.' || n.source, 'batch/' || n.batch_id,
           jsonb_build_object('batch_id', n.batch_id, 'count', count(*), 'first_seq', min(n.seq), 'last_seq', max(n.seq)),
           c.actor, c.request_id
      from new_rows n group by n.brand_id, n.batch_id, n.source order by n.batch_id;
  else
    insert into data.events (brand_id, type, subject, data, actor, request_id)
    select n.brand_id, 'serial.voided', 'batch/' || n.batch_id,
           jsonb_build_object('batch_id', n.batch_id, 'seq', n.seq, 'serial_number', n.serial_number, 'reason', n.void_reason),
           c.actor, c.request_id
      from new_rows n join old_rows o on o.brand_id = n.brand_id and o.batch_id = n.batch_id and o.seq = n.seq
     where n.status = 'void' and o.status <> 'void'
     order by n.batch_id, n.seq;
  end if;
  return null;
end
$$;
