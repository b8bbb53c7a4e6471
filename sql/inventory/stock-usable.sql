-- Inventory: the one rule on whether a batch's stock may be taken — reserved (create/update transfer),
-- transferred (accept) or consumed (production, split, merge). Every such path calls app.assert_stock_usable.

-- Lock the batches FOR SHARE in (product_id, batch_number) order — the order in which receipts create and
-- recalls update batch rows (docs/inventory.md, locking) — and refuse (409 PT409) the first one, in argument
-- order, whose stock may not be taken:
--   recalled → rule "recalled", naming the active recall that covers it (number, reason), if any.
-- The share lock conflicts with a recall's status UPDATE: a call either finishes before the recall of its
-- batch, or waits for it and is refused. Batch i is taken at _location_ids[i] (null: not location-bound);
-- _fields[i] names the argument in the error (default `_batch_id`). Batches not found are skipped (callers
-- answer 404 first). Adjustments are not gated: writing off recalled stock is how it leaves.
create or replace function app.assert_stock_usable(_brand_id uuid, _batch_ids uuid[], _location_ids uuid[] default null,
                                                   _fields text[] default null)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare r record;
begin
  perform from data.batches b
   where b.brand_id = _brand_id and b.id = any (_batch_ids)
   order by b.product_id, b.batch_number
     for share of b;
  select k.ord, k.location_id, coalesce(k.field, '_batch_id') as field, b.id, b.batch_number, b.status, b.recall_message,
         rc.id as recall_id, rc.number as recall_number, rc.reason as recall_reason
    into r
    from unnest(_batch_ids, coalesce(_location_ids, '{}'), coalesce(_fields, '{}')) with ordinality as k (batch_id, location_id, field, ord)
    join data.batches b on b.brand_id = _brand_id and b.id = k.batch_id
    left join lateral (select x.id, x.number, x.reason from data.recall_batches rb
                         join data.recalls x on x.brand_id = rb.brand_id and x.id = rb.recall_id
                        where rb.brand_id = _brand_id and rb.batch_id = b.id and x.status = 'active'
                        order by x.created_at desc limit 1) rc on true
   where b.status = 'recalled'
   order by k.ord limit 1;
  if found then
    perform app.raise('PT409',
      format('Batch "%s" (%s) is recalled%s: its stock cannot be reserved, transferred or consumed',
             r.batch_number, r.id, case when r.recall_number is not null then format(' (%s: %s)', r.recall_number, r.recall_reason)
                                        else coalesce(': ' || r.recall_message, '') end),
      jsonb_build_object('field', r.field, 'rule', 'recalled', 'batch_id', r.id, 'batch_number', r.batch_number,
                         'status', r.status, 'location_id', r.location_id, 'recall_id', r.recall_id,
                         'recall_number', r.recall_number, 'reason', coalesce(r.recall_reason, r.recall_message)));
  end if;
end
$$;
comment on function app.assert_stock_usable(uuid, uuid[], uuid[], text[]) is
  'The rule on whether a batch''s stock may be reserved, transferred or consumed (409 naming why not); locks the batch rows FOR SHARE.';
alter function app.assert_stock_usable(uuid, uuid[], uuid[], text[]) owner to lotline_auth;
revoke execute on function app.assert_stock_usable(uuid, uuid[], uuid[], text[]) from public;
