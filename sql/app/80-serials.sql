-- Serial numbers, the GS1 Digital Link codec and the consumer view (issue 6). Rules: docs/serials.md.
--
-- Who writes what:
--   * data.serials has no write grant for authenticated: codes must come from the CSPRNG and a void is
--     final, so rows are written only by the two SECURITY DEFINER helpers below (owned by lotline_auth,
--     BYPASSRLS), which check the caller's role themselves.
--   * anon has no table privilege at all: the consumer view is read by one definer (app.public_view)
--     that returns only consumer fields — never an internal id, quantity or member.

-- GS1 AI encodable character set 82 (AI 10 batch/lot, AI 21 serial): 1.._max characters.
create or replace function app.gs1_ai82_ok(_value text, _max integer default 20)
returns boolean
language sql immutable security invoker set search_path = ''
as $$
  select _value is not null and length(_value) between 1 and _max
     and _value ~ '^[!"%&''()*+,./0-9:;<=>?A-Z_a-z-]+$'
$$;
comment on function app.gs1_ai82_ok(text, integer) is
  'True when _value is 1.._max characters of the GS1 AI encodable character set 82 (AI 10, AI 21).';

-- ---------------------------------------------------------------------------------------------------
-- GS1 Digital Link codec
-- ---------------------------------------------------------------------------------------------------

-- Percent-encode one path-segment value: everything except RFC 3986 unreserved characters
-- (A-Z a-z 0-9 - . _ ~) becomes %XX of its UTF-8 bytes, upper-case hex. That covers every character of
-- set 82 the GS1 Digital Link grammar requires encoded (! " % & ' ( ) * + , / : ; < = > ?).
create or replace function app.dl_encode(_value text)
returns text
language sql immutable strict security invoker set search_path = ''
as $$
  select case
    when _value ~ '^[A-Za-z0-9._~-]*$' then _value
    else (select string_agg(case when t.c ~ '^[A-Za-z0-9._~-]$' then t.c
                                 else regexp_replace(upper(encode(convert_to(t.c, 'UTF8'), 'hex')), '(..)', '%\1', 'g')
                            end, '' order by t.i)
            from regexp_split_to_table(_value, '') with ordinality as t(c, i))
  end
$$;

-- Decode %XX sequences (any hex case) as UTF-8; 22023 naming _field for a broken escape or bad UTF-8.
create or replace function app.dl_decode(_value text, _field text default '_uri')
returns text
language plpgsql immutable security invoker set search_path = ''
as $$
declare v bytea;
begin
  if _value is null or strpos(_value, '%') = 0 then return _value; end if;
  if _value ~ '%(?![0-9A-Fa-f]{2})' then
    perform app.invalid(_field, 'percent_encoding', format('%s has a %% not followed by two hex digits', _field));
  end if;
  select string_agg(case when t.m[1] is not null then decode(substr(t.m[1], 2), 'hex') else convert_to(t.m[2], 'UTF8') end,
                    ''::bytea order by t.i)
    into v
    from regexp_matches(_value, '(%[0-9A-Fa-f]{2})|([^%]+)', 'g') with ordinality as t(m, i);
  begin
    if position('\x00'::bytea in v) > 0 then raise exception 'nul'; end if;
    return convert_from(v, 'UTF8');
  exception when others then
    perform app.invalid(_field, 'percent_encoding', format('%s has percent-escapes that are not valid UTF-8 text', _field));
  end;
  return null;
end
$$;

-- The GS1 Digital Link path for a product / batch / serial: /01/{gtin14}[/10/{lot}][/21/{serial}].
-- Relative (no domain): the client puts its resolver's origin in front. Null without a GTIN.
create or replace function app.dl_build(_gtin text, _lot text default null, _serial text default null)
returns text
language sql immutable security invoker set search_path = ''
as $$
  select case when _gtin is not null then
    '/01/' || _gtin || coalesce('/10/' || app.dl_encode(_lot), '') || coalesce('/21/' || app.dl_encode(_serial), '')
  end
$$;

-- Parse a GS1 Digital Link URI (https://host[/prefix]/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}][?…][#…],
-- or the same path without scheme and host). GTIN-8/12/13/14 with a valid check digit → GTIN-14.
-- Qualifiers must keep the order 22, 10, 21 and appear once; the short names gtin, cpv, lot, ser are
-- accepted for 01, 22, 10, 21. Query string (data attributes such as 17=) and fragment are ignored.
-- Errors: 22023 with field _uri and rule required | max_length | gtin_missing | gtin_length |
-- gtin_check_digit | unsupported_qualifier | qualifier_order | value_required | percent_encoding.
create or replace function app.dl_parse(_uri text)
returns table (gtin text, cpv text, lot text, serial text)
language plpgsql immutable security invoker set search_path = ''
as $$
declare
  v      text := btrim(_uri);
  v_segs text[];
  v_n    integer;
  v_at   integer;
  v_i    integer;
  v_key  text;
  v_rank integer;
  v_last integer := 0;
  v_val  text;
begin
  if v is null or v = '' then
    perform app.invalid('_uri', 'required', '_uri is required');
  end if;
  if length(v) > 2048 then
    perform app.invalid('_uri', 'max_length', '_uri must be at most 2048 characters');
  end if;
  v := split_part(split_part(v, '#', 1), '?', 1);                   -- fragment, then data attributes
  v := regexp_replace(v, '^[A-Za-z][A-Za-z0-9+.-]*://[^/]*', '');   -- scheme and authority
  v_segs := string_to_array(btrim(v, '/'), '/');
  v_n := coalesce(cardinality(v_segs), 0);
  -- the primary key: the first "01" (or "gtin") followed by digits, with only key/value pairs after it
  for v_i in 1 .. v_n - 1 loop
    if v_segs[v_i] in ('01', 'gtin') and v_segs[v_i + 1] ~ '^[0-9]+$' and (v_n - v_i) % 2 = 1 then
      v_at := v_i;
      exit;
    end if;
  end loop;
  if v_at is null then
    perform app.invalid('_uri', 'gtin_missing', '_uri must contain /01/{gtin} followed only by /22/, /10/ and /21/ qualifiers');
  end if;
  gtin := app.normalize_gtin(v_segs[v_at + 1], '_uri');
  v_i := v_at + 2;
  while v_i < v_n loop
    v_key := v_segs[v_i];
    v_rank := case v_key when '22' then 1 when 'cpv' then 1 when '10' then 2 when 'lot' then 2
                         when '21' then 3 when 'ser' then 3 end;
    if v_rank is null then
      perform app.invalid('_uri', 'unsupported_qualifier',
        format('_uri qualifier "%s" is not supported after /01/: use 22, 10 or 21', left(v_key, 20)));
    end if;
    if v_rank <= v_last then
      perform app.invalid('_uri', 'qualifier_order', '_uri qualifiers must appear once each, in the order 22, 10, 21');
    end if;
    v_last := v_rank;
    if v_segs[v_i + 1] = '' then
      perform app.invalid('_uri', 'value_required', format('_uri qualifier %s has an empty value', v_key));
    end if;
    v_val := app.dl_decode(v_segs[v_i + 1], '_uri');
    case v_rank when 1 then cpv := v_val; when 2 then lot := v_val; else serial := v_val; end case;
    v_i := v_i + 2;
  end loop;
  return next;
end
$$;

-- ---------------------------------------------------------------------------------------------------
-- Serial numbers
-- ---------------------------------------------------------------------------------------------------

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

-- ---------------------------------------------------------------------------------------------------
-- Consumer view (anon): one definer that returns only consumer fields
-- ---------------------------------------------------------------------------------------------------

-- Find what a consumer scanned — by serial code, by batch public id, or by GS1 keys (GTIN [+ lot]
-- [+ serial], falling back serial → batch → product) — and return the consumer fields only.
-- No row when nothing matches (unknown code / public id / GTIN).
-- Definer (lotline_auth, BYPASSRLS) because anon has no table privilege; it reads only the columns
-- granted to lotline_auth in sql/policies/serials.sql and returns no id, quantity or member.
drop function if exists app.public_view(text, text, text, text, text);
create function app.public_view(_code text default null, _public_id text default null,
                                _gtin text default null, _lot text default null, _serial text default null)
returns table (
  valid            boolean,
  reason           text,
  message          text,
  level            text,
  requested_level  text,
  brand_name       text,
  product_name     text,
  gtin             text,
  batch_number     text,
  production_date  date,
  expiry_date      date,
  expired          boolean,
  status           text,
  recalled         boolean,
  recall_message   text,
  serial_number    text,
  serial_status    text,
  public_id        text,
  digital_link     text
)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_brand     uuid;
  v_product   uuid;
  v_batch     uuid;
  v_seq       bigint;
  v_n         bigint;
  v_level     text;
  v_requested text;
  v_reason    text;
begin
  if _code is not null then
    v_requested := 'serial';
    select s.brand_id, b.product_id, s.batch_id, s.seq into v_brand, v_product, v_batch, v_seq
      from data.serials s
      join data.batches b on b.brand_id = s.brand_id and b.id = s.batch_id
     where s.code = _code;
    if not found then return; end if;
    v_level := 'serial';
  elsif _public_id is not null then
    v_requested := 'batch';
    select b.brand_id, b.product_id, b.id into v_brand, v_product, v_batch
      from data.batches b where b.public_id = _public_id;
    if not found then return; end if;
    v_level := 'batch';
  elsif _gtin is not null then
    v_requested := case when _serial is not null then 'serial' when _lot is not null then 'batch' else 'product' end;
    -- Several products may carry one GTIN (GS1 gives it to one brand owner, lotline does not enforce
    -- that): the finest match wins; among equals, the earliest registered product and batch.
    if _serial is not null then
      select s.brand_id, b.product_id, s.batch_id, s.seq, count(*) over ()
        into v_brand, v_product, v_batch, v_seq, v_n
        from data.products p
        join data.batches b on b.brand_id = p.brand_id and b.product_id = p.id
        join data.serials s on s.brand_id = b.brand_id and s.batch_id = b.id
       where p.gtin = _gtin and s.serial_number = _serial and (_lot is null or b.batch_number = _lot)
       order by p.created_at, p.id, b.created_at, b.id
       limit 1;
      if v_n > 1 and _lot is null then
        -- the same serial number in several batches of the GTIN: without /10/ it names no one item
        v_brand := null; v_product := null; v_batch := null; v_seq := null;
        v_reason := 'serial_ambiguous';
      elsif v_brand is not null then
        v_level := 'serial';
      end if;
    end if;
    if v_level is null and _lot is not null then
      select b.brand_id, b.product_id, b.id into v_brand, v_product, v_batch
        from data.products p
        join data.batches b on b.brand_id = p.brand_id and b.product_id = p.id
       where p.gtin = _gtin and b.batch_number = _lot
       order by p.created_at, p.id, b.created_at, b.id
       limit 1;
      if v_brand is not null then
        v_level := 'batch';
        v_reason := case when _serial is not null then 'serial_unknown' end;
      end if;
    end if;
    if v_level is null then
      select p.brand_id, p.id into v_brand, v_product
        from data.products p where p.gtin = _gtin
       order by p.created_at, p.id
       limit 1;
      if v_brand is null then return; end if;
      v_level := 'product';
      v_batch := null;
      v_seq := null;
      v_reason := case when _lot is not null then 'batch_unknown'
                       when _serial is not null then coalesce(v_reason, 'serial_unknown') end;
    end if;
  else
    return;
  end if;

  return query
  select x.reason is null, x.reason,
         case x.reason
           when 'serial_voided'    then 'This serial number was voided by the brand and is not valid.'
           when 'serial_unknown'   then format('This serial number is not registered for this %s.', case v_level when 'batch' then 'batch' else 'product' end)
           when 'serial_ambiguous' then 'This serial number exists in several batches; a code with the batch (10) is needed to identify the item.'
           when 'batch_unknown'    then 'This batch is not registered for this product.'
         end,
         v_level, v_requested,
         br.name, p.name, p.gtin, b.batch_number, b.production_date, b.expiry_date,
         coalesce(b.expiry_date < current_date, false),
         b.status, x.recalled,
         case when x.recalled then b.recall_message end,
         s.serial_number, s.status, b.public_id,
         app.dl_build(p.gtin, b.batch_number, s.serial_number)
    from data.products p
    join data.brands br on br.id = p.brand_id
    left join data.batches b on b.brand_id = p.brand_id and b.id = v_batch
    left join data.serials s on s.brand_id = p.brand_id and s.batch_id = v_batch and s.seq = v_seq
    cross join lateral (select case when s.status = 'void' then 'serial_voided' else v_reason end as reason,
                               -- a recalled batch that was archived afterwards keeps its recall visible
                               coalesce(b.status = 'recalled' or (b.status = 'archived' and b.recall_message is not null), false)
                                 as recalled) x
   where p.brand_id = v_brand and p.id = v_product;
end
$$;
alter function app.public_view(text, text, text, text, text) owner to lotline_auth;
comment on function app.public_view(text, text, text, text, text) is
  'Definer (lotline_auth, BYPASSRLS): anon has no table privilege. Looks a scan up by code, public id or GS1 keys and returns only consumer fields (no ids, quantities or members).';

-- ---------------------------------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------------------------------
revoke execute on function app.serials_insert(uuid, uuid, integer, text[]), app.serials_void(uuid, uuid, text, text),
  app.public_view(text, text, text, text, text) from public;
grant execute on function app.gs1_ai82_ok(text, integer), app.dl_encode(text), app.dl_decode(text, text),
  app.dl_build(text, text, text), app.dl_parse(text) to anon, authenticated, lotline_auth;
grant execute on function app.public_view(text, text, text, text, text) to anon, authenticated;
grant execute on function app.serials_prepare(uuid, uuid), app.serials_next_seq(uuid, uuid),
  app.serials_insert(uuid, uuid, integer, text[]), app.serials_void(uuid, uuid, text, text) to authenticated;
-- what the lotline_auth definers call
grant execute on function app.serials_prepare(uuid, uuid), app.serials_next_seq(uuid, uuid), app.tg__serials_guard(),
  app.require_role(uuid, text, text), app.require_scope(text), app.invalid(text, text, text),
  app.normalize_gtin(text, text), app.gtin_check_digit_ok(text) to lotline_auth;
