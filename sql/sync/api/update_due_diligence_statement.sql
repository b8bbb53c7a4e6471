-- Patch a draft due-diligence statement's content (the same patch rules as update_product_batch).
create function api.update_due_diligence_statement(_brand_id uuid, _dds_id uuid, _patch jsonb, _expected_version integer default null)
returns api.due_diligence_statement
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_new data.due_diligence_statements;   -- the patched values (only the keys of _patch are written)
  v_patchable constant text[] := array['activity_type', 'hs_code', 'description', 'net_mass_kg', 'country_of_production', 'geolocation'];
begin
  perform app.require_role(_brand_id, 'editor', 'dds:write');
  perform app.check_patch_keys(_patch, v_patchable,
    array['id', 'brand_id', 'batch_id', 'status', 'reference_number', 'verification_number', 'source', 'submitted_at',
          'submitted_by', 'decided_at', 'decided_by', 'decision_reason', 'created_by', 'created_at', 'updated_at', 'version'],
    'due-diligence statement');
  if _patch ? 'activity_type' then
    v_new.activity_type := lower(app.json_text(_patch -> 'activity_type', '_patch.activity_type', 20));
    if v_new.activity_type not in ('import', 'export', 'domestic') then
      perform app.invalid('_patch.activity_type', 'enum', '_patch.activity_type must be one of import, export, domestic');
    end if;
  end if;
  if _patch ? 'hs_code' then
    v_new.hs_code := replace(app.json_text(_patch -> 'hs_code', '_patch.hs_code', 20), '.', '');
    if v_new.hs_code !~ '^[0-9]{4}([0-9]{2}){0,2}$' then
      perform app.invalid('_patch.hs_code', 'pattern', '_patch.hs_code must be an HS code of 4, 6 or 8 digits');
    end if;
  end if;
  if _patch ? 'description' then v_new.description := app.json_text(_patch -> 'description', '_patch.description', 2000); end if;
  if _patch ? 'net_mass_kg' then
    v_new.net_mass_kg := app.json_quantity(_patch -> 'net_mass_kg', '_patch.net_mass_kg');
    if v_new.net_mass_kg = 0 then
      perform app.invalid('_patch.net_mass_kg', 'min', '_patch.net_mass_kg must be > 0');
    end if;
  end if;
  if _patch ? 'country_of_production' then
    v_new.country_of_production := upper(app.json_text(_patch -> 'country_of_production', '_patch.country_of_production', 2));
    if v_new.country_of_production !~ '^[A-Z]{2}$' then
      perform app.invalid('_patch.country_of_production', 'pattern', '_patch.country_of_production must be an ISO 3166-1 alpha-2 code');
    end if;
  end if;
  if _patch ? 'geolocation' then
    v_new.geolocation := app.check_object(nullif(_patch -> 'geolocation', 'null'), '_patch.geolocation');
    if v_new.geolocation is not null and v_new.geolocation ->> 'type' is distinct from 'FeatureCollection' then
      perform app.invalid('_patch.geolocation', 'geojson', '_patch.geolocation must be a GeoJSON FeatureCollection');
    end if;
  end if;
  return app.dds_out(app.dds_write_draft(_brand_id, _dds_id, _expected_version, v_new, array(select jsonb_object_keys(_patch))));
end
$$;
comment on function api.update_due_diligence_statement(uuid, uuid, jsonb, integer) is
  $$Patch a draft due-diligence statement. _patch keys: activity_type (import, export, domestic), hs_code (4, 6 or 8 digits), description, net_mass_kg (> 0), country_of_production (ISO 3166-1 alpha-2), geolocation (a GeoJSON FeatureCollection of the plots); null clears a key; any other key is a 400 naming it. Only a draft can be changed (409 otherwise). _expected_version → 412 when stale. Editor role, scope dds:write. Errors: 400, 401, 403, 404, 409, 412.$$;
grant execute on function api.update_due_diligence_statement(uuid, uuid, jsonb, integer) to authenticated;
