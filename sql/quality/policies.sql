-- Quality tables: RLS (members read their brand's rows), privileges, and the triggers that make the quality
-- rules hold for every write — including the release gate on data.batches. Re-applied on every migrate.

-- the quality definers (owned by lotline_auth) use the api row types inside their helpers
grant usage on schema api to lotline_auth;

-- Release rules: admins set them (set_release_rule, or a direct write through RLS).
call app.brand_rls('data.release_rules', _insert => 'admin', _update => 'admin');
call app.attach_trigger('data.release_rules', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
revoke all on data.release_rules from anon, authenticated, lotline_auth;
grant select, insert (brand_id, product_id, requires_lab_result, updated_by), update (requires_lab_result, updated_by)
  on data.release_rules to authenticated;
grant select on data.release_rules to lotline_auth;

-- Lab results and their analytes: recorded by app.lab_result_record only, never changed (by anyone).
call app.brand_rls('data.lab_results');
call app.attach_trigger('data.lab_results', '_100_order', 'before insert', 'app.tg_lab_results__order');
call app.attach_trigger('data.lab_results', '_200_apply', 'after insert', 'app.tg_lab_results__apply');
call app.attach_append_only('data.lab_results');
revoke all on data.lab_results from anon, authenticated, lotline_auth;
grant select on data.lab_results to authenticated;
grant select, insert on data.lab_results to lotline_auth;
grant usage on sequence data.lab_results_seq to lotline_auth;

call app.brand_rls('data.lab_result_analytes');
call app.attach_append_only('data.lab_result_analytes');
revoke all on data.lab_result_analytes from anon, authenticated, lotline_auth;
grant select on data.lab_result_analytes to authenticated;
grant select, insert on data.lab_result_analytes to lotline_auth;

-- Holds: placed and released by the quality definers only; kept as history (guard trigger).
call app.brand_rls('data.holds');
call app.attach_trigger('data.holds', '_100_guard', 'before update or delete', 'app.tg_holds__guard');
call app.attach_trigger('data.holds', '_100_append_only_truncate', 'before truncate', 'app.tg__append_only', 'statement');
revoke all on data.holds from anon, authenticated, lotline_auth;
grant select on data.holds to authenticated;
grant select, insert, update (status, released_by, released_at, release_note) on data.holds to lotline_auth;

-- Pick lists: written by the pick definers only (like transfers).
call app.brand_rls('data.picks');
revoke all on data.picks from anon, authenticated, lotline_auth;
grant select on data.picks to authenticated;
grant select, insert, update on data.picks to lotline_auth;

call app.brand_rls('data.pick_lines');
revoke all on data.pick_lines from anon, authenticated, lotline_auth;
grant select on data.pick_lines to authenticated;
grant select, insert on data.pick_lines to lotline_auth;

-- The release gate on data.batches (sql/quality/release-gate.sql); a recorded result moves the status and
-- locks the batch row as lotline_auth.
call app.attach_trigger('data.batches', '_200_release_gate', 'before insert or update of status', 'app.tg_batches__release_gate');
call app.attach_trigger('data.batches', '_200_lab_pending_hold', 'after insert', 'app.tg_batches__lab_pending_hold');
grant update (status) on data.batches to lotline_auth;
