-- Shapes of the events room: audit rows, feed events, webhook endpoints and deliveries.
-- The readers beside them select named columns (data.webhooks.secret is not readable by request roles).

create type api.audit_event as (
  id          bigint,
  at          timestamptz,
  table_name  text,
  action      text,
  row_id      text,
  changed     text[],
  old_values  jsonb,
  new_values  jsonb,
  actor       text,
  db_role     text,
  request_id  text,
  door        text,
  xid         text
);
comment on type api.audit_event is 'One changed row: table, row id, action, changed columns with old and new values, who, when, door and request.';

create type api.change as (
  cursor       text,
  id           uuid,
  type         text,
  subject      text,
  occurred_at  timestamptz,
  data         jsonb,
  actor        text,
  request_id   text
);
comment on type api.change is 'A domain event of the feed; cursor (<xid>:<seq>) is the position to resume after.';

create type api.webhook as (
  id               uuid,
  brand_id         uuid,
  url              text,
  events           text[],
  description      text,
  status           text,
  disabled_reason  text,
  max_attempts     integer,
  cursor           text,
  created_at       timestamptz,
  updated_at       timestamptz,
  version          integer
);

create type api.new_webhook as (
  webhook  api.webhook,
  secret   text
);
comment on type api.new_webhook is 'A created endpoint and its signing secret (whsec_…): the only time the secret is shown.';

create type api.webhook_delivery as (
  id               uuid,
  webhook_id       uuid,
  seq              bigint,
  event_id         uuid,
  event_type       text,
  event_cursor     text,
  state            text,
  attempts         integer,
  next_attempt_at  timestamptz,
  last_status      integer,
  last_error       text,
  delivered_at     timestamptz,
  redelivery_of    uuid,
  created_at       timestamptz,
  attempt_log      jsonb
);

-- A brand's endpoints (one or all) as api.webhook, without the secret.
create or replace function app.webhooks_of(_brand_id uuid, _webhook_id uuid default null)
returns setof api.webhook
language sql stable security invoker set search_path = ''
as $$
  select h.id, h.brand_id, h.url, h.events, h.description, h.status, h.disabled_reason, h.max_attempts,
         k.xid::text || ':' || k.seq, h.created_at, h.updated_at, h.version
    from data.webhooks h
    left join data.webhook_cursors k on k.brand_id = h.brand_id and k.webhook_id = h.id
   where h.brand_id = _brand_id and (_webhook_id is null or h.id = _webhook_id)
   order by h.created_at, h.id
$$;

-- Deliveries of a brand, newest first, with their attempt log.
create or replace function app.webhook_deliveries_of(_brand_id uuid, _webhook_id uuid, _delivery_id uuid, _state text,
                                                     _before_seq bigint, _limit integer)
returns setof api.webhook_delivery
language sql stable security invoker set search_path = ''
as $$
  select d.id, d.webhook_id, d.seq, d.event_id, d.event_type, d.event_xid::text || ':' || d.event_seq, d.state, d.attempts,
         d.next_attempt_at, d.last_status, d.last_error, d.delivered_at, d.redelivery_of, d.created_at,
         coalesce((select jsonb_agg(jsonb_build_object('attempt', a.attempt, 'worker', a.worker, 'started_at', a.started_at,
                                                       'finished_at', a.finished_at, 'status_code', a.status_code,
                                                       'error', a.error, 'duration_ms', a.duration_ms) order by a.attempt)
                     from data.webhook_attempts a where a.brand_id = d.brand_id and a.delivery_id = d.id), '[]')
    from data.webhook_deliveries d
   where d.brand_id = _brand_id
     and (_webhook_id is null or d.webhook_id = _webhook_id)
     and (_delivery_id is null or d.id = _delivery_id)
     and (_state is null or d.state = _state)
     and (_before_seq is null or d.seq < _before_seq)
   order by d.seq desc
   limit _limit
$$;
grant execute on function app.webhooks_of(uuid, uuid),
  app.webhook_deliveries_of(uuid, uuid, uuid, text, bigint, integer) to authenticated;
