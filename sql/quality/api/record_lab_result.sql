-- record_lab_result: a lab result for a batch (immutable; a correction supersedes the latest). Its effect on
-- holds and status comes from the triggers on data.lab_results (sql/quality/lab-results.sql).
create function api.record_lab_result(
  _brand_id            uuid,
  _batch_id            uuid,
  _result              text,
  _analytes            jsonb default null,
  _lab_name            text  default null,
  _sample_id           text  default null,
  _sampled_on          data.iso_date default null,
  _tested_on           data.iso_date default null,
  _certificate_url     text  default null,
  _certificate_sha256  text  default null,
  _data                jsonb default null,
  _supersedes_id       uuid  default null,
  _correction_reason   text  default null
)
returns api.lab_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_id uuid;
begin
  perform app.require_role(_brand_id, 'editor', 'quality:write');
  v_id := app.lab_result_record(_brand_id, _batch_id, _result, _analytes, _lab_name, _sample_id, _sampled_on::date, _tested_on::date,
                                _certificate_url, _certificate_sha256, _data, _supersedes_id, _correction_reason);
  return (select app.lab_result_out(r) from data.lab_results r where r.brand_id = _brand_id and r.id = v_id);
end
$$;
comment on function api.record_lab_result(uuid, uuid, text, jsonb, text, text, data.iso_date, data.iso_date, text, text, jsonb, uuid, text) is
  $$Record a lab result for a batch: _result pass|fail (overall), _analytes [{name, display_name?, value?, max?, unit?, limit?, result? pass|fail}] (0–500, names unique; potency fields of the retail API map to analytes, docs/quality.md), lab name, sample id, sampled/tested dates (not in the future), certificate URL and SHA-256, _data (the lab's own payload, an object). Results never change: a correction is a new result with _supersedes_id (the batch's latest result) and _correction_reason. The latest result takes effect at once: pass releases the batch's lab pending / lab failed holds and moves in_testing → ready_for_sale; fail places a lab failed hold and moves ready_for_sale → in_testing. Editor role, scope quality:write. Errors: 400, 401, 403, 404 (batch, superseded result), 409 (not the latest result).$$;
grant execute on function api.record_lab_result(uuid, uuid, text, jsonb, text, text, data.iso_date, data.iso_date, text, text, jsonb, uuid, text) to authenticated;
