-- The rules of a batch row, for every write that reaches data.batches (api functions and direct DML alike).

-- 409 when a batch is archived: it cannot be changed (only a legal transition out of archived, if the
-- state machine ever has one, may touch it).
create or replace function app.check_batch_not_archived(_b data.batches)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
begin
  if _b.status = 'archived' then
    perform app.raise('PT409', format('Batch %s is archived and cannot be changed', _b.id),
                      jsonb_build_object('field', '_batch_id', 'rule', 'state', 'status', _b.status));
  end if;
end
$$;

-- _050_batches_guard, before insert or update:
--   * a status change follows the state machine (app.check_batch_transition), or is a lifted recall returning
--     the batch to its status before (app.recall_lift_allows); a new batch starts in a
--     status reachable from 'active' (or 'active' itself), so the generic table decides, whatever statuses
--     it holds;
--   * an archived batch does not change (app.check_batch_not_archived);
--   * entering 'archived' stamps archived_at.
-- Errors name the api argument that carries the value (_status, _batch_id), so both doors answer alike.
create or replace function app.tg__batches_guard()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.status is distinct from 'active' then
      perform app.check_batch_transition('active', new.status);
    end if;
  else
    if new.status is distinct from old.status then
      -- the one way out of `recalled` besides archiving: the transaction that lifted the recall returns the
      -- batch to its status before it (app.recall_lift_allows, sql/traceability/recalls.sql)
      if not (old.status = 'recalled' and app.recall_lift_allows(new.brand_id, new.id, new.status)) then
        perform app.check_batch_transition(old.status, new.status);
      end if;
    else
      perform app.check_batch_not_archived(old);
    end if;
  end if;
  if new.status = 'archived' and new.archived_at is null then
    new.archived_at := pg_catalog.now();
  end if;
  return new;
end
$$;
grant execute on function app.check_batch_not_archived(data.batches), app.tg__batches_guard() to authenticated;
