-- The due-diligence statement lifecycle (docs/state-machine.md): draft → submitted → accepted | rejected.
-- One transition function, enforced by a trigger on every write of the table (a direct UPDATE cannot skip
-- a state or edit a submitted statement), and the definers the api functions write through: the table has
-- no write grant for authenticated, so each definer (owned by lotline_auth) re-checks its caller first.

create or replace function app.dds_statuses()
returns text[]
language sql immutable security invoker set search_path = ''
as $$ select array['draft', 'submitted', 'accepted', 'rejected'] $$;

-- The state machine: statuses reachable from _from.
create or replace function app.dds_status_next(_from text)
returns text[]
language sql immutable security invoker set search_path = ''
as $$
  select case _from
    when 'draft'     then array['submitted']
    when 'submitted' then array['accepted', 'rejected']
    when 'accepted'  then array[]::text[]
    when 'rejected'  then array[]::text[]
  end
$$;
comment on function app.dds_status_next(text) is 'The due-diligence statement state machine: statuses reachable from _from. See docs/state-machine.md.';

-- 409 naming both states unless _from → _to is a transition of the state machine.
create or replace function app.check_dds_transition(_id uuid, _from text, _to text)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if not (_to = any (coalesce(app.dds_status_next(_from), '{}'))) then
    perform app.raise('PT409', format('Due-diligence statement %s is %s and cannot become %s', _id, _from, _to),
      jsonb_build_object('field', '_dds_id', 'rule', 'transition', 'from', _from, 'to', _to,
                         'allowed', to_jsonb(coalesce(app.dds_status_next(_from), '{}'))));
  end if;
end
$$;

-- _100_lifecycle (before insert or update): new statements are drafts; a status change follows the state
-- machine; only a draft's content changes; what a statement is about and where it came from never change.
create or replace function app.tg__dds_lifecycle()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.status <> 'draft' then
      perform app.raise('PT409', format('A due-diligence statement starts as a draft, not %s', new.status),
                        jsonb_build_object('field', 'status', 'rule', 'transition', 'from', null, 'to', new.status));
    end if;
    return new;
  end if;
  if (new.brand_id, new.id, new.batch_id, new.source, new.created_by, new.created_at)
     is distinct from (old.brand_id, old.id, old.batch_id, old.source, old.created_by, old.created_at) then
    perform app.raise('PT409', format('Due-diligence statement %s: its batch, source and creation cannot change', old.id),
                      jsonb_build_object('field', '_dds_id', 'rule', 'read_only'));
  end if;
  if new.status is distinct from old.status then
    perform app.check_dds_transition(old.id, old.status, new.status);
  end if;
  if old.status <> 'draft'
     and (new.activity_type, new.hs_code, new.description, new.net_mass_kg, new.country_of_production, new.geolocation)
         is distinct from (old.activity_type, old.hs_code, old.description, old.net_mass_kg, old.country_of_production, old.geolocation) then
    perform app.raise('PT409', format('Due-diligence statement %s is %s; only a draft can be changed', old.id, old.status),
                      jsonb_build_object('field', '_dds_id', 'rule', 'state', 'state', old.status, 'allowed_states', jsonb_build_array('draft')));
  end if;
  return new;
end
$$;

-- The reference number a submission gets: DDS-<year>-<12 upper-case hex digits> (48 random bits).
create or replace function app.dds_new_reference()
returns text
language sql volatile security invoker set search_path = ''
as $$
  select 'DDS-' || to_char(now() at time zone 'UTC', 'YYYY') || '-'
         || upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 12))
$$;

-- The statement locked for a change by the calling user (role re-checked here: this runs as lotline_auth).
-- 404 unknown (or another brand's), 412 stale _expected_version, 409 not in one of _states.
create or replace function app.dds_for_change(_brand_id uuid, _dds_id uuid, _expected_version integer,
                                              _min_role text, _states text[], _action text)
returns data.due_diligence_statements
language plpgsql volatile security definer set search_path = ''
as $$
declare v_row data.due_diligence_statements;
begin
  perform app.require_role(_brand_id, _min_role, 'dds:write');
  select * into v_row from data.due_diligence_statements d where d.brand_id = _brand_id and d.id = _dds_id for update;
  if not found then
    perform app.raise('PT404', format('Due-diligence statement %s not found', _dds_id),
                      jsonb_build_object('field', '_dds_id', 'rule', 'exists'));
  end if;
  if _expected_version is not null and _expected_version <> v_row.version then
    perform app.raise('PT412', format('Due-diligence statement %s is at version %s, not %s', _dds_id, v_row.version, _expected_version),
                      jsonb_build_object('field', '_expected_version', 'rule', 'current_version', 'current', v_row.version));
  end if;
  if not (v_row.status = any (_states)) then
    perform app.raise('PT409', format('Due-diligence statement %s is %s; only a %s statement can be %s',
                                      _dds_id, v_row.status, array_to_string(_states, ' or '), _action),
                      jsonb_build_object('field', '_dds_id', 'rule', 'state', 'state', v_row.status, 'action', _action,
                                         'allowed_states', to_jsonb(_states)));
  end if;
  return v_row;
end
$$;

-- Write a draft's content: the columns named in _keys take their value from _new (validated by the api
-- function), under the row lock, so concurrent patches of different keys both land; editor role.
create or replace function app.dds_write_draft(_brand_id uuid, _dds_id uuid, _expected_version integer,
                                               _new data.due_diligence_statements, _keys text[])
returns data.due_diligence_statements
language plpgsql volatile security definer set search_path = ''
as $$
declare v_row data.due_diligence_statements;
begin
  perform app.dds_for_change(_brand_id, _dds_id, _expected_version, 'editor', array['draft'], 'changed');
  update data.due_diligence_statements d
     set activity_type = case when 'activity_type' = any (_keys) then _new.activity_type else d.activity_type end,
         hs_code = case when 'hs_code' = any (_keys) then _new.hs_code else d.hs_code end,
         description = case when 'description' = any (_keys) then _new.description else d.description end,
         net_mass_kg = case when 'net_mass_kg' = any (_keys) then _new.net_mass_kg else d.net_mass_kg end,
         country_of_production = case when 'country_of_production' = any (_keys) then _new.country_of_production
                                      else d.country_of_production end,
         geolocation = case when 'geolocation' = any (_keys) then _new.geolocation else d.geolocation end
   where d.brand_id = _brand_id and d.id = _dds_id
  returning * into v_row;
  perform app.require_found(found, '_dds_id', format('Due-diligence statement %s not found', _dds_id));
  return v_row;
end
$$;

-- Submit a complete draft: status submitted, a new reference number, who and when; editor role.
create or replace function app.dds_submit(_brand_id uuid, _dds_id uuid, _expected_version integer)
returns data.due_diligence_statements
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row data.due_diligence_statements;
  v_missing text[];
begin
  v_row := app.dds_for_change(_brand_id, _dds_id, _expected_version, 'editor', array['draft'], 'submitted');
  v_missing := array_remove(array[
    case when v_row.activity_type is null then 'activity_type' end, case when v_row.hs_code is null then 'hs_code' end,
    case when v_row.net_mass_kg is null then 'net_mass_kg' end,
    case when v_row.country_of_production is null then 'country_of_production' end,
    case when v_row.geolocation is null then 'geolocation' end], null);
  if cardinality(v_missing) > 0 then
    perform app.raise('PT409', format('Due-diligence statement %s is incomplete: %s required before submitting', _dds_id,
                                      array_to_string(v_missing, ', ')),
                      jsonb_build_object('field', '_dds_id', 'rule', 'incomplete', 'missing', to_jsonb(v_missing)),
                      'Fill them in with update_due_diligence_statement');
  end if;
  update data.due_diligence_statements d
     set status = 'submitted', reference_number = app.dds_new_reference(), submitted_at = now(),
         submitted_by = app.current_user_id()
   where d.brand_id = _brand_id and d.id = _dds_id
  returning * into v_row;
  perform app.require_found(found, '_dds_id', format('Due-diligence statement %s not found', _dds_id));
  return v_row;
end
$$;

-- Record the authority's answer to a submitted statement; admin role.
create or replace function app.dds_decide(_brand_id uuid, _dds_id uuid, _expected_version integer, _decision text,
                                          _verification_number text, _reason text)
returns data.due_diligence_statements
language plpgsql volatile security definer set search_path = ''
as $$
declare v_row data.due_diligence_statements;
begin
  perform app.dds_for_change(_brand_id, _dds_id, _expected_version, 'admin', array['submitted'], 'decided');
  update data.due_diligence_statements d
     set status = _decision, decided_at = now(), decided_by = app.current_user_id(),
         verification_number = _verification_number, decision_reason = _reason
   where d.brand_id = _brand_id and d.id = _dds_id
  returning * into v_row;
  perform app.require_found(found, '_dds_id', format('Due-diligence statement %s not found', _dds_id));
  return v_row;
end
$$;

alter function app.dds_for_change(uuid, uuid, integer, text, text[], text) owner to lotline_auth;
alter function app.dds_write_draft(uuid, uuid, integer, data.due_diligence_statements, text[]) owner to lotline_auth;
alter function app.dds_submit(uuid, uuid, integer) owner to lotline_auth;
alter function app.dds_decide(uuid, uuid, integer, text, text, text) owner to lotline_auth;
comment on function app.dds_for_change(uuid, uuid, integer, text, text[], text) is
  'Definer (lotline_auth): authenticated has no write grant on due_diligence_statements. Checks the caller''s role (and dds:write) on the brand first; locks only a statement of that brand.';
comment on function app.dds_write_draft(uuid, uuid, integer, data.due_diligence_statements, text[]) is
  'Definer (lotline_auth), see app.dds_for_change: writes only the content columns of a draft of the caller''s brand (editor).';
comment on function app.dds_submit(uuid, uuid, integer) is
  'Definer (lotline_auth), see app.dds_for_change: submits a complete draft of the caller''s brand (editor).';
comment on function app.dds_decide(uuid, uuid, integer, text, text, text) is
  'Definer (lotline_auth), see app.dds_for_change: records accepted/rejected on a submitted statement of the caller''s brand (admin).';
revoke execute on function app.dds_for_change(uuid, uuid, integer, text, text[], text), app.dds_write_draft(uuid, uuid, integer, data.due_diligence_statements, text[]),
  app.dds_submit(uuid, uuid, integer), app.dds_decide(uuid, uuid, integer, text, text, text) from public;
grant execute on function app.dds_for_change(uuid, uuid, integer, text, text[], text), app.dds_write_draft(uuid, uuid, integer, data.due_diligence_statements, text[]),
  app.dds_submit(uuid, uuid, integer), app.dds_decide(uuid, uuid, integer, text, text, text) to authenticated;
grant execute on function app.dds_statuses(), app.dds_status_next(text), app.check_dds_transition(uuid, text, text),
  app.tg__dds_lifecycle(), app.dds_new_reference() to authenticated, lotline_auth;
