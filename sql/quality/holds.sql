-- Holds: the reason-code catalogue, placing and releasing them, and the guard that keeps their history.
-- data.holds has no write grant for callers: place_hold / release_hold go through the definers below, the
-- quality triggers (lab results, release gate) through app.hold_insert. docs/quality.md.

create or replace function app.hold_reason_codes()
returns text[]
language sql immutable security invoker set search_path = ''
as $$ select array['lab_pending', 'lab_failed', 'damaged', 'expired', 'recalled', 'regulatory', 'other'] $$;

-- Insert an open hold; with _if_absent, an open hold of the same reason on the same scope is kept and its id
-- returned, otherwise that is a 409 (23505) naming it. Internal (no grant): runs as lotline_auth inside the
-- definers and the quality triggers.
create or replace function app.hold_insert(_brand_id uuid, _batch_id uuid, _location_id uuid, _reason_code text,
                                           _note text, _source text, _lab_result_id uuid, _if_absent boolean)
returns uuid
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_id uuid;
begin
  insert into data.holds (brand_id, batch_id, location_id, reason_code, note, source, lab_result_id, placed_by)
  values (_brand_id, _batch_id, _location_id, _reason_code, _note, _source, _lab_result_id,
          coalesce(app.current_user_id(), 'system'))
  on conflict do nothing
  returning id into v_id;
  if v_id is null then
    select h.id into v_id from data.holds h
     where h.brand_id = _brand_id and h.batch_id = _batch_id and h.location_id is not distinct from _location_id
       and h.reason_code = _reason_code and h.status = 'open';
    if not _if_absent then
      perform app.raise('23505', format('Batch %s already has an open %s hold%s: %s', _batch_id,
                                        replace(_reason_code, '_', ' '),
                                        case when _location_id is null then '' else ' at that location' end, v_id),
                        jsonb_build_object('field', '_reason_code', 'rule', 'unique', 'value', _reason_code, 'hold_id', v_id));
    end if;
  end if;
  return v_id;
end
$$;

-- Release open holds of a batch: by id (_hold_id), or every open hold of the given reasons (_reasons).
-- The guard trigger below decides whether a lab hold may go. Internal (no grant).
create or replace function app.hold_release_where(_brand_id uuid, _batch_id uuid, _hold_id uuid, _reasons text[], _note text)
returns integer
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_n integer;
begin
  update data.holds h
     set status = 'released', released_by = coalesce(app.current_user_id(), 'system'), released_at = pg_catalog.now(),
         release_note = _note
   where h.brand_id = _brand_id and h.batch_id = _batch_id and h.status = 'open'
     and (_hold_id is null or h.id = _hold_id) and (_reasons is null or h.reason_code = any (_reasons));
  get diagnostics v_n = row_count;
  return v_n;
end
$$;

-- place_hold for an editor (checked first): the whole batch, or its stock at one location.
create or replace function app.hold_place(_brand_id uuid, _batch_id uuid, _reason_code text, _note text, _location_id uuid)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'editor', 'quality:write');
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  if _reason_code is null or not (_reason_code = any (app.hold_reason_codes())) then
    perform app.invalid('_reason_code', 'enum', format('_reason_code must be one of %s', array_to_string(app.hold_reason_codes(), ', ')));
  end if;
  if _reason_code = 'other' and _note is null then
    perform app.invalid('_note', 'required', '_note is required when _reason_code is other');
  end if;
  if not exists (select from data.batches b where b.brand_id = _brand_id and b.id = _batch_id) then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  if _location_id is not null and not exists (select from data.locations l where l.brand_id = _brand_id and l.id = _location_id) then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
  end if;
  return app.hold_insert(_brand_id, _batch_id, _location_id, _reason_code, _note, 'manual', null, false);
end
$$;
alter function app.hold_place(uuid, uuid, text, text, uuid) owner to lotline_auth;
comment on function app.hold_place(uuid, uuid, text, text, uuid) is
  'Definer: data.holds has no write grant for callers; places a hold for an editor (checked first).';

-- release_hold for an admin (checked first): 404 for an unknown hold, 409 when it is no longer open.
create or replace function app.hold_release(_brand_id uuid, _hold_id uuid, _note text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare v data.holds;
begin
  perform app.require_role(_brand_id, 'admin', 'quality:write');
  if _hold_id is null then
    perform app.invalid('_hold_id', 'required', '_hold_id is required');
  end if;
  select * into v from data.holds h where h.brand_id = _brand_id and h.id = _hold_id for update;
  if not found then
    perform app.raise('PT404', format('Hold %s not found', _hold_id), jsonb_build_object('field', '_hold_id', 'rule', 'exists'));
  end if;
  if v.status <> 'open' then
    perform app.raise('PT409', format('Hold %s is already released', _hold_id),
                      jsonb_build_object('field', '_hold_id', 'rule', 'state', 'state', v.status, 'allowed_states', jsonb_build_array('open')));
  end if;
  perform app.hold_release_where(_brand_id, v.batch_id, _hold_id, null, _note);
end
$$;
alter function app.hold_release(uuid, uuid, text) owner to lotline_auth;
comment on function app.hold_release(uuid, uuid, text) is
  'Definer: data.holds has no write grant for callers; releases a hold for an admin (checked first).';

-- Guard on data.holds, for every writer: a hold is never deleted; the only change is open → released
-- (who, when, note). On a batch whose product requires a passing lab result, a lab pending hold goes only
-- once a result is in, a lab failed hold only once the latest result passes.
create or replace function app.tg_holds__guard()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare v_latest text;
begin
  if tg_op = 'DELETE' then
    perform app.raise('PT409', format('Hold %s cannot be deleted: release it instead (holds are kept as history)', old.id),
                      jsonb_build_object('field', '_hold_id', 'rule', 'state', 'state', old.status));
  end if;
  if old.status <> 'open' or new.status <> 'released'
     or (new.brand_id, new.id, new.batch_id, new.location_id, new.reason_code, new.note, new.source, new.lab_result_id,
         new.placed_by, new.placed_at) is distinct from
        (old.brand_id, old.id, old.batch_id, old.location_id, old.reason_code, old.note, old.source, old.lab_result_id,
         old.placed_by, old.placed_at) then
    perform app.raise('PT409', format('Hold %s is %s; the only change a hold takes is its release', old.id, old.status),
                      jsonb_build_object('field', '_hold_id', 'rule', 'state', 'state', old.status, 'allowed_states', jsonb_build_array('open')));
  end if;
  if old.reason_code in ('lab_pending', 'lab_failed') and app.lab_result_required(old.brand_id, old.batch_id) then
    v_latest := app.latest_lab_result_of(old.brand_id, old.batch_id);
    if (old.reason_code = 'lab_pending' and v_latest is null) or (old.reason_code = 'lab_failed' and v_latest is distinct from 'pass') then
      perform app.raise('PT409',
        format('Hold %s (%s) stays until a %s lab result is recorded: the product requires a passing one and the latest result is %s',
               old.id, replace(old.reason_code, '_', ' '), case old.reason_code when 'lab_pending' then 'first' else 'passing' end,
               coalesce(v_latest, 'missing')),
        jsonb_build_object('field', '_hold_id', 'rule', 'lab_result_required', 'latest_result', v_latest));
    end if;
  end if;
  return new;
end
$$;
alter function app.tg_holds__guard() owner to lotline_auth;
comment on function app.tg_holds__guard() is
  'Definer: must read the release rule and the lab results whoever releases (the reads are keyed by the hold''s own brand).';

alter function app.hold_insert(uuid, uuid, uuid, text, text, text, uuid, boolean) owner to lotline_auth;
alter function app.hold_release_where(uuid, uuid, uuid, text[], text) owner to lotline_auth;
revoke execute on function app.hold_insert(uuid, uuid, uuid, text, text, text, uuid, boolean),
  app.hold_release_where(uuid, uuid, uuid, text[], text), app.hold_place(uuid, uuid, text, text, uuid),
  app.hold_release(uuid, uuid, text), app.tg_holds__guard() from public;
grant execute on function app.hold_reason_codes() to authenticated, lotline_auth;
grant execute on function app.hold_place(uuid, uuid, text, text, uuid), app.hold_release(uuid, uuid, text) to authenticated;
