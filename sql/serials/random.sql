-- Randomness for serial numbers and codes, drawn from PostgreSQL's CSPRNG in bulk. docs/serials.md.

-- _n (1..1024) random bytes from the CSPRNG: pgcrypto's gen_random_bytes (one call for many rows is ~30× cheaper
-- than a gen_random_uuid() per row), or, on a server without pgcrypto, gen_random_uuid() (its 14 fully random
-- bytes per call: 1-6, 8, 10-16). Both read pg_strong_random; PostgreSQL's random() is never used.
do $do$
declare v_schema text;
begin
  select n.nspname into v_schema
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
   where e.extname = 'pgcrypto';
  if v_schema is not null then
    execute format($f$
      create or replace function app.random_bytes(_n integer)
      returns bytea
      language sql volatile strict security invoker set search_path = ''
      as $b$ select %I.gen_random_bytes(_n) $b$$f$, v_schema);
  else
    create or replace function app.random_bytes(_n integer)
    returns bytea
    language sql volatile strict security invoker set search_path = ''
    as $b$
      select substr(string_agg(substr(u, 1, 6) || substr(u, 8, 1) || substr(u, 10, 7), ''::bytea), 1, _n)
        from (select uuid_send(gen_random_uuid()) as u from generate_series(1, (_n + 13) / 14)) g
    $b$;
  end if;
end
$do$;
comment on function app.random_bytes(integer) is 'Up to 1024 bytes from the CSPRNG (pgcrypto gen_random_bytes, else gen_random_uuid).';

-- _n rows of _row_bytes random bytes each, numbered 0.._n-1, drawn 1 KiB at a time.
create or replace function app.random_rows(_n integer, _row_bytes integer)
returns table (i integer, r bytea)
language sql volatile security invoker set search_path = ''
as $$
  select c.n * (1024 / _row_bytes) + k, substr(c.b, k * _row_bytes + 1, _row_bytes)
    from (select n, app.random_bytes((1024 / _row_bytes) * _row_bytes) as b
            from generate_series(0, (_n - 1) / (1024 / _row_bytes)) n) c
   cross join generate_series(0, 1024 / _row_bytes - 1) k
   where c.n * (1024 / _row_bytes) + k < _n
$$;

-- The small helpers below are plain SQL expressions without SET clauses so that the planner inlines them
-- into the minting INSERT (a function call per row would cost more than the insert); names are
-- schema-qualified instead.

-- The public code of a serial: 12 random bytes (96 bits) as 16 base64url characters.
create or replace function app.serial_code(_r bytea)
returns text
language sql immutable
as $$ select pg_catalog.translate(pg_catalog.encode(_r, 'base64'), '+/', '-_') $$;

-- How a random serial number of _length characters of _alphabet is drawn from bytes: base64-encode
-- `bytes` random bytes (whole 3-byte groups, so each character carries 6 random bits), map base64 symbol
-- i to _alphabet[i mod k] for i < k·⌊64/k⌋ (uniform over the alphabet), drop the other symbols (rejection
-- sampling) and keep the first _length characters. `bytes` leaves room for the dropped ones: a draw keeps
-- fewer than _length characters about once in 10^4 rows, and such a row is drawn again.
create or replace function app.serial_draw(_alphabet text, _length integer)
returns table (map text, bytes integer)
language sql immutable security invoker set search_path = ''
as $$
  select repeat(_alphabet, 64 / length(_alphabet)),
         3 * ceil(case when 64 % length(_alphabet) = 0 then _length
                       else ceil(_length / x.p + 4 * sqrt(_length * (1 - x.p)) / x.p + 2) end / 4.0)::integer
    from (select (64 / length(_alphabet)) * length(_alphabet) / 64.0 as p) x
$$;

-- A random serial number from _r (serial_draw.bytes bytes, map serial_draw.map); shorter than _length when
-- the draw kept too few characters (the caller draws that row again).
create or replace function app.serial_number_from(_r bytea, _map text, _length integer)
returns text
language sql immutable
as $$
  select pg_catalog.left(pg_catalog.translate(pg_catalog.encode(_r, 'base64'),
           'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', _map), _length)
$$;

-- _n rows numbered 0.._n-1, each a random serial number (alphabet map and bytes of app.serial_draw) and a
-- code; the rare draw that kept too few characters is left out (its number i is missing).
create or replace function app.random_serials(_n integer, _map text, _bytes integer, _length integer)
returns table (i integer, serial_number text, code text)
language sql volatile security invoker set search_path = ''
as $$
  select g.i, g.sn, app.serial_code(substr(g.r, 1, 12))
    from (select x.i, x.r, app.serial_number_from(substr(x.r, 13), _map, _length) as sn
            from app.random_rows(_n, 12 + _bytes) x
          offset 0) g   -- offset 0: each number is drawn once, not again for the filter
   where length(g.sn) = _length
$$;

grant execute on function app.random_bytes(integer), app.random_rows(integer, integer), app.serial_code(bytea),
  app.serial_draw(text, integer), app.serial_number_from(bytea, text, integer),
  app.random_serials(integer, text, integer, integer) to lotline_auth;
