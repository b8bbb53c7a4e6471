-- Lab results: validation, recording (definer: the tables have no write grant), and the triggers that make
-- every recorded result take effect — whoever inserts it — on the batch's holds and status. docs/quality.md.

-- Does the batch's product require a passing lab result before sale (a release rule)?
create or replace function app.lab_result_required(_brand_id uuid, _batch_id uuid)
returns boolean
language sql stable security invoker set search_path = ''
as $$
  select coalesce((select r.requires_lab_result from data.batches b
                     join data.release_rules r on r.brand_id = b.brand_id and r.product_id = b.product_id
                    where b.brand_id = _brand_id and b.id = _batch_id), false)
$$;

-- pass | fail of the batch's latest result (the highest seq), or null when it has none.
create or replace function app.latest_lab_result_of(_brand_id uuid, _batch_id uuid)
returns text
language sql stable security invoker set search_path = ''
as $$
  select r.result from data.lab_results r where r.brand_id = _brand_id and r.batch_id = _batch_id order by r.seq desc limit 1
$$;

-- A test or sampling date: a real calendar date from 1900 on, not in the future.
create or replace function app.check_lab_date(_value date, _field text)
returns date
language plpgsql stable security invoker set search_path = ''
as $$
begin
  if _value is not null and (not isfinite(_value) or _value < date '1900-01-01') then
    perform app.invalid(_field, 'range', format('%s must be a date from 1900-01-01 on', _field));
  end if;
  if _value > current_date then
    perform app.invalid(_field, 'max', format('%s must not be in the future', _field));
  end if;
  return _value;
end
$$;

-- Validate analytes [{name, display_name?, value?, max?, unit?, limit?, result?}] (0–500, names unique
-- case-insensitively) and number them: [{position, name, display_name, value, max, unit, limit, result}].
create or replace function app.parse_lab_analytes(_analytes jsonb, _field text default '_analytes')
returns jsonb
language plpgsql immutable security invoker set search_path = ''
as $$
declare
  v_el jsonb;
  v_i integer := 0;
  v_f text;
  v_key text;
  v_name text;
  v_seen text[] := '{}';
  v_out jsonb := '[]';
begin
  if _analytes is null or jsonb_typeof(_analytes) = 'null' then return '[]'; end if;
  if jsonb_typeof(_analytes) <> 'array' then
    perform app.invalid(_field, 'array', format('%s must be a JSON array of {name, value, unit, max, limit, result}', _field));
  end if;
  if jsonb_array_length(_analytes) > 500 then
    perform app.invalid(_field, 'max_items', format('%s must have at most 500 analytes', _field));
  end if;
  for v_el in select e from jsonb_array_elements(_analytes) e loop
    v_f := format('%s[%s]', _field, v_i);
    if jsonb_typeof(v_el) <> 'object' then
      perform app.invalid(v_f, 'object', format('%s must be an object {name, value, unit, max, limit, result}', v_f));
    end if;
    for v_key in select jsonb_object_keys(v_el) loop
      if v_key not in ('name', 'display_name', 'value', 'max', 'unit', 'limit', 'result') then
        perform app.invalid(v_f || '.' || v_key, 'unknown_key',
          format('%s.%s is not an analyte field; allowed: name, display_name, value, max, unit, limit, result', v_f, v_key));
      end if;
    end loop;
    foreach v_key in array array['name', 'display_name', 'unit', 'result'] loop
      if jsonb_typeof(v_el -> v_key) not in ('string', 'null') then
        perform app.invalid(v_f || '.' || v_key, 'string', format('%s.%s must be a string', v_f, v_key));
      end if;
    end loop;
    v_name := app.check_text(v_el ->> 'name', v_f || '.name', 100);
    if lower(v_name) = any (v_seen) then
      perform app.invalid(v_f || '.name', 'unique', format('%s.name "%s" appears in an earlier analyte', v_f, v_name));
    end if;
    v_seen := v_seen || lower(v_name);
    if (v_el ->> 'result') not in ('pass', 'fail') then
      perform app.invalid(v_f || '.result', 'enum', format('%s.result must be pass or fail', v_f));
    end if;
    v_out := v_out || jsonb_build_array(jsonb_build_object(
      'position', v_i + 1, 'name', v_name,
      'display_name', app.check_text(v_el ->> 'display_name', v_f || '.display_name', 200, false),
      'value', app.json_quantity(v_el -> 'value', v_f || '.value'),
      'max', app.json_quantity(v_el -> 'max', v_f || '.max'),
      'unit', app.check_text(v_el ->> 'unit', v_f || '.unit', 32, false),
      'limit', app.json_quantity(v_el -> 'limit', v_f || '.limit'),
      'result', v_el ->> 'result'));
    v_i := v_i + 1;
  end loop;
  return v_out;
end
$$;

-- record_lab_result for an editor (checked first): validates, inserts the result and its analytes. The
-- triggers below lock the batch, order the result, and apply it. Returns the new result's id.
create or replace function app.lab_result_record(
  _brand_id uuid, _batch_id uuid, _result text, _analytes jsonb, _lab_name text, _sample_id text, _sampled_on date,
  _tested_on date, _certificate_url text, _certificate_sha256 text, _data jsonb, _supersedes_id uuid, _correction_reason text)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_analytes jsonb;
  v_url text;
  v_hash text;
  v_reason text;
begin
  perform app.require_role(_brand_id, 'editor', 'quality:write');
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  if _result is null or _result not in ('pass', 'fail') then
    perform app.invalid('_result', 'enum', '_result must be pass or fail');
  end if;
  v_analytes := app.parse_lab_analytes(_analytes);
  if _result = 'pass' and exists (select from jsonb_array_elements(v_analytes) a where a ->> 'result' = 'fail') then
    perform app.invalid('_result', 'matches_analytes', '_result cannot be pass while an analyte failed');
  end if;
  perform app.check_lab_date(_sampled_on, '_sampled_on');
  perform app.check_lab_date(_tested_on, '_tested_on');
  if _sampled_on > _tested_on then
    perform app.invalid('_tested_on', 'after_sampled_on', '_tested_on must not be before _sampled_on');
  end if;
  v_url := app.check_text(_certificate_url, '_certificate_url', 2000, false);
  if v_url !~ '^https?://[^[:space:]]+$' then
    perform app.invalid('_certificate_url', 'url', '_certificate_url must be an http(s) URL');
  end if;
  v_hash := lower(app.check_text(_certificate_sha256, '_certificate_sha256', 64, false));
  if v_hash !~ '^[0-9a-f]{64}$' then
    perform app.invalid('_certificate_sha256', 'pattern', '_certificate_sha256 must be 64 hexadecimal characters (SHA-256)');
  end if;
  v_reason := app.check_text(_correction_reason, '_correction_reason', 2000, false);
  if _supersedes_id is not null and v_reason is null then
    perform app.invalid('_correction_reason', 'required', '_correction_reason is required when a result is corrected (_supersedes_id)');
  end if;
  if _supersedes_id is null and v_reason is not null then
    perform app.invalid('_supersedes_id', 'required', '_supersedes_id names the result that _correction_reason corrects');
  end if;
  if not exists (select from data.batches b where b.brand_id = _brand_id and b.id = _batch_id) then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  if _supersedes_id is not null
     and not exists (select from data.lab_results r where r.brand_id = _brand_id and r.batch_id = _batch_id and r.id = _supersedes_id) then
    perform app.raise('PT404', format('Lab result %s not found for batch %s', _supersedes_id, _batch_id),
                      jsonb_build_object('field', '_supersedes_id', 'rule', 'exists'));
  end if;

  insert into data.lab_results (brand_id, id, batch_id, result, lab_name, sample_id, sampled_on, tested_on, certificate_url,
                                certificate_sha256, data, supersedes_id, correction_reason, recorded_by)
  values (_brand_id, v_id, _batch_id, _result, app.check_text(_lab_name, '_lab_name', 200, false),
          app.check_text(_sample_id, '_sample_id', 200, false), _sampled_on, _tested_on, v_url, v_hash,
          coalesce(app.check_object(_data, '_data'), '{}'), _supersedes_id, v_reason, app.current_user_id());
  insert into data.lab_result_analytes (brand_id, lab_result_id, position, name, display_name, value, max, unit, "limit", result)
  select _brand_id, v_id, a.position, a.name, a.display_name, a.value, a.max, a.unit, a."limit", a.result
    from jsonb_to_recordset(v_analytes) as a (position integer, name text, display_name text, value numeric, max numeric,
                                               unit text, "limit" numeric, result text);
  return v_id;
end
$$;
alter function app.lab_result_record(uuid, uuid, text, jsonb, text, text, date, date, text, text, jsonb, uuid, text) owner to lotline_auth;
comment on function app.lab_result_record(uuid, uuid, text, jsonb, text, text, date, date, text, text, jsonb, uuid, text) is
  'Definer: lab results and analytes have no write grant for callers (immutable); records one for an editor (checked first).';

-- BEFORE INSERT on data.lab_results: lock the batch row (results of one batch, and its status changes,
-- queue here: the latest result is always the one applied last), only the latest result may be corrected,
-- and the result's seq is taken under that lock.
create or replace function app.tg_lab_results__order()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare v_latest uuid;
begin
  perform from data.batches b where b.brand_id = new.brand_id and b.id = new.batch_id for no key update;
  if new.supersedes_id is not null then
    select r.id into v_latest from data.lab_results r
     where r.brand_id = new.brand_id and r.batch_id = new.batch_id order by r.seq desc limit 1;
    if v_latest is distinct from new.supersedes_id then
      perform app.raise('PT409', format('Lab result %s is not the batch''s latest result (%s); only the latest can be corrected',
                                        new.supersedes_id, v_latest),
                        jsonb_build_object('field', '_supersedes_id', 'rule', 'latest', 'latest_id', v_latest));
    end if;
  end if;
  new.seq := nextval('data.lab_results_seq');
  new.recorded_at := pg_catalog.clock_timestamp();
  new.recorded_by := coalesce(new.recorded_by, app.current_user_id(), 'system');
  return new;
end
$$;

-- AFTER INSERT on data.lab_results: apply the new latest result to the batch.
--   pass: release its lab pending / lab failed holds; in_testing → ready_for_sale.
--   fail: release lab pending (a result is in), place a lab failed hold; ready_for_sale → in_testing.
-- Status changes are ordinary UPDATEs along the state machine (app.check_batch_transition first).
create or replace function app.tg_lab_results__apply()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_status text;
  v_to text;
begin
  if new.result = 'pass' then
    perform app.hold_release_where(new.brand_id, new.batch_id, null, array['lab_pending', 'lab_failed'],
                                   format('released by passing lab result %s', new.id));
  else
    perform app.hold_release_where(new.brand_id, new.batch_id, null, array['lab_pending'],
                                   format('lab result %s is in (failed)', new.id));
    perform app.hold_insert(new.brand_id, new.batch_id, null, 'lab_failed', format('lab result %s failed', new.id),
                            'lab_result', new.id, true);
  end if;
  select b.status into v_status from data.batches b where b.brand_id = new.brand_id and b.id = new.batch_id;
  v_to := case when new.result = 'pass' and v_status = 'in_testing' then 'ready_for_sale'
               when new.result = 'fail' and v_status = 'ready_for_sale' then 'in_testing' end;
  if v_to is not null then
    perform app.check_batch_transition(v_status, v_to);
    update data.batches b set status = v_to where b.brand_id = new.brand_id and b.id = new.batch_id;
    perform app.require_found(found, '_batch_id', format('Batch %s not found', new.batch_id));
  end if;
  return null;
end
$$;

alter function app.tg_lab_results__order() owner to lotline_auth;
alter function app.tg_lab_results__apply() owner to lotline_auth;
comment on function app.tg_lab_results__order() is
  'Definer: locks the batch row and takes the result sequence whoever inserts the result.';
comment on function app.tg_lab_results__apply() is
  'Definer: holds have no write grant for callers; a recorded result places/releases lab holds and moves the batch status.';
revoke execute on function app.lab_result_record(uuid, uuid, text, jsonb, text, text, date, date, text, text, jsonb, uuid, text),
  app.tg_lab_results__order(), app.tg_lab_results__apply() from public;
grant execute on function app.lab_result_required(uuid, uuid), app.latest_lab_result_of(uuid, uuid),
  app.check_lab_date(date, text), app.parse_lab_analytes(jsonb, text) to authenticated, lotline_auth;
grant execute on function app.lab_result_record(uuid, uuid, text, jsonb, text, text, date, date, text, text, jsonb, uuid, text)
  to authenticated;
-- what the quality definers (owned by lotline_auth) use from core and batches
grant execute on function app.check_object(jsonb, text), app.check_batch_transition(text, text), app.batch_status_next(text),
  app.batch_statuses() to lotline_auth;
