-- search_batches' filters as one predicate (docs/benchmarks.md, "Search without a plan per call").
--
-- A plain `language sql` expression WITHOUT `set search_path`, so the planner inlines it into each of
-- search_batches' static statements (a SET clause would stop the inlining and cost a call per row); it names
-- only its arguments, pg_catalog operators and schema-qualified objects. Every filter is "absent or true",
-- so with force_generic_plan one cached plan per statement serves every combination of filters: an absent
-- filter costs one `is null` test per row. Product conditions (_term on the product's name, SKU, EAN and
-- article code; exact _article_code/_ean/_sku) arrive as the ids of the matching products, looked up once
-- per call: `batch_number ilike term or product_id = any (term products)`, `product_id = any (code products)`.
create or replace function app.batch_search_match(
  _b data.batches, _status text, _like text, _term_products uuid[], _code_products uuid[],
  _created_from timestamptz, _created_to timestamptz, _updated_from timestamptz, _updated_to timestamptz,
  _received_from date, _received_to date, _not_id uuid
)
returns boolean
language sql immutable security invoker
as $$
  -- coalesce(…, false): what WHERE does with null anyway, and it makes the planner estimate the whole
  -- predicate as one clause (half the rows) instead of multiplying ten "absent or true" clauses into
  -- "one row" and sorting the whole brand where an ordered index scan stops after one page
  select coalesce((_status is null or _b.status = _status)
     and (_like is null or _b.batch_number ilike _like or _b.product_id = any (_term_products))
     and (_code_products is null or _b.product_id = any (_code_products))
     and (_created_from is null or _b.created_at >= _created_from)
     and (_created_to is null or _b.created_at < _created_to)
     and (_updated_from is null or _b.updated_at >= _updated_from)
     and (_updated_to is null or _b.updated_at < _updated_to)
     and (_received_from is null or _b.received_date >= _received_from)
     and (_received_to is null or _b.received_date <= _received_to)
     and (_not_id is null or _b.id <> _not_id), false)
$$;
grant execute on function app.batch_search_match(data.batches, text, text, uuid[], uuid[], timestamptz, timestamptz,
  timestamptz, timestamptz, date, date, uuid) to authenticated;
