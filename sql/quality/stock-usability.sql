-- The one check every path that reserves, transfers or picks stock calls (inventory transfers, pick lists):
-- stock that is unsellable at that location — an open hold on the batch or on its stock there, a recalled or
-- archived batch, an expired one (computed now, no job) — is refused with a 409 naming the first reason
-- (the hold, with its id). The reasons come from app.batch_sellability, the one place that decides.

create or replace function app.assert_stock_usable(_brand_id uuid, _batch_id uuid, _location_id uuid,
                                                   _field text default '_batch_id')
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_batch_number text;
  v_status text;
  v_expiry date;
  v_unsellable boolean;
  v_reasons jsonb;
  v_first jsonb;
begin
  select b.batch_number, b.status, b.expiry_date into v_batch_number, v_status, v_expiry
    from data.batches b where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    return;   -- an unknown batch is the caller's 404
  end if;
  select s.unsellable, to_jsonb(s.unsellable_reasons) into v_unsellable, v_reasons
    from app.batch_sellability(_brand_id, _batch_id, v_status, v_expiry, _location_id) s;
  if not v_unsellable then
    return;
  end if;
  v_first := v_reasons -> 0;
  perform app.raise('PT409',
    format('Batch "%s" cannot be reserved, transferred or picked: %s', v_batch_number, v_first ->> 'message'),
    jsonb_build_object('field', _field, 'rule', 'unsellable', 'batch_id', _batch_id, 'batch_number', v_batch_number,
                       'location_id', _location_id, 'reason_code', v_first -> 'code',
                       'hold_id', case when v_first ->> 'source' = 'hold' then v_first -> 'id' end,
                       'reasons', v_reasons));
end
$$;
comment on function app.assert_stock_usable(uuid, uuid, uuid, text) is
  'Refuse (409, rule unsellable) stock of a batch at a location that is held, recalled, archived or expired. Called by every reservation, transfer and pick path.';
grant execute on function app.assert_stock_usable(uuid, uuid, uuid, text) to authenticated, lotline_auth;

-- The same for the lines of a transfer or pick at one location: _lines [{batch_id, index?, need?}], checked
-- in index order (lines with need <= 0 — a reservation that only shrinks — are not); a line's error names
-- `<_field>[<index>].batch_id`, or _field itself for lines without an index.
create or replace function app.assert_lines_usable(_brand_id uuid, _location_id uuid, _lines jsonb, _field text default '_lines')
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare r record;
begin
  for r in select l.batch_id, l.index from jsonb_to_recordset(_lines) as l (batch_id uuid, index integer, need numeric)
            where l.need is null or l.need > 0 order by l.index, l.batch_id loop
    perform app.assert_stock_usable(_brand_id, r.batch_id, _location_id,
                                    case when r.index is null then _field else format('%s[%s].batch_id', _field, r.index) end);
  end loop;
end
$$;
grant execute on function app.assert_lines_usable(uuid, uuid, jsonb, text) to authenticated, lotline_auth;
