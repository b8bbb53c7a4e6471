-- The batch status state machine (docs/state-machine.md).

create or replace function app.batch_status_next(_from text)
returns text[]
language sql immutable security invoker set search_path = ''
as $$
  select case _from
    when 'active'         then array['received','in_testing','ready_for_sale','processing','in_transfer','recalled','archived']
    when 'received'       then array['in_testing','ready_for_sale','processing','in_transfer','recalled','archived']
    when 'in_testing'     then array['received','ready_for_sale','recalled','archived']
    when 'ready_for_sale' then array['processing','in_transfer','in_testing','recalled','archived']
    when 'processing'     then array['ready_for_sale','in_testing','recalled','archived']
    when 'in_transfer'    then array['received','ready_for_sale','recalled']
    when 'recalled'       then array['archived']
    when 'archived'       then array[]::text[]
  end
$$;
comment on function app.batch_status_next(text) is 'The batch state machine: statuses reachable from _from. See docs/state-machine.md.';

create or replace function app.batch_statuses()
returns text[]
language sql immutable security invoker set search_path = ''
as $$ select array['active','received','in_testing','ready_for_sale','processing','in_transfer','recalled','archived'] $$;

-- Raise 409 (PT409) naming both states unless _from → _to is allowed; 22023 for an unknown status.
create or replace function app.check_batch_transition(_from text, _to text)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _to is null or not (_to = any (app.batch_statuses())) then
    perform app.invalid('_status', 'enum', format('_status must be one of %s', array_to_string(app.batch_statuses(), ', ')));
  end if;
  if not (_to = any (app.batch_status_next(_from))) then
    perform app.raise('PT409', format('Illegal status change: %s → %s', _from, _to),
      jsonb_build_object('field', '_status', 'rule', 'transition', 'from', _from, 'to', _to,
                         'allowed', to_jsonb(app.batch_status_next(_from))));
  end if;
end
$$;
grant execute on function app.batch_status_next(text), app.batch_statuses(), app.check_batch_transition(text, text)
  to authenticated, anon;
