create function api.search_batches(
  _brand_id       uuid,
  _product_id     uuid        default null,
  _status         text        default null,
  _term           text        default null,
  _article_code   text        default null,
  _ean            text        default null,
  _sku            text        default null,
  _created_from   timestamptz default null,
  _created_to     timestamptz default null,
  _updated_from   timestamptz default null,
  _updated_to     timestamptz default null,
  _received_from  data.iso_date default null,
  _received_to    data.iso_date default null,
  _sort           text        default 'id',
  _direction      text        default 'desc',
  _limit          integer     default 50,
  _cursor         text        default null,
  _page           integer     default null,
  _include_total  boolean     default false
)
returns api.batch_page
language plpgsql stable security invoker set search_path = ''
-- one generic plan per static statement, cached for the session: no statement is planned per call
set plan_cache_mode = force_generic_plan
as $$
declare
  v_sort      text;
  v_received_from date := _received_from::date;
  v_received_to date := _received_to::date;
  v_dir       text := lower(coalesce(_direction, 'desc'));
  v_desc      boolean;
  v_status    text := app.status_arg(_status);
  v_cur       jsonb;
  v_after_value text;
  v_after_id  uuid;
  v_ts        timestamptz;   -- keyset bound (sort value, id): the cursor's row, or past either end of the index
  v_id        uuid;
  v_not_id    uuid;          -- the cursor's row itself (the bound is inclusive, so it is left out by id)
  v_offset    integer := 0;
  v_n         integer;
  v_term      text;
  v_like      text;
  v_term_products uuid[];
  v_code_products uuid[];
  v_rows      data.batches[];
  v_items     api.batch[];
  v_ids       uuid[];
  v_total     bigint;
  v_next      text;
  v_last      data.batches;
begin
  perform app.require_role(_brand_id, 'viewer', 'batches:read');
  -- validate
  v_sort := case lower(coalesce(_sort, 'id'))
              when 'id' then 'id' when 'created_at' then 'created_at' when 'createdat' then 'created_at'
              when 'updated_at' then 'updated_at' when 'updatedat' then 'updated_at'
              when 'modified_at' then 'updated_at' when 'modifiedat' then 'updated_at' end;
  if v_sort is null then
    perform app.invalid('_sort', 'enum', '_sort must be one of created_at, updated_at, id');
  end if;
  if v_dir not in ('asc', 'desc') then
    perform app.invalid('_direction', 'enum', '_direction must be asc or desc');
  end if;
  v_desc := v_dir = 'desc';
  if _limit is null or _limit < 1 or _limit > 100 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 100');
  end if;
  if _page is not null and (_page < 1 or _page > 100000) then
    perform app.invalid('_page', 'range', '_page must be between 1 and 100000');
  end if;
  if _cursor is not null and _page is not null then
    perform app.invalid('_cursor', 'exclusive', 'pass either _cursor or _page, not both');
  end if;
  if v_status is not null and not (v_status = any (app.batch_statuses())) then
    perform app.invalid('_status', 'enum', format('_status must be one of %s', array_to_string(app.batch_statuses(), ', ')));
  end if;
  if _cursor is not null then
    begin
      v_cur := convert_from(decode(translate(_cursor, '-_', '+/') || repeat('=', (4 - length(_cursor) % 4) % 4), 'base64'), 'UTF8')::jsonb;
      v_after_id := (v_cur ->> 'id')::uuid;
      v_after_value := v_cur ->> 'v';
      if v_after_id is null or v_cur ->> 's' is distinct from v_sort || ':' || v_dir then raise exception 'mismatch'; end if;
      if v_sort <> 'id' then v_ts := v_after_value::timestamptz; end if;
    exception when others then
      perform app.invalid('_cursor', 'cursor', '_cursor is not a cursor returned by this search with the same _sort and _direction');
    end;
  end if;
  v_term := app.check_text(_term, '_term', 200, false);

  -- product conditions → the ids of the brand's matching products (once per call, not per batch row)
  if v_term is not null then
    v_like := '%' || replace(replace(replace(v_term, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    v_term_products := array(select p.id from data.products p where p.brand_id = _brand_id
                               and (p.name ilike v_like or p.sku ilike v_like or p.ean ilike v_like or p.article_code ilike v_like));
  end if;
  if _article_code is not null or _ean is not null or _sku is not null then
    v_code_products := array(select p.id from data.products p where p.brand_id = _brand_id
                               and (_article_code is null or p.article_code = _article_code)
                               and (_ean is null or p.ean = _ean) and (_sku is null or p.sku = _sku));
  end if;

  -- the page: keyset after the cursor's row, or page paging by offset
  if v_after_id is not null then
    v_id := v_after_id;
    v_not_id := v_after_id;
  else
    v_ts := case when v_desc then 'infinity'::timestamptz else '-infinity'::timestamptz end;
    v_id := case when v_desc then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else '00000000-0000-0000-0000-000000000000'::uuid end;
    v_offset := coalesce((_page - 1) * _limit, 0);
  end if;
  v_n := _limit + 1;

  -- One static statement per shape (docs/benchmarks.md): each is planned once per session and reads the
  -- brand-leading index that serves its order, the keyset bound an index condition. A product's batches
  -- are few: read by the product index and sorted, in any order (one statement).
  if _product_id is not null then
    v_not_id := null;
    v_rows := array(
      select b from data.batches b
       where b.brand_id = _brand_id and b.product_id = _product_id
         and app.batch_search_match(b, v_status, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                    _updated_from, _updated_to, v_received_from, v_received_to, null)
         and (v_after_id is null
              or case when v_sort = 'id' then (case when v_desc then b.id < v_after_id else b.id > v_after_id end)
                      when v_desc then (case v_sort when 'created_at' then b.created_at else b.updated_at end, b.id) < (v_ts, v_after_id)
                      else (case v_sort when 'created_at' then b.created_at else b.updated_at end, b.id) > (v_ts, v_after_id) end)
       order by case when not v_desc then case v_sort when 'created_at' then b.created_at when 'updated_at' then b.updated_at end end,
                case when v_desc then case v_sort when 'created_at' then b.created_at when 'updated_at' then b.updated_at end end desc,
                case when not v_desc then b.id end, case when v_desc then b.id end desc
       limit v_n offset v_offset);
  elsif v_like is not null and v_sort = 'id' and v_status is null and _created_from is null and _created_to is null
        and _updated_from is null and _updated_to is null and v_received_from is null and v_received_to is null then
    -- _term (and product codes) by id: the page's ids from an index-only scan of (brand_id, id) INCLUDE
    -- (product_id, batch_number), then only those rows from the heap: the term reads no heap page it rejects
    if v_desc then
      v_ids := array(select x.id from data.batches x
                      where x.brand_id = _brand_id and x.id <= v_id and x.id is distinct from v_not_id
                        and (x.batch_number ilike v_like or x.product_id = any (v_term_products))
                        and (v_code_products is null or x.product_id = any (v_code_products))
                      order by x.id desc limit v_n offset v_offset);
    else
      v_ids := array(select x.id from data.batches x
                      where x.brand_id = _brand_id and x.id >= v_id and x.id is distinct from v_not_id
                        and (x.batch_number ilike v_like or x.product_id = any (v_term_products))
                        and (v_code_products is null or x.product_id = any (v_code_products))
                      order by x.id limit v_n offset v_offset);
    end if;
    -- then each row by its key, in the page's order (limit 1: a primary-key lookup per id, never a join over the brand)
    v_rows := array(select r.b from unnest(v_ids) with ordinality as u(id, ord)
                       cross join lateral (select b from data.batches b where b.brand_id = _brand_id and b.id = u.id limit 1) r
                      order by u.ord);
  elsif v_status is not null and v_sort = 'created_at' and v_desc then
    v_rows := array(
      select b from data.batches b
       where b.brand_id = _brand_id and b.status = v_status and (b.created_at, b.id) <= (v_ts, v_id)
         and app.batch_search_match(b, null, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                    _updated_from, _updated_to, v_received_from, v_received_to, v_not_id)
       order by b.created_at desc, b.id desc limit v_n offset v_offset);
  elsif v_status is not null and v_sort = 'created_at' then
    v_rows := array(
      select b from data.batches b
       where b.brand_id = _brand_id and b.status = v_status and (b.created_at, b.id) >= (v_ts, v_id)
         and app.batch_search_match(b, null, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                    _updated_from, _updated_to, v_received_from, v_received_to, v_not_id)
       order by b.created_at, b.id limit v_n offset v_offset);
  elsif v_sort = 'id' and v_desc then
    v_rows := array(
      select b from data.batches b
       where b.brand_id = _brand_id and b.id <= v_id
         and app.batch_search_match(b, v_status, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                    _updated_from, _updated_to, v_received_from, v_received_to, v_not_id)
       order by b.id desc limit v_n offset v_offset);
  elsif v_sort = 'id' then
    v_rows := array(
      select b from data.batches b
       where b.brand_id = _brand_id and b.id >= v_id
         and app.batch_search_match(b, v_status, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                    _updated_from, _updated_to, v_received_from, v_received_to, v_not_id)
       order by b.id limit v_n offset v_offset);
  elsif v_sort = 'created_at' and v_desc then
    v_rows := array(
      select b from data.batches b
       where b.brand_id = _brand_id and (b.created_at, b.id) <= (v_ts, v_id)
         and app.batch_search_match(b, v_status, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                    _updated_from, _updated_to, v_received_from, v_received_to, v_not_id)
       order by b.created_at desc, b.id desc limit v_n offset v_offset);
  elsif v_sort = 'created_at' then
    v_rows := array(
      select b from data.batches b
       where b.brand_id = _brand_id and (b.created_at, b.id) >= (v_ts, v_id)
         and app.batch_search_match(b, v_status, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                    _updated_from, _updated_to, v_received_from, v_received_to, v_not_id)
       order by b.created_at, b.id limit v_n offset v_offset);
  elsif v_desc then
    v_rows := array(
      select b from data.batches b
       where b.brand_id = _brand_id and (b.updated_at, b.id) <= (v_ts, v_id)
         and app.batch_search_match(b, v_status, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                    _updated_from, _updated_to, v_received_from, v_received_to, v_not_id)
       order by b.updated_at desc, b.id desc limit v_n offset v_offset);
  else
    v_rows := array(
      select b from data.batches b
       where b.brand_id = _brand_id and (b.updated_at, b.id) >= (v_ts, v_id)
         and app.batch_search_match(b, v_status, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                    _updated_from, _updated_to, v_received_from, v_received_to, v_not_id)
       order by b.updated_at, b.id limit v_n offset v_offset);
  end if;

  -- the total: the filters only, without the cursor; without filters an index-only count of the brand or product
  if not _include_total then
    v_total := null;
  elsif v_status is null and v_like is null and v_code_products is null and _created_from is null and _created_to is null
        and _updated_from is null and _updated_to is null and v_received_from is null and v_received_to is null then
    if _product_id is null then
      select count(*) into v_total from data.batches b where b.brand_id = _brand_id;
    else
      select count(*) into v_total from data.batches b where b.brand_id = _brand_id and b.product_id = _product_id;
    end if;
  else
    select count(*) into v_total from data.batches b
     where b.brand_id = _brand_id and (_product_id is null or b.product_id = _product_id)
       and app.batch_search_match(b, v_status, v_like, v_term_products, v_code_products, _created_from, _created_to,
                                  _updated_from, _updated_to, v_received_from, v_received_to, null);
  end if;

  if cardinality(v_rows) > _limit then
    v_last := v_rows[_limit];
    v_next := rtrim(translate(encode(convert_to(jsonb_build_object(
                'v', case v_sort when 'id' then v_last.id::text
                                 when 'created_at' then to_char(v_last.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                                 else to_char(v_last.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') end,
                'id', v_last.id, 's', v_sort || ':' || v_dir)::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '=');
    v_rows := v_rows[1:_limit];
  end if;
  -- the page's rows as api.batch, with the quality part (lab state, sellability) for those rows only
  v_items := app.batches_out(v_rows);
  return row(v_items, v_next, v_total, _limit)::api.batch_page;
end
$$;
comment on function api.search_batches(uuid, uuid, text, text, text, text, text, timestamptz, timestamptz, timestamptz, timestamptz, data.iso_date, data.iso_date, text, text, integer, text, integer, boolean) is
  $$Search a brand's batches. Filters: _product_id, _status, _term (batch number, product name, SKU, EAN, article code; case-insensitive substring), _article_code, _ean, _sku (exact), created/updated ranges [from, to), received date range. _sort created_at|updated_at|id (default id), _direction asc|desc (default desc), _limit 1-100 (default 50). Paging: pass next_cursor back as _cursor (keyset, stable) or use _page. _include_total adds the total count. Errors: 400, 401, 403.$$;
grant execute on function api.search_batches(uuid, uuid, text, text, text, text, text, timestamptz, timestamptz, timestamptz, timestamptz, data.iso_date, data.iso_date, text, text, integer, text, integer, boolean) to authenticated;
