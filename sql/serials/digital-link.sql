-- The GS1 Digital Link codec and the GS1 AI 82 character set (docs/serials.md).

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

grant execute on function app.gs1_ai82_ok(text, integer), app.dl_encode(text), app.dl_decode(text, text),
  app.dl_build(text, text, text), app.dl_parse(text) to anon, authenticated, lotline_auth;
