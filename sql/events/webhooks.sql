-- Webhooks: value checks for the api functions, and the delivery worker's three steps (dispatch, claim,
-- record). The worker connects as the gateway's login role and runs each step as lotline_worker (SET LOCAL
-- ROLE), which may execute exactly these helpers. They are definers owned by lotline_auth (BYPASSRLS):
-- the worker reads every brand's feed and endpoint secrets, which no request role may.

-- A signing secret: whsec_ + 32 random bytes (two gen_random_uuid() values, 244 random bits), base64.
create or replace function app.webhook_secret()
returns text
language sql volatile security invoker set search_path = ''
as $$ select 'whsec_' || encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'base64') $$;

create or replace function app.check_webhook_url(_url text)
returns text
language plpgsql immutable security invoker set search_path = ''
as $$
declare v text := btrim(_url);
begin
  if v is null or v = '' then
    perform app.invalid('_url', 'required', '_url is required');
  end if;
  if length(v) > 2000 then
    perform app.invalid('_url', 'max_length', '_url must be at most 2000 characters');
  end if;
  if v !~* '^https?://[^/?#@\s]+(/[^\s]*)?$' then
    perform app.invalid('_url', 'url', '_url must be an absolute http(s) URL without credentials');
  end if;
  return regexp_replace(v, '^([a-zA-Z]+)', lower(substring(v from '^[a-zA-Z]+')));
end
$$;

-- Event type patterns: exact names (batch.created), a family (batch.*) or everything (*); empty = everything.
create or replace function app.check_event_patterns(_events text[])
returns text[]
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _events is null then return '{}'; end if;
  if cardinality(_events) > 50 then
    perform app.invalid('_events', 'max_items', '_events may name at most 50 patterns');
  end if;
  if exists (select from unnest(_events) p where p is null or p !~ '^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$') then
    perform app.invalid('_events', 'pattern', '_events must be event types (batch.created), families (batch.*) or *');
  end if;
  return array(select distinct p from unnest(_events) p order by p);
end
$$;

create or replace function app.webhook_matches(_patterns text[], _type text)
returns boolean
language sql immutable security invoker
as $$
  select pg_catalog.cardinality(_patterns) = 0 or _type = any (_patterns) or '*' = any (_patterns)
      or exists (select from unnest(_patterns) p where p like '%.*' and _type like left(p, -1) || '%')
$$;

-- Fan-out: for every active endpoint (locked, SKIP LOCKED: several workers share the work), read its brand's
-- next events past its cursor below the snapshot xmin, queue a delivery for each matching one and advance the
-- cursor past all of them, matching or not. One statement: the horizon and the rows share one snapshot.
create or replace function app.webhook_dispatch(_limit integer default 500)
returns integer
language sql volatile security definer set search_path = ''
as $$
  with w as (
    select k.brand_id, k.webhook_id, h.events, k.xid, k.seq
      from data.webhook_cursors k
      join data.webhooks h on h.brand_id = k.brand_id and h.id = k.webhook_id
     where h.status = 'active'
       and exists (select from data.events e
                    where e.brand_id = k.brand_id and (e.xid, e.seq) > (k.xid, k.seq)
                      and e.xid < pg_snapshot_xmin(pg_current_snapshot()))
       for update of k skip locked
  ), ev as (
    select w.brand_id, w.webhook_id, w.events, e.xid, e.seq, e.id, e.type
      from w cross join lateral (
        select e.xid, e.seq, e.id, e.type from data.events e
         where e.brand_id = w.brand_id and (e.xid, e.seq) > (w.xid, w.seq)
           and e.xid < pg_snapshot_xmin(pg_current_snapshot())
         order by e.xid, e.seq limit _limit) e
  ), ins as (
    insert into data.webhook_deliveries (brand_id, webhook_id, event_xid, event_seq, event_id, event_type, seq)
    select m.brand_id, m.webhook_id, m.xid, m.seq, m.id, m.type, nextval('data.webhook_deliveries_seq_seq')
      from (select * from ev where app.webhook_matches(ev.events, ev.type) order by ev.webhook_id, ev.xid, ev.seq) m
    returning 1
  ), last as (
    select distinct on (ev.webhook_id) ev.brand_id, ev.webhook_id, ev.xid, ev.seq
      from ev order by ev.webhook_id, ev.xid desc, ev.seq desc
  ), moved as (
    update data.webhook_cursors k set xid = l.xid, seq = l.seq
      from last l where k.brand_id = l.brand_id and k.webhook_id = l.webhook_id
    returning 1
  )
  select count(*)::integer from ins
$$;
comment on function app.webhook_dispatch(integer) is
  'Worker step 1: queue deliveries for new feed events of every active endpoint. Definer (lotline_auth): reads all brands.';

-- Claim: for up to _limit endpoints whose head delivery is due (and no attempt of theirs is in flight), the
-- head and the deliveries queued behind it, up to _per_endpoint, in order. The endpoint row is locked (SKIP
-- LOCKED) while claiming, so two workers never claim the same endpoint; the claim bumps each attempt number
-- and sets a lease, and commits before any HTTP request is made. The worker sends one endpoint's run one by
-- one and stops at the first failure (app.webhook_release puts the rest back untouched). An attempt whose
-- lease ran out (its worker died) is logged and claimed again as a new attempt.
create or replace function app.webhook_claim(_worker text, _limit integer default 10, _lease_ms integer default 30000,
                                             _per_endpoint integer default 20)
returns table (brand_id uuid, delivery_id uuid, webhook_id uuid, attempt integer, url text, secret text,
               msg_id text, payload text)
language sql volatile security definer set search_path = ''
as $$
  with w as (
    select h.brand_id, h.id, h.url, h.secret from data.webhooks h
     where h.status = 'active'
       and exists (select from (select d.state, d.next_attempt_at, d.lease_until from data.webhook_deliveries d
                                 where d.brand_id = h.brand_id and d.webhook_id = h.id and d.state in ('pending', 'in_flight')
                                 order by d.seq limit 1) head
                    where (head.state = 'pending' and head.next_attempt_at <= now())
                       or (head.state = 'in_flight' and head.lease_until < clock_timestamp()))
     order by h.id
     for update skip locked
     limit _limit
  ), run as (
    select w.brand_id, w.id as webhook_id, w.url, w.secret, d.id as delivery_id, d.state, d.attempts, d.seq, d.updated_at
      from w cross join lateral (
        select d.id, d.state, d.attempts, d.seq, d.updated_at from data.webhook_deliveries d
         where d.brand_id = w.brand_id and d.webhook_id = w.id and d.state in ('pending', 'in_flight')
         order by d.seq limit _per_endpoint) d
  ), expired as (
    insert into data.webhook_attempts (brand_id, delivery_id, attempt, worker, started_at, error)
    select r.brand_id, r.delivery_id, r.attempts, 'unknown', r.updated_at, 'lease expired: the worker stopped before recording a result'
      from run r where r.state = 'in_flight'
    on conflict do nothing
    returning 1
  ), claimed as (
    update data.webhook_deliveries d
       set state = 'in_flight', attempts = d.attempts + 1, updated_at = clock_timestamp(),
           lease_until = clock_timestamp() + make_interval(secs => _lease_ms / 1000.0)
      from run r
     where d.brand_id = r.brand_id and d.id = r.delivery_id
       -- re-checked on the row's latest version: a worker whose snapshot predates another's claim of this
       -- attempt finds the attempt number moved on and claims nothing
       and d.state = r.state and d.attempts = r.attempts
    returning d.brand_id, d.id, d.webhook_id, d.attempts, d.seq, d.event_xid, d.event_seq
  )
  select c.brand_id, c.id, c.webhook_id, c.attempts, r.url, r.secret, 'msg_' || replace(e.id::text, '-', ''),
         jsonb_build_object('id', 'msg_' || replace(e.id::text, '-', ''), 'type', e.type,
                            'timestamp', to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                            'brand_id', e.brand_id, 'cursor', e.xid::text || ':' || e.seq, 'data', e.data)::text
    from claimed c
    join run r on r.brand_id = c.brand_id and r.delivery_id = c.id
    join data.events e on e.brand_id = c.brand_id and e.xid = c.event_xid and e.seq = c.event_seq
   order by c.webhook_id, c.seq
$$;
comment on function app.webhook_claim(text, integer, integer, integer) is
  'Worker step 2: claim due deliveries, in order, up to _per_endpoint per endpoint (SKIP LOCKED), with a lease; returns what to send and how to sign it.';

-- Put a claimed but unsent delivery back (the run stopped at an earlier failure): the attempt did not happen.
create or replace function app.webhook_release(_brand_id uuid, _delivery_id uuid, _attempt integer)
returns void
language sql volatile security definer set search_path = ''
as $$
  update data.webhook_deliveries d
     set state = 'pending', attempts = d.attempts - 1, lease_until = null, updated_at = clock_timestamp()
   where d.brand_id = _brand_id and d.id = _delivery_id and d.state = 'in_flight' and d.attempts = _attempt
$$;

-- Record an attempt's outcome. 2xx: delivered. 410: the endpoint is disabled (the delivery waits for it).
-- Otherwise: retried after _retry_in_ms, or dead once the endpoint's max_attempts are used up.
-- Only the claiming attempt may record (a stale worker whose lease was taken over is ignored).
create or replace function app.webhook_record(_brand_id uuid, _delivery_id uuid, _attempt integer, _worker text,
                                              _started_at timestamptz, _status_code integer, _error text,
                                              _retry_in_ms integer)
returns text
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_d data.webhook_deliveries;
  v_max integer;
  v_ok boolean := _status_code between 200 and 299;
  v_state text;
begin
  select d.* into v_d from data.webhook_deliveries d
   where d.brand_id = _brand_id and d.id = _delivery_id for update;
  if not found or v_d.state <> 'in_flight' or v_d.attempts <> _attempt then
    return 'stale';
  end if;
  insert into data.webhook_attempts (brand_id, delivery_id, attempt, worker, started_at, status_code, error, duration_ms)
  values (_brand_id, _delivery_id, _attempt, left(_worker, 200), _started_at, _status_code, left(_error, 1000),
          greatest(0, (extract(epoch from clock_timestamp() - _started_at) * 1000)::integer))
  on conflict do nothing;
  select h.max_attempts into v_max from data.webhooks h where h.brand_id = _brand_id and h.id = v_d.webhook_id;
  v_state := case when v_ok then 'delivered' when _status_code = 410 then 'pending'
                  when v_d.attempts >= v_max then 'dead' else 'pending' end;
  update data.webhook_deliveries d
     set state = v_state, lease_until = null, last_status = _status_code, last_error = left(_error, 1000),
         delivered_at = case when v_ok then clock_timestamp() end,
         next_attempt_at = clock_timestamp() + make_interval(secs => greatest(coalesce(_retry_in_ms, 0), 0) / 1000.0),
         updated_at = clock_timestamp()
   where d.brand_id = _brand_id and d.id = _delivery_id;
  perform app.require_found(found, '_delivery_id', format('Webhook delivery %s not found', _delivery_id));
  if _status_code = 410 then
    update data.webhooks h set status = 'disabled', disabled_reason = 'the endpoint answered 410 Gone'
     where h.brand_id = _brand_id and h.id = v_d.webhook_id;
    perform app.require_found(found, '_webhook_id', format('Webhook %s not found', v_d.webhook_id));
  end if;
  return v_state;
end
$$;
comment on function app.webhook_record(uuid, uuid, integer, text, timestamptz, integer, text, integer) is
  'Worker step 3: log an attempt and move the delivery on (delivered, retry later, dead). Definer (lotline_auth).';
