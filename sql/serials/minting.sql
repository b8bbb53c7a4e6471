-- Creating serials: minted (random by default, sequential by opt-in) or imported, each with a fresh public code.
-- Rules: docs/serials.md.

-- Random serial numbers must stay unguessable: with the new ones, at most one in 10,000 of the product's
-- possible numbers may be in use (EU FMD: a guess succeeds with probability below 1:10,000), else 409.
create or replace function app.serials_check_space(_brand_id uuid, _batch_id uuid, _n bigint, _f data.serial_formats)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
declare v_issued bigint;
begin
  select coalesce(sum(m.n), 0) into v_issued
    from data.batches b
    join data.batches me on me.brand_id = b.brand_id and me.id = _batch_id and me.product_id = b.product_id
    cross join lateral (select max(s.seq) as n from data.serials s where s.brand_id = b.brand_id and s.batch_id = b.id) m
   where b.brand_id = _brand_id;
  if (v_issued + _n) * 10000.0 > power(length(_f.alphabet)::numeric, _f.length) then
    perform app.raise('PT409',
      format('%s more serial numbers would use more than 1 in 10,000 of the %s^%s possible ones of this product: use a longer format (set_serial_format)',
             _n, length(_f.alphabet), _f.length),
      jsonb_build_object('field', '_count', 'rule', 'space', 'issued', v_issued, 'alphabet_size', length(_f.alphabet), 'length', _f.length));
  end if;
end
$$;

-- Create serials at positions seq = next free .. +n-1, in one set-based statement: _count minted ones when
-- _serial_numbers is null, else one imported serial per element, in array order. Each gets a fresh 96-bit
-- code. Random numbers that collide with a number already in the batch (or a draw that kept too few
-- characters) leave their position empty; those positions are drawn again until none is left.
-- Callers check the caller's role first: app.serials_insert (requests) and app.mint_job_step (job chunks).
create or replace function app.serials_create(_brand_id uuid, _batch_id uuid, _count integer, _serial_numbers text[] default null)
returns table (first_seq bigint, last_seq bigint, inserted integer)
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_sub        text := app.current_user_id();
  v_n          integer := case when _serial_numbers is null then _count else cardinality(_serial_numbers) end;
  v_fmt        data.serial_formats;
  v_random     boolean;
  v_map        text;
  v_bytes      integer;
  v_start      bigint;
  v_done       integer;
  v_more       integer;
  v_round      integer;
  v_try        integer := 0;
  v_constraint text;
  v_dup        text;
begin
  if v_n is null or v_n < 1 or v_n > 1000000 then
    perform app.invalid('_count', 'range', '_count must be between 1 and 1000000');
  end if;
  perform app.serials_prepare(_brand_id, _batch_id);
  v_fmt := app.serial_format_of(_brand_id);
  v_random := _serial_numbers is null and v_fmt.scheme = 'random';
  -- a sequential number is its position, so positions stay above imported plain numbers; random ones need not
  v_start := app.serials_next_seq(_brand_id, _batch_id, not v_random);
  if v_start + v_n - 1 > 999999999999999999 then
    perform app.raise('PT409', format('Batch %s has no serial numbers left (limit 999999999999999999)', _batch_id),
                      jsonb_build_object('field', '_count', 'rule', 'exhausted'));
  end if;
  if v_random then
    perform app.serials_check_space(_brand_id, _batch_id, v_n, v_fmt);
    select d.map, d.bytes into v_map, v_bytes from app.serial_draw(v_fmt.alphabet, v_fmt.length) d;
  end if;
  loop
    begin
      if v_random then
        -- optimistic: a plain insert (no arbiter probe per row); only when a number collided, again with ON CONFLICT
        begin
          insert into data.serials (brand_id, batch_id, seq, serial_number, code, source, created_by)
          select _brand_id, _batch_id, v_start + r.i, r.serial_number, r.code, 'minted', v_sub
            from app.random_serials(v_n, v_map, v_bytes, v_fmt.length) r;
          get diagnostics v_done = row_count;
        exception when unique_violation then
          get stacked diagnostics v_constraint = constraint_name;
          if v_constraint <> 'serials__brand_id_batch_id_serial_number_key' then raise; end if;
          insert into data.serials (brand_id, batch_id, seq, serial_number, code, source, created_by)
          select _brand_id, _batch_id, v_start + r.i, r.serial_number, r.code, 'minted', v_sub
            from app.random_serials(v_n, v_map, v_bytes, v_fmt.length) r
          on conflict (brand_id, batch_id, serial_number) do nothing;
          get diagnostics v_done = row_count;
        end;
        v_round := 0;
        while v_done < v_n loop
          v_round := v_round + 1;
          if v_round > 20 then
            perform app.raise('PT409', format('Batch %s: no free random serial number found for %s positions', _batch_id, v_n - v_done),
                              jsonb_build_object('field', '_count', 'rule', 'space'));
          end if;
          insert into data.serials (brand_id, batch_id, seq, serial_number, code, source, created_by)
          select _brand_id, _batch_id, e.seq, r.serial_number, r.code, 'minted', v_sub
            from (select p.seq, (row_number() over (order by p.seq) - 1)::integer as i
                    from generate_series(v_start, v_start + v_n - 1) p(seq)
                   where not exists (select from data.serials s
                                      where s.brand_id = _brand_id and s.batch_id = _batch_id and s.seq = p.seq)) e
            join app.random_serials(v_n - v_done, v_map, v_bytes, v_fmt.length) r on r.i = e.i
          on conflict (brand_id, batch_id, serial_number) do nothing;
          get diagnostics v_more = row_count;
          v_done := v_done + v_more;
        end loop;
      elsif _serial_numbers is null then
        -- sequential (opt-in): the number is the position
        insert into data.serials (brand_id, batch_id, seq, serial_number, code, source, created_by)
        select _brand_id, _batch_id, v_start + x.i, (v_start + x.i)::text, app.serial_code(x.r), 'minted', v_sub
          from app.random_rows(v_n, 12) x;
      else
        insert into data.serials (brand_id, batch_id, seq, serial_number, code, source, created_by)
        select _brand_id, _batch_id, v_start + t.i - 1, t.sn, app.serial_code(x.r), 'imported', v_sub
          from unnest(_serial_numbers) with ordinality as t(sn, i)
          join app.random_rows(v_n, 12) x on x.i = t.i - 1;
      end if;
      exit;
    exception when unique_violation then
      get stacked diagnostics v_constraint = constraint_name;
      if v_constraint = 'serials__code_key' and v_try < 3 then
        v_try := v_try + 1;   -- two equal 96-bit codes: draw all codes of this call again
      elsif v_constraint = 'serials__brand_id_batch_id_serial_number_key' and _serial_numbers is not null then
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

-- mint_serials and import_serials: check the caller (admin, scope serials:write) and today's serial quota,
-- create the serials, count them against the quota. Definer (lotline_auth) because authenticated has no
-- insert grant on data.serials: numbers and codes must come from the CSPRNG.
create or replace function app.serials_insert(_brand_id uuid, _batch_id uuid, _count integer,
                                              _serial_numbers text[] default null)
returns table (first_seq bigint, last_seq bigint, inserted integer)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_field text := case when _serial_numbers is null then '_count' else '_serials' end;
  v       record;
begin
  perform app.require_role(_brand_id, 'admin', 'serials:write');
  perform app.check_serial_quota(_brand_id, coalesce(cardinality(_serial_numbers), _count, 0), v_field);
  select * into v from app.serials_create(_brand_id, _batch_id, _count, _serial_numbers);
  perform app.charge_serials(_brand_id, v.inserted, v_field);
  first_seq := v.first_seq;
  last_seq := v.last_seq;
  inserted := v.inserted;
  return next;
end
$$;
alter function app.serials_insert(uuid, uuid, integer, text[]) owner to lotline_auth;
comment on function app.serials_insert(uuid, uuid, integer, text[]) is
  'Definer (lotline_auth): data.serials has no insert grant, numbers and codes must come from the CSPRNG. Checks admin role + serials:write scope, the quota, the batch and the product itself.';

revoke execute on function app.serials_insert(uuid, uuid, integer, text[]) from public;
grant execute on function app.serials_insert(uuid, uuid, integer, text[]) to authenticated;
-- only the lotline_auth definers create serials
grant execute on function app.serials_check_space(uuid, uuid, bigint, data.serial_formats),
  app.serials_create(uuid, uuid, integer, text[]) to lotline_auth;
