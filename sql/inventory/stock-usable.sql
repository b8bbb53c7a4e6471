-- Inventory: the one rule on whether a batch's stock may be taken — reserved (create/update transfer, reserve
-- picks), transferred (accept), picked (confirm picks) or consumed (production, split, merge). Every such path
-- calls app.assert_stock_usable.

-- Lock the batches FOR SHARE in (product_id, batch_number) order — the order in which receipts create and
-- recalls update batch rows (docs/inventory.md, locking) — and refuse (409 PT409) the first one, in argument
-- order, whose stock may not be taken:
--   recalled → rule "recalled", naming the active recall that covers it (number, reason), if any;
--   otherwise unsellable at its location → rule "unsellable" naming the first reason: an open hold on the batch
--   or on its stock there (hold_id), an archived batch, an expired one (computed now, no job). The reasons come
--   from app.batch_sellability (sql/quality/types.sql, resolved when called), the one place that decides.
-- The share lock conflicts with a recall's status UPDATE: a call either finishes before the recall of its
-- batch, or waits for it and is refused. Batch i is taken at _location_ids[i] (null: not location-bound);
-- _fields[i] names the argument in the error (default `_batch_id`); _recall_only[i] true: stock is only added
-- to it (a production's output), so only a recall refuses it. Batches not found are skipped (callers answer
-- 404 first). Adjustments are not gated: writing off recalled or held stock is how it leaves.
drop function if exists app.assert_stock_usable(uuid, uuid[], uuid[], text[]);
drop function if exists app.assert_stock_usable(uuid, uuid, uuid, text);
drop function if exists app.assert_lines_usable(uuid, uuid, jsonb, text);
create or replace function app.assert_stock_usable(_brand_id uuid, _batch_ids uuid[], _location_ids uuid[] default null,
                                                   _fields text[] default null, _recall_only boolean[] default null)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  r record;
  v_first jsonb;
begin
  perform from data.batches b
   where b.brand_id = _brand_id and b.id = any (_batch_ids)
   order by b.product_id, b.batch_number
     for share of b;
  select k.ord, k.location_id, coalesce(k.field, '_batch_id') as field, b.id, b.batch_number, b.status, b.recall_message,
         rc.id as recall_id, rc.number as recall_number, rc.reason as recall_reason, s.unsellable_reasons as reasons
    into r
    from unnest(_batch_ids, coalesce(_location_ids, '{}'), coalesce(_fields, '{}'), coalesce(_recall_only, '{}'))
           with ordinality as k (batch_id, location_id, field, recall_only, ord)
    join data.batches b on b.brand_id = _brand_id and b.id = k.batch_id
    left join lateral (select x.id, x.number, x.reason from data.recall_batches rb
                         join data.recalls x on x.brand_id = rb.brand_id and x.id = rb.recall_id
                        where rb.brand_id = _brand_id and rb.batch_id = b.id and x.status = 'active' and b.status = 'recalled'
                        order by x.created_at desc limit 1) rc on true
    left join lateral app.batch_sellability(_brand_id, b.id, b.status, b.expiry_date, k.location_id) s
           on b.status <> 'recalled' and not coalesce(k.recall_only, false)
   where b.status = 'recalled' or s.unsellable
   order by k.ord limit 1;
  if not found then
    return;
  end if;
  if r.status = 'recalled' then
    perform app.raise('PT409',
      format('Batch "%s" (%s) is recalled%s: its stock cannot be reserved, transferred, picked or consumed',
             r.batch_number, r.id, case when r.recall_number is not null then format(' (%s: %s)', r.recall_number, r.recall_reason)
                                        else coalesce(': ' || r.recall_message, '') end),
      jsonb_build_object('field', r.field, 'rule', 'recalled', 'batch_id', r.id, 'batch_number', r.batch_number,
                         'status', r.status, 'location_id', r.location_id, 'recall_id', r.recall_id,
                         'recall_number', r.recall_number, 'reason', coalesce(r.recall_reason, r.recall_message)));
  end if;
  v_first := to_jsonb(r.reasons) -> 0;
  perform app.raise('PT409',
    format('Batch "%s" cannot be reserved, transferred, picked or consumed: %s', r.batch_number, v_first ->> 'message'),
    jsonb_build_object('field', r.field, 'rule', 'unsellable', 'batch_id', r.id, 'batch_number', r.batch_number,
                       'location_id', r.location_id, 'reason_code', v_first -> 'code',
                       'hold_id', case when v_first ->> 'source' = 'hold' then v_first -> 'id' end,
                       'reasons', to_jsonb(r.reasons)));
end
$$;
comment on function app.assert_stock_usable(uuid, uuid[], uuid[], text[], boolean[]) is
  'The rule on whether a batch''s stock may be reserved, transferred, picked or consumed: refuses recalled (409 recalled), held, archived or expired (409 unsellable) stock; locks the batch rows FOR SHARE.';
alter function app.assert_stock_usable(uuid, uuid[], uuid[], text[], boolean[]) owner to lotline_auth;
revoke execute on function app.assert_stock_usable(uuid, uuid[], uuid[], text[], boolean[]) from public;
