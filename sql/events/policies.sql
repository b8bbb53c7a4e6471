-- Events room: RLS, privileges and triggers of the audit trail, the outbox and the webhook tables; the
-- domain-event triggers on the tables whose changes are published; the audit triggers on every data table.

-- ---- audit trail: admins read their brand's rows; nobody updates, deletes or truncates (append-only) ----
alter table data.audit_events enable row level security;
alter table data.audit_events force row level security;
drop policy if exists select_admin on data.audit_events;
create policy select_admin on data.audit_events for select to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
create or replace trigger _100_append_only before update or delete on data.audit_events
  for each row execute function app.tg__append_only();
create or replace trigger _100_append_only_truncate before truncate on data.audit_events
  for each statement execute function app.tg__append_only();
revoke all on data.audit_events from public, anon, authenticated, lotline_auth;
grant select on data.audit_events to authenticated;
grant insert on data.audit_events to lotline_auth;
grant usage on sequence data.audit_events_id_seq to lotline_auth;
select app.audit_maintain();   -- this month's and the next twelve partitions, guarded like the parent

-- ---- the outbox: members read their brand's events; only the definer triggers write; append-only ----
alter table data.events enable row level security;
alter table data.events force row level security;
drop policy if exists select_member on data.events;
create policy select_member on data.events for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
create or replace trigger _100_append_only before update or delete on data.events
  for each row execute function app.tg__append_only();
create or replace trigger _100_append_only_truncate before truncate on data.events
  for each statement execute function app.tg__append_only();
revoke all on data.events from public, anon, authenticated, lotline_auth;
grant select on data.events to authenticated;
grant select, insert on data.events to lotline_auth;
grant usage on sequence data.events_seq_seq to lotline_auth;

-- ---- webhook endpoints: admins manage them; the secret column is readable only by the worker's definers ----
alter table data.webhooks enable row level security;
alter table data.webhooks force row level security;
drop policy if exists select_admin on data.webhooks;
create policy select_admin on data.webhooks for select to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
drop policy if exists insert_admin on data.webhooks;
create policy insert_admin on data.webhooks for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
drop policy if exists update_admin on data.webhooks;
create policy update_admin on data.webhooks for update to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]))
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
drop policy if exists delete_admin on data.webhooks;
create policy delete_admin on data.webhooks for delete to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
create or replace trigger _100_touch_updated_at before update on data.webhooks
  for each row execute function app.tg__touch_updated_at();
revoke all on data.webhooks from public, anon, authenticated, lotline_auth;
grant select (brand_id, id, url, events, description, status, disabled_reason, max_attempts, created_by, created_at, updated_at, version),
      insert (brand_id, url, events, description, secret, max_attempts, created_by),
      update (url, events, description, status, disabled_reason, max_attempts),
      delete
   on data.webhooks to authenticated;
grant select, update (status, disabled_reason) on data.webhooks to lotline_auth;

-- ---- the worker's tables: admins read them (and queue redeliveries); the worker's definers write ----
alter table data.webhook_cursors enable row level security;
alter table data.webhook_cursors force row level security;
drop policy if exists select_admin on data.webhook_cursors;
create policy select_admin on data.webhook_cursors for select to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
drop policy if exists insert_admin on data.webhook_cursors;
create policy insert_admin on data.webhook_cursors for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
revoke all on data.webhook_cursors from public, anon, authenticated, lotline_auth;
grant select, insert (brand_id, webhook_id, xid, seq) on data.webhook_cursors to authenticated;
grant select, update (xid, seq) on data.webhook_cursors to lotline_auth;

alter table data.webhook_deliveries enable row level security;
alter table data.webhook_deliveries force row level security;
drop policy if exists select_admin on data.webhook_deliveries;
create policy select_admin on data.webhook_deliveries for select to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
drop policy if exists insert_admin on data.webhook_deliveries;
create policy insert_admin on data.webhook_deliveries for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
revoke all on data.webhook_deliveries from public, anon, authenticated, lotline_auth;
grant select, insert (brand_id, webhook_id, event_xid, event_seq, event_id, event_type, redelivery_of)
   on data.webhook_deliveries to authenticated;
grant usage on sequence data.webhook_deliveries_seq_seq to authenticated, lotline_auth;
grant select, insert, update on data.webhook_deliveries to lotline_auth;

alter table data.webhook_attempts enable row level security;
alter table data.webhook_attempts force row level security;
drop policy if exists select_admin on data.webhook_attempts;
create policy select_admin on data.webhook_attempts for select to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
revoke all on data.webhook_attempts from public, anon, authenticated, lotline_auth;
grant select on data.webhook_attempts to authenticated;
grant select, insert on data.webhook_attempts to lotline_auth;

-- ---- definers of this room: owned by lotline_auth; the worker's steps only for lotline_worker ----
alter function app.tg__audit() owner to lotline_auth;
alter function app.tg__audit_serials_insert() owner to lotline_auth;
alter function app.emit_event(uuid, text, text, jsonb) owner to lotline_auth;
alter function app.tg__batch_events() owner to lotline_auth;
alter function app.tg__stock_movement_events() owner to lotline_auth;
alter function app.tg__transfer_events() owner to lotline_auth;
alter function app.tg__serial_events() owner to lotline_auth;
alter function app.webhook_dispatch(integer) owner to lotline_auth;
alter function app.webhook_claim(text, integer, integer, integer) owner to lotline_auth;
alter function app.webhook_record(uuid, uuid, integer, text, timestamptz, integer, text, integer) owner to lotline_auth;
alter function app.webhook_release(uuid, uuid, integer) owner to lotline_auth;
revoke execute on function app.tg__audit(), app.tg__audit_serials_insert(), app.emit_event(uuid, text, text, jsonb), app.tg__batch_events(),
  app.tg__stock_movement_events(), app.tg__transfer_events(), app.tg__serial_events(), app.webhook_dispatch(integer),
  app.webhook_claim(text, integer, integer, integer),
  app.webhook_record(uuid, uuid, integer, text, timestamptz, integer, text, integer), app.webhook_release(uuid, uuid, integer) from public;
grant execute on function app.write_context(), app.webhook_matches(text[], text) to lotline_auth;
grant usage on schema app to lotline_worker;
grant execute on function app.webhook_dispatch(integer), app.webhook_claim(text, integer, integer, integer),
  app.webhook_record(uuid, uuid, integer, text, timestamptz, integer, text, integer), app.webhook_release(uuid, uuid, integer) to lotline_worker;
grant execute on function app.feed_cursor(text, text), app.check_webhook_url(text), app.check_event_patterns(text[]),
  app.webhook_secret() to authenticated;

-- ---- domain events: published by triggers, so every door and every function writes them ----
create or replace trigger _800_events_insert after insert on data.batches
  referencing new table as new_rows for each statement execute function app.tg__batch_events();
create or replace trigger _800_events_update after update on data.batches
  referencing old table as old_rows new table as new_rows for each statement execute function app.tg__batch_events();
create or replace trigger _800_events_delete after delete on data.batches
  referencing old table as old_rows for each statement execute function app.tg__batch_events();
create or replace trigger _800_events_insert after insert on data.stock_movements
  referencing new table as new_rows for each statement execute function app.tg__stock_movement_events();
create or replace trigger _800_events_insert after insert on data.transfers
  referencing new table as new_rows for each statement execute function app.tg__transfer_events();
create or replace trigger _800_events_update after update on data.transfers
  referencing old table as old_rows new table as new_rows for each statement execute function app.tg__transfer_events();
create or replace trigger _800_events_insert after insert on data.serials
  referencing new table as new_rows for each statement execute function app.tg__serial_events();
create or replace trigger _800_events_update after update on data.serials
  referencing old table as old_rows new table as new_rows for each statement execute function app.tg__serial_events();

-- ---- the audit trail on every data table (a table added in any migration is covered here) ----
select app.audit_attach_all();
