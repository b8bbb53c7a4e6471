-- The delivery log: every queued event per endpoint with its state and each attempt's outcome.
create function api.list_webhook_deliveries(
  _brand_id    uuid,
  _webhook_id  uuid    default null,
  _state       text    default null,
  _before_seq  bigint  default null,
  _limit       integer default 50
)
returns setof api.webhook_delivery
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'admin', 'webhooks:read');
  if _limit is null or _limit < 1 or _limit > 500 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 500');
  end if;
  if _state is not null and _state not in ('pending', 'in_flight', 'delivered', 'dead') then
    perform app.invalid('_state', 'enum', '_state must be one of pending, in_flight, delivered, dead');
  end if;
  return query select * from app.webhook_deliveries_of(_brand_id, _webhook_id, null, _state, _before_seq, _limit);
end
$$;
comment on function api.list_webhook_deliveries(uuid, uuid, text, bigint, integer) is
  $$Deliveries, newest first: event, state (pending, in_flight, delivered, dead = gave up after max_attempts), attempts, next attempt, last status or error, and attempt_log (each attempt's worker, times, status code, error, duration). Filters: _webhook_id, _state. Page with _before_seq = the last seq seen; _limit 1–500 (default 50). Admin role, scope webhooks:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_webhook_deliveries(uuid, uuid, text, bigint, integer) to authenticated;
