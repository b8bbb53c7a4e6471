-- Serial numbers: creating, voiding and guarding them. Rules: docs/serials.md.
--
-- Who writes what:
--   * data.serials has no write grant for authenticated: codes must come from the CSPRNG and a void is
--     final, so rows are written only by the two SECURITY DEFINER helpers below (app.serials_insert,
--     app.serials_void) (owned by lotline_auth,
--     BYPASSRLS), which check the caller's role themselves.
--   * anon has no table privilege at all: the consumer view is read by one definer (public-view.sql)
--     that returns only consumer fields — never an internal id, quantity or member.

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
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  select b.status, p.serialized, p.id into v_status, v_serialized, v_product
    from data.batches b
    join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
   where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
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

-- Next free position in a batch. A minted serial's number is its seq, so the next seq is also kept above
-- every imported serial that is a plain number (partial index serials__brand_id_batch_id_imported_number_idx).
create or replace function app.serials_next_seq(_brand_id uuid, _batch_id uuid)
returns bigint
language sql stable security invoker set search_path = ''
as $$
  select greatest(
    coalesce((select max(s.seq) from data.serials s where s.brand_id = _brand_id and s.batch_id = _batch_id), 0),
    coalesce((select max(s.serial_number::bigint) from data.serials s
               where s.brand_id = _brand_id and s.batch_id = _batch_id
                 and s.source = 'imported' and s.serial_number ~ '^[1-9][0-9]{0,17}$'), 0)
  ) + 1
$$;

-- Create serials in one set-based statement: _count minted ones (number = seq) when _serial_numbers is
-- null, else one imported serial per element, in array order. Each gets a fresh 96-bit code.
-- Definer because authenticated has no insert grant on data.serials (codes must come from the CSPRNG);
-- it checks the caller (admin, scope serials:write) and the batch itself. Returns the seq range.
create or replace function app.serials_insert(_brand_id uuid, _batch_id uuid, _count integer,
                                              _serial_numbers text[] default null)
returns table (first_seq bigint, last_seq bigint, inserted integer)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_sub        text;
  v_n          integer;
  v_start      bigint;
  v_try        integer := 0;
  v_constraint text;
  v_dup        text;
begin
  perform app.require_role(_brand_id, 'admin', 'serials:write');
  v_sub := app.current_user_id();
  v_n := case when _serial_numbers is null then _count else cardinality(_serial_numbers) end;
  if v_n is null or v_n < 1 or v_n > 1000000 then
    perform app.invalid('_count', 'range', '_count must be between 1 and 1000000');
  end if;
  perform app.serials_prepare(_brand_id, _batch_id);
  v_start := app.serials_next_seq(_brand_id, _batch_id);
  if v_start + v_n - 1 > 999999999999999999 then
    perform app.raise('PT409', format('Batch %s has no serial numbers left (limit 999999999999999999)', _batch_id),
                      jsonb_build_object('field', '_count', 'rule', 'exhausted'));
  end if;
  loop
    begin
      if _serial_numbers is null then
        insert into data.serials (brand_id, batch_id, seq, serial_number, code, source, created_by)
        select _brand_id, _batch_id, g.seq, g.seq::text,
               translate(encode(substr(g.u, 1, 6) || substr(g.u, 11, 6), 'base64'), '+/', '-_'),
               'minted', v_sub
          from (select x as seq, uuid_send(gen_random_uuid()) as u      -- volatile: one uuid per row
                  from generate_series(v_start, v_start + v_n - 1) as x) g;
      else
        insert into data.serials (brand_id, batch_id, seq, serial_number, code, source, created_by)
        select _brand_id, _batch_id, v_start + g.i - 1, g.sn,
               translate(encode(substr(g.u, 1, 6) || substr(g.u, 11, 6), 'base64'), '+/', '-_'),
               'imported', v_sub
          from (select t.sn, t.i, uuid_send(gen_random_uuid()) as u
                  from unnest(_serial_numbers) with ordinality as t(sn, i)) g;
      end if;
      exit;
    exception when unique_violation then
      get stacked diagnostics v_constraint = constraint_name;
      if v_constraint = 'serials__code_key' and v_try < 3 then
        v_try := v_try + 1;   -- two equal 96-bit codes: draw all codes of this call again
      elsif v_constraint = 'serials__brand_id_batch_id_serial_number_key' then
        select x into v_dup from unnest(_serial_numbers) x
         where exists (select from data.serials s where s.brand_id = _brand_id and s.batch_id = _batch_id and s.serial_number = x)
            or (select count(*) from unnest(_serial_numbers) y where y = x) > 1
         limit 1;
        perform app.raise('23505', format('Serial number "%s" already exists in batch %s', v_dup, _batch_id),
                          jsonb_build_object('field', '_serials', 'rule', 'unique', 'value', v_dup));
      else
        raise;
      end if;
    end;
  end loop;
  first_seq := v_start;
  last_seq := v_start + v_n - 1;
  inserted := v_n;
  return next;
end
$$;
alter function app.serials_insert(uuid, uuid, integer, text[]) owner to lotline_auth;
comment on function app.serials_insert(uuid, uuid, integer, text[]) is
  'Definer (lotline_auth): data.serials has no insert grant, codes must come from gen_random_uuid. Checks admin role + serials:write scope, the batch and the product itself.';

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

revoke execute on function app.serials_insert(uuid, uuid, integer, text[]), app.serials_void(uuid, uuid, text, text) from public;
grant execute on function app.serials_prepare(uuid, uuid), app.serials_next_seq(uuid, uuid),
  app.serials_insert(uuid, uuid, integer, text[]), app.serials_void(uuid, uuid, text, text) to authenticated;
-- what the lotline_auth definers call
grant execute on function app.serials_prepare(uuid, uuid), app.serials_next_seq(uuid, uuid), app.tg__serials_guard() to lotline_auth;
