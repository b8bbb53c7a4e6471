-- Quality tables: RLS (members read their brand's rows), privileges, and the triggers that make the quality
-- rules hold for every write — including the release gate on data.batches. Re-applied on every migrate.

-- the quality definers (owned by lotline_auth) use the api row types inside their helpers
grant usage on schema api to lotline_auth;

-- Release rules: admins set them (set_release_rule, or a direct write through RLS).
alter table data.release_rules enable row level security;
alter table data.release_rules force row level security;
drop policy if exists select_member on data.release_rules;
create policy select_member on data.release_rules for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop policy if exists insert_admin on data.release_rules;
create policy insert_admin on data.release_rules for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
drop policy if exists update_admin on data.release_rules;
create policy update_admin on data.release_rules for update to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]))
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
drop trigger if exists _100_touch_updated_at on data.release_rules;
create trigger _100_touch_updated_at before update on data.release_rules
  for each row execute function app.tg__touch_updated_at();
revoke all on data.release_rules from anon, authenticated, lotline_auth;
grant select, insert (brand_id, product_id, requires_lab_result, updated_by), update (requires_lab_result, updated_by)
  on data.release_rules to authenticated;
grant select on data.release_rules to lotline_auth;

-- Lab results and their analytes: recorded by app.lab_result_record only, never changed (by anyone).
alter table data.lab_results enable row level security;
alter table data.lab_results force row level security;
drop policy if exists select_member on data.lab_results;
create policy select_member on data.lab_results for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop trigger if exists _100_order on data.lab_results;
create trigger _100_order before insert on data.lab_results
  for each row execute function app.tg_lab_results__order();
drop trigger if exists _200_apply on data.lab_results;
create trigger _200_apply after insert on data.lab_results
  for each row execute function app.tg_lab_results__apply();
drop trigger if exists _100_append_only on data.lab_results;
create trigger _100_append_only before update or delete on data.lab_results
  for each row execute function app.tg__append_only();
drop trigger if exists _100_append_only_truncate on data.lab_results;
create trigger _100_append_only_truncate before truncate on data.lab_results
  for each statement execute function app.tg__append_only();
revoke all on data.lab_results from anon, authenticated, lotline_auth;
grant select on data.lab_results to authenticated;
grant select, insert on data.lab_results to lotline_auth;
grant usage on sequence data.lab_results_seq to lotline_auth;

alter table data.lab_result_analytes enable row level security;
alter table data.lab_result_analytes force row level security;
drop policy if exists select_member on data.lab_result_analytes;
create policy select_member on data.lab_result_analytes for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop trigger if exists _100_append_only on data.lab_result_analytes;
create trigger _100_append_only before update or delete on data.lab_result_analytes
  for each row execute function app.tg__append_only();
drop trigger if exists _100_append_only_truncate on data.lab_result_analytes;
create trigger _100_append_only_truncate before truncate on data.lab_result_analytes
  for each statement execute function app.tg__append_only();
revoke all on data.lab_result_analytes from anon, authenticated, lotline_auth;
grant select on data.lab_result_analytes to authenticated;
grant select, insert on data.lab_result_analytes to lotline_auth;

-- Holds: placed and released by the quality definers only; kept as history (guard trigger).
alter table data.holds enable row level security;
alter table data.holds force row level security;
drop policy if exists select_member on data.holds;
create policy select_member on data.holds for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop trigger if exists _100_guard on data.holds;
create trigger _100_guard before update or delete on data.holds
  for each row execute function app.tg_holds__guard();
drop trigger if exists _100_append_only_truncate on data.holds;
create trigger _100_append_only_truncate before truncate on data.holds
  for each statement execute function app.tg__append_only();
revoke all on data.holds from anon, authenticated, lotline_auth;
grant select on data.holds to authenticated;
grant select, insert, update (status, released_by, released_at, release_note) on data.holds to lotline_auth;

-- Pick lists: written by the pick definers only (like transfers).
alter table data.picks enable row level security;
alter table data.picks force row level security;
drop policy if exists select_member on data.picks;
create policy select_member on data.picks for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
revoke all on data.picks from anon, authenticated, lotline_auth;
grant select on data.picks to authenticated;
grant select, insert, update on data.picks to lotline_auth;

alter table data.pick_lines enable row level security;
alter table data.pick_lines force row level security;
drop policy if exists select_member on data.pick_lines;
create policy select_member on data.pick_lines for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
revoke all on data.pick_lines from anon, authenticated, lotline_auth;
grant select on data.pick_lines to authenticated;
grant select, insert on data.pick_lines to lotline_auth;

-- The release gate on data.batches (sql/quality/release-gate.sql); a recorded result moves the status and
-- locks the batch row as lotline_auth.
drop trigger if exists _200_release_gate on data.batches;
create trigger _200_release_gate before insert or update of status on data.batches
  for each row execute function app.tg_batches__release_gate();
drop trigger if exists _200_lab_pending_hold on data.batches;
create trigger _200_lab_pending_hold after insert on data.batches
  for each row execute function app.tg_batches__lab_pending_hold();
grant update (status) on data.batches to lotline_auth;
