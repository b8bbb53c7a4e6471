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
  _received_from  date        default null,
  _received_to    date        default null,
  _sort           text        default 'id',
  _direction      text        default 'desc',
  _limit          integer     default 50,
  _cursor         text        default null,
  _page           integer     default null,
  _include_total  boolean     default false
)
returns api.batch_page
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_sort   text;
  v_dir    text := lower(coalesce(_direction, 'desc'));
  v_where  text := 'b.brand_id = $1';
  v_pwhere text := '';
  v_cur    jsonb;
  v_after_value text;
  v_after_id uuid;
  v_offset integer := 0;
  v_term   text;
  v_items  api.batch[];
  v_total  bigint;
  v_next   text;
  v_last   api.batch;
  v_sql    text;
  v_count  text;
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
  if _limit is null or _limit < 1 or _limit > 100 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 100');
  end if;
  if _page is not null and (_page < 1 or _page > 100000) then
    perform app.invalid('_page', 'range', '_page must be between 1 and 100000');
  end if;
  if _cursor is not null and _page is not null then
    perform app.invalid('_cursor', 'exclusive', 'pass either _cursor or _page, not both');
  end if;
  if _status is not null and not (_status = any (app.batch_statuses())) then
    perform app.invalid('_status', 'enum', format('_status must be one of %s', array_to_string(app.batch_statuses(), ', ')));
  end if;
  if _cursor is not null then
    begin
      v_cur := convert_from(decode(translate(_cursor, '-_', '+/') || repeat('=', (4 - length(_cursor) % 4) % 4), 'base64'), 'UTF8')::jsonb;
      v_after_id := (v_cur ->> 'id')::uuid;
      v_after_value := v_cur ->> 'v';
      if v_after_id is null or v_cur ->> 's' is distinct from v_sort || ':' || v_dir then raise exception 'mismatch'; end if;
      if v_sort <> 'id' then perform v_after_value::timestamptz; end if;
    exception when others then
      perform app.invalid('_cursor', 'cursor', '_cursor is not a cursor returned by this search with the same _sort and _direction');
    end;
  end if;
  v_term := app.check_text(_term, '_term', 200, false);

  -- build: only the filters that were given, so each plan can use the brand-leading indexes
  if _product_id is not null then v_where := v_where || ' and b.product_id = $2'; end if;
  if _status is not null then v_where := v_where || ' and b.status = $3'; end if;
  -- Product conditions are a semi-join on the brand's products (evaluated once per product, a hashed
  -- subplan), not a join evaluated once per batch row: _term is ~3.5x cheaper (docs/benchmarks.md).
  if v_term is not null then
    v_where := v_where || ' and (b.batch_number ilike $4 or b.product_id in (select p.id from data.products p where p.brand_id = $1'
                       || ' and (p.name ilike $4 or p.sku ilike $4 or p.ean ilike $4 or p.article_code ilike $4)))';
  end if;
  if _article_code is not null then v_pwhere := v_pwhere || ' and p.article_code = $5'; end if;
  if _ean is not null then v_pwhere := v_pwhere || ' and p.ean = $6'; end if;
  if _sku is not null then v_pwhere := v_pwhere || ' and p.sku = $7'; end if;
  if v_pwhere <> '' then
    v_where := v_where || ' and b.product_id in (select p.id from data.products p where p.brand_id = $1' || v_pwhere || ')';
  end if;
  if _created_from is not null then v_where := v_where || ' and b.created_at >= $8'; end if;
  if _created_to is not null then v_where := v_where || ' and b.created_at < $9'; end if;
  if _updated_from is not null then v_where := v_where || ' and b.updated_at >= $10'; end if;
  if _updated_to is not null then v_where := v_where || ' and b.updated_at < $11'; end if;
  if _received_from is not null then v_where := v_where || ' and b.received_date >= $12'; end if;
  if _received_to is not null then v_where := v_where || ' and b.received_date <= $13'; end if;

  -- the total (filters only, before the cursor condition) is computed by the page's own statement
  v_count := case when _include_total then '(select count(*) from data.batches b where ' || v_where || ')' else 'null::bigint' end;

  if v_after_id is not null then
    v_where := v_where || format(' and (b.%I, b.id) %s ($14%s, $15)', v_sort, case v_dir when 'asc' then '>' else '<' end,
                                 case v_sort when 'id' then '::uuid' else '::timestamptz' end);
  elsif _page is not null then
    v_offset := (_page - 1) * _limit;
  end if;

  -- The page is built as api.batch values by one dynamic statement (a row constructor in an
  -- ARRAY(subquery), no per-row function call, no array-append loop), which also counts the total when
  -- asked: the function costs little more than its query (docs/benchmarks.md).
  v_sql := 'select array(select row(b.id, b.brand_id, b.product_id, b.batch_number, b.external_id, b.status, '
        || 'b.production_date, b.received_date, b.expiry_date, b.quantity, b.unit, b.facility_ref, b.attributes, '
        || 'b.recall_message, b.public_id, b.created_at, b.updated_at, b.version, b.archived_at)::api.batch '
        || 'from data.batches b where ' || v_where
        || format(' order by b.%I %s, b.id %s limit %s offset %s', v_sort, v_dir, v_dir, _limit + 1, v_offset)
        || '), ' || v_count;
  execute v_sql into v_items, v_total
    using _brand_id, _product_id, _status, '%' || replace(replace(replace(v_term, '\', '\\'), '%', '\%'), '_', '\_') || '%',
          _article_code, _ean, _sku, _created_from, _created_to, _updated_from, _updated_to, _received_from, _received_to,
          v_after_value, v_after_id;

  v_items := coalesce(v_items, '{}');
  if cardinality(v_items) > _limit then
    v_last := v_items[_limit];
    v_next := rtrim(translate(encode(convert_to(jsonb_build_object(
                'v', case v_sort when 'id' then v_last.id::text
                                 when 'created_at' then to_char(v_last.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                                 else to_char(v_last.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') end,
                'id', v_last.id, 's', v_sort || ':' || v_dir)::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '=');
    v_items := v_items[1:_limit];
  end if;
  return row(v_items, v_next, v_total, _limit)::api.batch_page;
end
$$;
comment on function api.search_batches(uuid, uuid, text, text, text, text, text, timestamptz, timestamptz, timestamptz, timestamptz, date, date, text, text, integer, text, integer, boolean) is
  $$Search a brand's batches. Filters: _product_id, _status, _term (batch number, product name, SKU, EAN, article code; case-insensitive substring), _article_code, _ean, _sku (exact), created/updated ranges [from, to), received date range. _sort created_at|updated_at|id (default id), _direction asc|desc (default desc), _limit 1-100 (default 50). Paging: pass next_cursor back as _cursor (keyset, stable) or use _page. _include_total adds the total count. Errors: 400, 401, 403.$$;
grant execute on function api.search_batches(uuid, uuid, text, text, text, text, text, timestamptz, timestamptz, timestamptz, timestamptz, date, date, text, text, integer, text, integer, boolean) to authenticated;
