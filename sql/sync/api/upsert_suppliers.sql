create function api.upsert_suppliers(_brand_id uuid, _suppliers jsonb)
returns api.sync_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_in      jsonb;    -- one object per input record, input order: outcome of validation + values to write
  v_expect  jsonb;    -- externalId → version read while validating, for the rows to update
  v_ids     uuid[];
  v_exts    text[];
  v_new     boolean[];
begin
  perform app.require_role(_brand_id, 'editor', 'integration:suppliers:write');
  perform app.sync_check_payload(_suppliers, '_suppliers');   -- 400 before anything is read or written
  perform app.sync_lock(_brand_id, 'suppliers');
  perform app.sync_refresh_stats('suppliers');             -- statistics fresh enough for index probes

  -- 1. Validate every record in one statement (absent key = keep the stored value, null = clear it).
  with src as (
    select t.ord::integer as ord, t.r, jsonb_typeof(t.r) = 'object' as is_obj
      from jsonb_array_elements(_suppliers) with ordinality as t(r, ord)
  ), f as materialized (
    select s.ord,
           app.sync_text(s.r -> 'externalId') as ext,
           app.sync_text(s.r -> 'name') as name,
           s.is_obj and s.r ? 'country' as has_country,        upper(app.sync_text(s.r -> 'country')) as country,
           s.is_obj and s.r ? 'address' as has_address,        app.sync_text(s.r -> 'address') as address,
           s.is_obj and s.r ? 'email' as has_email,            app.sync_text(s.r -> 'email') as email,
           s.is_obj and s.r ? 'attributes' as has_attributes,
           case when jsonb_typeof(s.r -> 'attributes') = 'object' then s.r -> 'attributes' end as attributes,
           case when not s.is_obj then format('record #%s must be a JSON object', s.ord)
                else nullif(concat_ws('; ',
                  app.sync_text_error(s.r -> 'externalId', 'externalId', 200, true)
                    || case when app.sync_text(s.r -> 'externalId') is null then format(' (record #%s)', s.ord) else '' end,
                  app.sync_text_error(s.r -> 'name', 'name', 300, true),
                  coalesce(case when app.sync_text(s.r -> 'country') !~ '^[A-Za-z]{2}$'
                                then 'country must be an ISO 3166-1 alpha-2 code (2 letters)' end,
                           app.sync_text_error(s.r -> 'country', 'country', 2, false)),
                  app.sync_text_error(s.r -> 'address', 'address', 1000, false),
                  coalesce(app.sync_text_error(s.r -> 'email', 'email', 320, false),
                           case when app.sync_text(s.r -> 'email') !~ '^[^@[:space:]]+@[^@[:space:]]+$'
                                then 'email must be an email address (name@domain)' end),
                  app.sync_object_error(s.r -> 'attributes', 'attributes'),
                  app.sync_unknown_fields_error(s.r, array['externalId', 'name', 'country', 'address', 'email', 'attributes'])), '')
           end as field_error
      from src s
  ), cur as (   -- the stored rows of the payload's external ids, one index scan for the whole payload
    select y.external_id as ext, y as cur from data.suppliers y
     where y.brand_id = _brand_id and y.external_id = any (array(select f.ext from f where f.ext is not null))
  ), j as (
    select f.*, x.cur,
           case when f.ext is not null then count(*) over (partition by f.ext) end as ext_count,
           case when f.has_country then f.country else (x.cur).country end as m_country,
           case when f.has_address then f.address else (x.cur).address end as m_address,
           case when f.has_email then f.email else (x.cur).email end as m_email,
           case when f.has_attributes then coalesce(f.attributes, '{}') else coalesce((x.cur).attributes, '{}') end as m_attributes
      -- set-based lookup (= any (array) + hash join), not a probe per record: see upsert_batches
      from f
      left join cur x on x.ext = f.ext
  ), e as materialized (   -- materialized: error and will_change are read twice below
    select j.*,
           (j.cur).id is null
             or ((j.cur).name, (j.cur).country, (j.cur).address, (j.cur).email, (j.cur).attributes)
                is distinct from (j.name, j.m_country, j.m_address, j.m_email, j.m_attributes) as will_change,
           nullif(concat_ws('; ',
             j.field_error,
             case when j.ext_count > 1 then format('externalId "%s" appears %s times in this payload', j.ext, j.ext_count) end
           ), '') as error
      from j
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'ord', e.ord, 'ext', e.ext, 'id', (e.cur).id, 'error', e.error, 'change', e.will_change,
           'name', e.name, 'country', e.m_country, 'address', e.m_address, 'email', e.m_email,
           'attributes', e.m_attributes) order by e.ord), '[]'),
         coalesce(jsonb_object_agg(e.ext, (e.cur).version)
                    filter (where e.error is null and e.will_change and (e.cur).id is not null), '{}')
    into v_in, v_expect
    from e;

  -- 2. Write only what is new or changed (version guard: see upsert_batches).
  with v as (
    select x.* from jsonb_to_recordset(v_in) as x(ext text, error text, change boolean, name text, country text,
                                                 address text, email text, attributes jsonb)
     where x.error is null and x.change
  ), up as (
    insert into data.suppliers as s (brand_id, external_id, name, country, address, email, attributes)
    select _brand_id, v.ext, v.name, v.country, v.address, v.email, v.attributes
      from v
     order by v.ext
    on conflict (brand_id, external_id) do update
       set name = excluded.name, country = excluded.country, address = excluded.address, email = excluded.email,
           attributes = excluded.attributes
     where s.version = (v_expect ->> excluded.external_id)::integer
       and (s.name, s.country, s.address, s.email, s.attributes)
           is distinct from (excluded.name, excluded.country, excluded.address, excluded.email, excluded.attributes)
    returning s.id, s.external_id, s.xmax = 0 as created
  )
  select array_agg(up.id), array_agg(up.external_id), array_agg(up.created) into v_ids, v_exts, v_new from up;

  -- 3. The seed's response, records in input order.
  return app.sync_result_of('Supplier', v_in, v_exts, v_ids, v_new);
end
$$;
comment on function api.upsert_suppliers(uuid, jsonb) is
  $$Bulk upsert of suppliers keyed by externalId within the brand (seed B, POST /integration/suppliers; sync them before products). _suppliers: JSON array of at most 500 records {externalId, name (required), country (ISO 3166-1 alpha-2), address, email, attributes (object)}; an absent key keeps the stored value, null clears it. Each record is CREATED, UPDATED, UNCHANGED (identical push: nothing written) or ERROR; a bad record never sinks the others. Returns {success, created, updated, errors, records, ddsCreated: []}; success is false when any record failed (the valid ones are still written). Requires editor and, for scoped tokens, integration:suppliers:write. Errors: 400 (_suppliers not an array, or more than 500 records, rule max_items), 401, 403.$$;
grant execute on function api.upsert_suppliers(uuid, jsonb) to authenticated;
