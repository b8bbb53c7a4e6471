-- Traceability: recalling a batch and everything made from it in one call, and lifting a recall.
-- docs/traceability.md describes the rules; docs/state-machine.md the way out of `recalled`.
-- Both writers take the genealogy lock first (genealogy.sql, order 2), then the batch rows FOR UPDATE in
-- (product_id, batch_number) order (order 3), then the RC- number (order 5): a production that would add an
-- edge from a batch being recalled either finishes first (and its output is recalled too) or waits and is refused.

-- The recall definers run the state machine's check as lotline_auth.
grant execute on function app.batch_status_next(text), app.batch_statuses(), app.check_batch_transition(text, text) to lotline_auth;

-- The batch and everything made from it (downstream), each once with its shortest distance. One recursive walk
-- over (brand, input) → output; UNION over (batch, depth) keeps it finite.
create or replace function app.genealogy_downstream(_brand_id uuid, _batch_id uuid, _include_downstream boolean)
returns table (batch_id uuid, depth integer)
language sql stable security invoker set search_path = ''
as $$
  with recursive down (batch_id, depth) as (
    select _batch_id, 0
    union
    select e.output_batch_id, d.depth + 1
      from down d join data.genealogy_edges e on e.brand_id = _brand_id and e.input_batch_id = d.batch_id
     where _include_downstream and d.depth < 100000
  )
  select d.batch_id, min(d.depth)::integer from down d group by d.batch_id
$$;

-- Recall a batch (and, by default, its downstream): every covered batch that may become `recalled` does
-- (recall_message = _reason), through the state machine's own check; an archived one is listed unchanged; one
-- recalled already keeps its status and inherits the status to return to. Records the recall and its batches.
create or replace function app.recall_apply(_brand_id uuid, _batch_id uuid, _reason text, _include_downstream boolean)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_reason text;
  v_root data.batches;
  v_active record;
  v_ids uuid[];
  v_depths integer[];
  r record;
begin
  perform app.require_role(_brand_id, 'admin', 'recall:write');
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  v_reason := app.check_text(_reason, '_reason', 2000);
  if _include_downstream is null then
    perform app.invalid('_include_downstream', 'required', '_include_downstream must be true or false');
  end if;
  perform app.genealogy_lock(_brand_id);
  select * into v_root from data.batches b where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;

  select array_agg(d.batch_id), array_agg(d.depth) into v_ids, v_depths
    from app.genealogy_downstream(_brand_id, _batch_id, _include_downstream) d;
  -- lock every covered batch in the global order, then decide per batch on the locked rows
  perform from data.batches b where b.brand_id = _brand_id and b.id = any (v_ids)
   order by b.product_id, b.batch_number for update of b;
  select * into v_root from data.batches b where b.brand_id = _brand_id and b.id = _batch_id;
  if v_root.status = 'recalled' then
    select rc.id, rc.number into v_active from data.recall_batches rb
      join data.recalls rc on rc.brand_id = rb.brand_id and rc.id = rb.recall_id
     where rb.brand_id = _brand_id and rb.batch_id = _batch_id and rc.status = 'active'
     order by rc.created_at desc limit 1;
    perform app.raise('PT409', format('Batch "%s" is recalled already%s', v_root.batch_number, coalesce(' (' || v_active.number || ')', '')),
                      jsonb_build_object('field', '_batch_id', 'rule', 'already_recalled', 'state', 'recalled',
                                         'recall_id', v_active.id, 'recall_number', v_active.number));
  end if;

  insert into data.recalls (brand_id, id, number, batch_id, reason, include_downstream, created_by)
  values (_brand_id, v_id, app.inventory_next_number(_brand_id, 'recall', 'RC'), _batch_id, v_reason, _include_downstream,
          app.current_user_id());
  insert into data.recall_batches (brand_id, recall_id, batch_id, depth, previous_status, previous_recall_message, changed)
  select _brand_id, v_id, s.batch_id, s.depth,
         case when b.status = 'recalled' then prev.previous_status else b.status end,
         case when b.status = 'recalled' then prev.previous_recall_message else b.recall_message end,
         b.status <> 'recalled' and 'recalled' = any (app.batch_status_next(b.status))
    from unnest(v_ids, v_depths) as s (batch_id, depth)
    join data.batches b on b.brand_id = _brand_id and b.id = s.batch_id
    left join lateral (select rb.previous_status, rb.previous_recall_message from data.recall_batches rb
                         join data.recalls rc on rc.brand_id = rb.brand_id and rc.id = rb.recall_id
                        where rb.brand_id = _brand_id and rb.batch_id = s.batch_id and rc.status = 'active'
                        order by rc.created_at desc limit 1) prev on true;
  -- the status change itself: an ordinary UPDATE that passes the state machine's check
  for r in select b.id, b.status from data.recall_batches rb join data.batches b on b.brand_id = rb.brand_id and b.id = rb.batch_id
            where rb.brand_id = _brand_id and rb.recall_id = v_id and rb.changed order by b.product_id, b.batch_number loop
    perform app.check_batch_transition(r.status, 'recalled');
  end loop;
  update data.batches b set status = 'recalled', recall_message = v_reason
    from data.recall_batches rb
   where rb.brand_id = _brand_id and rb.recall_id = v_id and rb.changed and b.brand_id = _brand_id and b.id = rb.batch_id;
  return v_id;
end
$$;
alter function app.recall_apply(uuid, uuid, text, boolean) owner to lotline_auth;
comment on function app.recall_apply(uuid, uuid, text, boolean) is
  'Definer: recalls have no write grant for callers, and a recall must reach batches the caller could not otherwise lock in one order; recalls for an admin (checked first).';

-- May batch _batch_id move from `recalled` to _to in this transaction? Only when this transaction lifted a recall
-- covering it whose recorded previous status is _to, and no other active recall covers it. The state machine's
-- ordinary transitions never leave `recalled` except to `archived`; this is the one other way (lift_recall).
create or replace function app.recall_lift_allows(_brand_id uuid, _batch_id uuid, _to text)
returns boolean
language sql stable security invoker set search_path = ''
as $$
  select exists (select from data.recall_batches rb join data.recalls rc on rc.brand_id = rb.brand_id and rc.id = rb.recall_id
                  where rb.brand_id = _brand_id and rb.batch_id = _batch_id and rc.status = 'lifted'
                    and rc.lift_xid = pg_catalog.pg_current_xact_id_if_assigned() and rb.previous_status = _to)
     and not exists (select from data.recall_batches rb join data.recalls rc on rc.brand_id = rb.brand_id and rc.id = rb.recall_id
                      where rb.brand_id = _brand_id and rb.batch_id = _batch_id and rc.status = 'active')
$$;

-- Lift a recall: record who, when and why; every batch it covers that is still `recalled` and covered by no
-- other active recall returns to the status it had before (and its previous recall message).
create or replace function app.recall_lift(_brand_id uuid, _recall_id uuid, _reason text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_reason text;
  v_recall data.recalls;
begin
  perform app.require_role(_brand_id, 'admin', 'recall:write');
  if _recall_id is null then
    perform app.invalid('_recall_id', 'required', '_recall_id is required');
  end if;
  v_reason := app.check_text(_reason, '_reason', 2000);
  perform app.genealogy_lock(_brand_id);
  select * into v_recall from data.recalls rc where rc.brand_id = _brand_id and rc.id = _recall_id for update;
  if not found then
    perform app.raise('PT404', format('Recall %s not found', _recall_id), jsonb_build_object('field', '_recall_id', 'rule', 'exists'));
  end if;
  if v_recall.status <> 'active' then
    perform app.raise('PT409', format('Recall %s is %s; only an active recall can be lifted', v_recall.number, v_recall.status),
                      jsonb_build_object('field', '_recall_id', 'rule', 'state', 'state', v_recall.status, 'number', v_recall.number,
                                         'allowed_states', jsonb_build_array('active')));
  end if;
  perform from data.batches b join data.recall_batches rb on rb.brand_id = b.brand_id and rb.batch_id = b.id
   where rb.brand_id = _brand_id and rb.recall_id = _recall_id order by b.product_id, b.batch_number for update of b;
  update data.recalls rc
     set status = 'lifted', lifted_by = app.current_user_id(), lifted_at = pg_catalog.now(), lift_reason = v_reason,
         lift_xid = pg_catalog.pg_current_xact_id()
   where rc.brand_id = _brand_id and rc.id = _recall_id;
  perform app.require_found(found, '_recall_id', format('Recall %s not found', _recall_id));
  update data.batches b set status = rb.previous_status, recall_message = rb.previous_recall_message
    from data.recall_batches rb
   where rb.brand_id = _brand_id and rb.recall_id = _recall_id and b.brand_id = _brand_id and b.id = rb.batch_id
     and b.status = 'recalled' and rb.previous_status is not null and rb.previous_status <> 'recalled'
     and app.recall_lift_allows(_brand_id, b.id, rb.previous_status);
end
$$;
alter function app.recall_lift(uuid, uuid, text) owner to lotline_auth;
comment on function app.recall_lift(uuid, uuid, text) is
  'Definer: recalls have no write grant for callers; lifts for an admin (checked first), returning each batch to its status before the recall.';

revoke execute on function app.recall_apply(uuid, uuid, text, boolean), app.recall_lift(uuid, uuid, text) from public;
grant execute on function app.genealogy_downstream(uuid, uuid, boolean), app.recall_lift_allows(uuid, uuid, text)
  to authenticated, lotline_auth;
grant execute on function app.recall_apply(uuid, uuid, text, boolean), app.recall_lift(uuid, uuid, text) to authenticated;
