-- events: audit trail, transactional outbox (change feed), webhooks and their delivery log.
-- Idempotent (graphile-migrate re-runs the current migration). docs/events.md explains the model.
-- The audit and event stores have no foreign key to brands on purpose: they must outlive what they record.

-- Audit trail: one row per changed row of every audited data table, written by app.tg__audit() in the
-- same transaction. Partitioned by month on `at`; partitions are made by app.audit_maintain().
create sequence if not exists data.audit_events_id_seq as bigint;
create table if not exists data.audit_events (
  brand_id    uuid not null,
  id          bigint not null default nextval('data.audit_events_id_seq'),
  at          timestamptz not null default now(),
  xid         xid8 not null default pg_current_xact_id(),
  table_name  text not null,
  action      text not null check (action in ('insert', 'update', 'delete')),
  row_id      text not null,
  changed     text[],
  old_values  jsonb,
  new_values  jsonb,
  actor       text,
  db_role     text not null,
  request_id  text,
  door        text not null check (door in ('http', 'sql')),
  primary key (brand_id, id, at)
) partition by range (at);
comment on table data.audit_events is
  'Audit trail: who changed which row of which table, when, through which door and request, with old and new values. Append-only; partitioned by month.';
-- "what happened to this row"; by user or time, the primary key's (brand_id, id) order is scanned newest first
create index if not exists audit_events__brand_id_table_name_row_id_idx on data.audit_events (brand_id, table_name, row_id, id);
-- rows whose month has no partition yet land here instead of failing the write (app.audit_maintain reports them)
create table if not exists data.audit_events_default partition of data.audit_events default;

-- The outbox: domain events written in the same transaction as the change. Feed order is (xid, seq);
-- only transactions below the reader's snapshot xmin are served (api.list_changes).
create sequence if not exists data.events_seq_seq as bigint;
create table if not exists data.events (
  brand_id     uuid not null,
  xid          xid8 not null default pg_current_xact_id(),
  seq          bigint not null default nextval('data.events_seq_seq'),
  id           uuid not null default gen_random_uuid(),
  type         text not null check (type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  subject      text,
  data         jsonb not null default '{}',
  actor        text,
  request_id   text,
  occurred_at  timestamptz not null default now(),
  primary key (brand_id, xid, seq)
);
comment on table data.events is
  'Transactional outbox of domain events (batch.created, stock.moved, …). Append-only. Read through api.list_changes, GET /events and webhooks.';

-- Webhook endpoints of a brand. The signing secret is readable only by the delivery worker's helpers.
create table if not exists data.webhooks (
  brand_id         uuid not null references data.brands (id) on delete cascade,
  id               uuid not null default gen_random_uuid(),
  url              text not null check (length(url) <= 2000 and url ~ '^https?://[^/?#@\s]+(/[^\s]*)?$'),
  events           text[] not null default '{}',
  description      text check (length(description) <= 500),
  secret           text not null check (secret ~ '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$'),
  status           text not null default 'active' check (status in ('active', 'disabled')),
  disabled_reason  text check (length(disabled_reason) <= 500),
  max_attempts     integer not null default 10 check (max_attempts between 1 and 30),
  created_by       text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  version          integer not null default 1,
  primary key (brand_id, id)
);
comment on table data.webhooks is
  'Webhook endpoints: URL, event types (patterns), signing secret (Standard Webhooks), status and retry limit.';

-- Where each endpoint is in its brand's feed (moved by the delivery worker; kept apart from the endpoint's
-- settings so that moving it neither bumps their version nor fills the audit trail).
create table if not exists data.webhook_cursors (
  brand_id    uuid not null,
  webhook_id  uuid not null,
  xid         xid8 not null,
  seq         bigint not null default 0,
  primary key (brand_id, webhook_id),
  foreign key (brand_id, webhook_id) references data.webhooks (brand_id, id) on delete cascade
);

-- One delivery per (endpoint, event), delivered in seq order per endpoint. A redelivery is a new row.
create sequence if not exists data.webhook_deliveries_seq_seq as bigint;
create table if not exists data.webhook_deliveries (
  brand_id         uuid not null,
  id               uuid not null default gen_random_uuid(),
  seq              bigint not null default nextval('data.webhook_deliveries_seq_seq'),
  webhook_id       uuid not null,
  event_xid        xid8 not null,
  event_seq        bigint not null,
  event_id         uuid not null,
  event_type       text not null,
  state            text not null default 'pending' check (state in ('pending', 'in_flight', 'delivered', 'dead')),
  attempts         integer not null default 0 check (attempts >= 0),
  next_attempt_at  timestamptz not null default now(),
  lease_until      timestamptz,
  last_status      integer,
  last_error       text,
  delivered_at     timestamptz,
  redelivery_of    uuid,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (brand_id, id),
  foreign key (brand_id, webhook_id) references data.webhooks (brand_id, id) on delete cascade
);
create index if not exists webhook_deliveries__brand_id_webhook_id_seq_idx on data.webhook_deliveries (brand_id, webhook_id, seq);
create index if not exists webhook_deliveries__open_idx on data.webhook_deliveries (brand_id, webhook_id, seq)
  where state in ('pending', 'in_flight');

-- The delivery log: one row per attempt (status code or error, duration, which worker).
create table if not exists data.webhook_attempts (
  brand_id     uuid not null,
  delivery_id  uuid not null,
  attempt      integer not null check (attempt >= 1),
  worker       text not null,
  started_at   timestamptz not null,
  finished_at  timestamptz not null default now(),
  status_code  integer,
  error        text check (length(error) <= 1000),
  duration_ms  integer,
  primary key (brand_id, delivery_id, attempt),
  foreign key (brand_id, delivery_id) references data.webhook_deliveries (brand_id, id) on delete cascade
);
