-- Serial numbers: checks before creating them (creation itself: minting.sql), voiding and guarding them.
-- Rules: docs/serials.md.
--
-- Who writes what:
--   * data.serials has no write grant for authenticated: numbers and codes must come from the CSPRNG and a
--     void is final, so rows are written only by SECURITY DEFINER helpers owned by lotline_auth (BYPASSRLS)
--     that check the caller's role themselves: app.serials_insert (minting.sql), app.mint_job_step
--     (mint-jobs.sql) and app.serials_void below.
--   * anon has no table privilege at all: the consumer view is read by one definer (public-view.sql)
--     that returns only consumer fields — never an internal id, quantity or member.

-- What a batch's serials are shown with (their GS1 Digital Link): the product's GTIN and the batch number.
-- 404 when the brand has no such batch.
create or replace function app.serial_batch(_brand_id uuid, _batch_id uuid, out gtin text, out batch_number text)
language plpgsql stable security invoker set search_path = ''
as $$
begin
  select p.gtin, b.batch_number into gtin, batch_number
    from data.batches b join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
   where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.not_found('Batch', _batch_id, '_batch_id');
  end if;
end
$$;

-- Checks before serials are created in a batch, then serialises creators of the same batch:
-- 404 unknown batch, 409 product not serialized, 409 batch archived or recalled.
create or replace function app.serials_prepare(_brand_id uuid, _batch_id uuid)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_status     text;
  v_serialized boolean;
  v_product    uuid;
begin
  perform app.check_required(_batch_id, '_batch_id');
  select b.status, p.serialized, p.id into v_status, v_serialized, v_product
    from data.batches b
    join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
   where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.not_found('Batch', _batch_id, '_batch_id');
  end if;
  if not v_serialized then
    perform app.raise('PT409',
      format('Product %s is not serialized (serialized = false): serial numbers exist only for serialized products', v_product),
      jsonb_build_object('field', '_batch_id', 'rule', 'serialized', 'product_id', v_product, 'serialized', false),
      'Set serialized = true on the product first');
  end if;
  if v_status in ('archived', 'recalled') then
    perform app.raise('PT409', format('Batch %s is %s: no new serial numbers can be added', _batch_id, v_status),
      jsonb_build_object('field', '_batch_id', 'rule', 'status', 'status', v_status));
  end if;
  -- one creator per batch at a time: seq ranges never overlap (advisory xact locks are re-entrant)
  perform pg_advisory_xact_lock(hashtextextended('lotline.serials:' || _batch_id::text, 0));
end
$$;

-- Next free position in a batch. A sequentially minted serial's number is its seq, so with _above_numbers the
-- next seq is also kept above every imported serial that is a plain number (partial index
-- serials__brand_id_batch_id_imported_number_idx).
create or replace function app.serials_next_seq(_brand_id uuid, _batch_id uuid, _above_numbers boolean default true)
returns bigint
language sql stable security invoker set search_path = ''
as $$
  select greatest(
    coalesce((select max(s.seq) from data.serials s where s.brand_id = _brand_id and s.batch_id = _batch_id), 0),
    case when _above_numbers then
      coalesce((select max(s.serial_number::bigint) from data.serials s
                 where s.brand_id = _brand_id and s.batch_id = _batch_id
                   and s.source = 'imported' and s.serial_number ~ '^[1-9][0-9]{0,17}$'), 0)
    else 0 end
  ) + 1
$$;

-- Void one serial (by code, or by serial number within the batch) with a reason. Final: a void serial
-- never becomes active again (trigger app.tg__serials_guard). 404 unknown, 409 already void.
-- Definer because authenticated has no update grant on data.serials; checks admin + serials:write.
create or replace function app.serials_void(_brand_id uuid, _batch_id uuid, _ref text, _reason text)
returns data.serials
language plpgsql volatile security definer set search_path = ''
as $$
declare v data.serials;
begin
  perform app.require_role(_brand_id, 'admin', 'serials:write');
  if _reason is null or length(btrim(_reason)) not between 1 and 500 then
    perform app.invalid('_reason', 'length', '_reason is required (1-500 characters)');
  end if;
  select * into v from data.serials s
   where s.code = _ref and s.brand_id = _brand_id and s.batch_id = _batch_id for update;
  if not found then
    select * into v from data.serials s
     where s.brand_id = _brand_id and s.batch_id = _batch_id and s.serial_number = _ref for update;
  end if;
  if not found then
    perform app.raise('PT404', format('Serial %s not found in batch %s', _ref, _batch_id),
                      jsonb_build_object('field', '_code', 'rule', 'exists'));
  end if;
  if v.status = 'void' then
    perform app.raise('PT409', format('Serial %s is already void: void is final', v.serial_number),
                      jsonb_build_object('field', '_code', 'rule', 'state', 'status', v.status));
  end if;
  update data.serials s
     set status = 'void', void_reason = btrim(_reason), voided_at = now(), voided_by = app.current_user_id(),
         updated_at = now()
   where s.brand_id = v.brand_id and s.batch_id = v.batch_id and s.seq = v.seq
  returning * into v;
  return v;
end
$$;
alter function app.serials_void(uuid, uuid, text, text) owner to lotline_auth;
comment on function app.serials_void(uuid, uuid, text, text) is
  'Definer (lotline_auth): data.serials has no update grant. Checks admin role + serials:write scope itself.';

-- Row guard: a serial's identity never changes and a void is final, whoever writes.
create or replace function app.tg__serials_guard()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if (new.brand_id, new.batch_id, new.seq, new.serial_number, new.code, new.source, new.created_at, new.created_by)
     is distinct from
     (old.brand_id, old.batch_id, old.seq, old.serial_number, old.code, old.source, old.created_at, old.created_by) then
    raise exception using errcode = 'PT409', message = 'A serial''s batch, number, code and origin cannot change';
  end if;
  if old.status = 'void' and new.status is distinct from 'void' then
    raise exception using errcode = 'PT409', message = format('Serial %s is void: void is final', old.serial_number);
  end if;
  return new;
end
$$;

revoke execute on function app.serials_void(uuid, uuid, text, text) from public;
grant execute on function app.serials_prepare(uuid, uuid), app.serials_next_seq(uuid, uuid, boolean),
  app.serials_void(uuid, uuid, text, text) to authenticated;
grant execute on function app.serial_batch(uuid, uuid) to authenticated;
-- what the lotline_auth definers call
grant execute on function app.serials_prepare(uuid, uuid), app.serials_next_seq(uuid, uuid, boolean), app.tg__serials_guard() to lotline_auth;
