create function api.upsert_suppliers(_brand_id uuid, _suppliers jsonb)
returns api.sync_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_rows app.sync_record[];
begin
  perform app.sync_begin(_brand_id, 'suppliers', '_suppliers', _suppliers);   -- 401/403/400 before anything is read

  -- Each record: what it sets (an absent key keeps the stored value, null clears it) and its field errors.
  select array_agg(app.sync_record(
           _ord => s.ord, _ext => s.ext, _stored => to_jsonb(s.cur),
           _values => app.sync_column(s.r, 'name', 'name', app.sync_text(s.r -> 'name'))
                  || app.sync_column(s.r, 'country', 'country', upper(app.sync_text(s.r -> 'country')))
                  || app.sync_column(s.r, 'address', 'address', app.sync_text(s.r -> 'address'))
                  || app.sync_column(s.r, 'email', 'email', app.sync_text(s.r -> 'email'))
                  || app.sync_column(s.r, 'attributes', 'attributes',
                                     coalesce(case when jsonb_typeof(s.r -> 'attributes') = 'object' then s.r -> 'attributes' end, '{}')),
           _error => app.sync_field_errors(s.ord, s.r, array['externalId', 'name', 'country', 'address', 'email', 'attributes'],
             app.sync_text_error(s.r -> 'name', 'name', 300, true),
             coalesce(case when app.sync_text(s.r -> 'country') !~ '^[A-Za-z]{2}$'
                           then 'country must be an ISO 3166-1 alpha-2 code (2 letters)' end,
                      app.sync_text_error(s.r -> 'country', 'country', 2, false)),
             app.sync_text_error(s.r -> 'address', 'address', 1000, false),
             coalesce(app.sync_text_error(s.r -> 'email', 'email', 320, false),
                      case when app.sync_text(s.r -> 'email') !~ '^[^@[:space:]]+@[^@[:space:]]+$'
                           then 'email must be an email address (name@domain)' end),
             app.sync_object_error(s.r -> 'attributes', 'attributes'))))
    into v_rows
    from app.sync_records(_brand_id, _suppliers, null::data.suppliers) s;

  return jsonb_populate_record(null::api.sync_result,
    app.sync_upsert(_brand_id, 'suppliers', 'Supplier', v_rows, _defaults => '{"attributes": {}}'));
end
$$;
comment on function api.upsert_suppliers(uuid, jsonb) is
  $$Bulk upsert of suppliers keyed by externalId within the brand (the integration push API, POST /integration/suppliers; sync them before products). _suppliers: JSON array of at most 500 records {externalId, name (required), country (ISO 3166-1 alpha-2), address, email, attributes (object)}; an absent key keeps the stored value, null clears it. Each record is CREATED, UPDATED, UNCHANGED (identical push: nothing written) or ERROR; a bad record never sinks the others. Returns {success, created, updated, errors, records, ddsCreated: []}; success is false when any record failed (the valid ones are still written). Requires editor and, for scoped tokens, integration:suppliers:write. Errors: 400 (_suppliers not an array, or more than 500 records, rule max_items), 401, 403.$$;
grant execute on function api.upsert_suppliers(uuid, jsonb) to authenticated;
