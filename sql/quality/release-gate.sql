-- The release gate, a rule of data.batches (triggers attached in sql/quality/policies.sql), so every write
-- meets it — RPCs, sync, receipts and a DBA's direct UPDATE alike. For a product whose release rule
-- requires a passing lab result:
--   * a new batch starts in_testing (instead of active / received) with an automatic lab pending hold;
--   * status ready_for_sale is reachable only while the batch's latest lab result passes.
-- docs/quality.md, docs/state-machine.md.

create or replace function app.tg_batches__release_gate()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_required boolean;
  v_latest text;
begin
  select r.requires_lab_result into v_required
    from data.release_rules r where r.brand_id = new.brand_id and r.product_id = new.product_id;
  if not coalesce(v_required, false) then
    return new;
  end if;
  if tg_op = 'INSERT' and new.status in ('active', 'received') then
    new.status := 'in_testing';
  end if;
  if new.status = 'ready_for_sale' and (tg_op = 'INSERT' or old.status is distinct from 'ready_for_sale') then
    v_latest := app.latest_lab_result_of(new.brand_id, new.id);
    if v_latest is distinct from 'pass' then
      perform app.raise('PT409',
        format('Batch "%s" cannot be ready_for_sale: its product requires a passing lab result and the latest result is %s',
               new.batch_number, coalesce(v_latest, 'missing')),
        jsonb_build_object('field', '_status', 'rule', 'lab_result_required',
                           'from', case when tg_op = 'UPDATE' then old.status end, 'to', new.status, 'latest_result', v_latest));
    end if;
  end if;
  return new;
end
$$;

-- AFTER INSERT: the lab pending hold of a new batch of a gated product.
create or replace function app.tg_batches__lab_pending_hold()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
begin
  if exists (select from data.release_rules r
              where r.brand_id = new.brand_id and r.product_id = new.product_id and r.requires_lab_result) then
    perform app.hold_insert(new.brand_id, new.id, null, 'lab_pending', 'awaiting a passing lab result (release rule)',
                            'release_gate', null, true);
  end if;
  return null;
end
$$;

alter function app.tg_batches__release_gate() owner to lotline_auth;
alter function app.tg_batches__lab_pending_hold() owner to lotline_auth;
comment on function app.tg_batches__release_gate() is
  'Definer: reads the release rule and the lab results for whoever writes the batch (keyed by the row''s own brand).';
comment on function app.tg_batches__lab_pending_hold() is
  'Definer: holds have no write grant for callers; a new batch of a gated product gets its lab pending hold.';
revoke execute on function app.tg_batches__release_gate(), app.tg_batches__lab_pending_hold() from public;
