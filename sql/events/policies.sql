-- Events room: RLS, privileges and triggers of the audit trail, the outbox and the webhook tables; the
-- domain-event triggers on the tables whose changes are published; the audit triggers on every data table.

-- ---- audit trail: admins read their brand's rows; nobody updates, deletes or truncates (append-only) ----
call app.brand_rls('data.audit_events', _select => 'admin');
call app.attach_append_only('data.audit_events');
revoke all on data.audit_events from public, anon, authenticated, lotline_auth;
grant select on data.audit_events to authenticated;
grant insert on data.audit_events to lotline_auth;
grant usage on sequence data.audit_events_id_seq to lotline_auth;
select app.audit_maintain();   -- this month's and the next twelve partitions, guarded like the parent

-- ---- the outbox: members read their brand's events; only the definer triggers write; append-only ----
call app.brand_rls('data.events');
call app.attach_append_only('data.events');
revoke all on data.events from public, anon, authenticated, lotline_auth;
grant select on data.events to authenticated;
grant select, insert on data.events to lotline_auth;
grant usage on sequence data.events_seq_seq to lotline_auth;

-- ---- webhook endpoints: admins manage them; the secret column is readable only by the worker's definers ----
call app.brand_rls('data.webhooks', _select => 'admin', _insert => 'admin', _update => 'admin', _delete => 'admin');
call app.attach_trigger('data.webhooks', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
revoke all on data.webhooks from public, anon, authenticated, lotline_auth;
grant select (brand_id, id, url, events, description, status, disabled_reason, max_attempts, created_by, created_at, updated_at, version),
      insert (brand_id, url, events, description, secret, max_attempts, created_by),
      update (url, events, description, status, disabled_reason, max_attempts),
      delete
   on data.webhooks to authenticated;
grant select, update (status, disabled_reason) on data.webhooks to lotline_auth;

-- ---- the worker's tables: admins read them (and queue redeliveries); the worker's definers write ----
call app.brand_rls('data.webhook_cursors', _select => 'admin', _insert => 'admin');
revoke all on data.webhook_cursors from public, anon, authenticated, lotline_auth;
grant select, insert (brand_id, webhook_id, xid, seq) on data.webhook_cursors to authenticated;
grant select, update (xid, seq) on data.webhook_cursors to lotline_auth;

call app.brand_rls('data.webhook_deliveries', _select => 'admin', _insert => 'admin');
revoke all on data.webhook_deliveries from public, anon, authenticated, lotline_auth;
grant select, insert (brand_id, webhook_id, event_xid, event_seq, event_id, event_type, redelivery_of)
   on data.webhook_deliveries to authenticated;
grant usage on sequence data.webhook_deliveries_seq_seq to authenticated, lotline_auth;
grant select, insert, update on data.webhook_deliveries to lotline_auth;

call app.brand_rls('data.webhook_attempts', _select => 'admin');
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
call app.attach_trigger('data.batches', '_800_events_insert', 'after insert', 'app.tg__batch_events', 'statement', 'new table as new_rows');
call app.attach_trigger('data.batches', '_800_events_update', 'after update', 'app.tg__batch_events', 'statement', 'old table as old_rows new table as new_rows');
call app.attach_trigger('data.batches', '_800_events_delete', 'after delete', 'app.tg__batch_events', 'statement', 'old table as old_rows');
call app.attach_trigger('data.stock_movements', '_800_events_insert', 'after insert', 'app.tg__stock_movement_events', 'statement', 'new table as new_rows');
call app.attach_trigger('data.transfers', '_800_events_insert', 'after insert', 'app.tg__transfer_events', 'statement', 'new table as new_rows');
call app.attach_trigger('data.transfers', '_800_events_update', 'after update', 'app.tg__transfer_events', 'statement', 'old table as old_rows new table as new_rows');
call app.attach_trigger('data.serials', '_800_events_insert', 'after insert', 'app.tg__serial_events', 'statement', 'new table as new_rows');
call app.attach_trigger('data.serials', '_800_events_update', 'after update', 'app.tg__serial_events', 'statement', 'old table as old_rows new table as new_rows');

-- ---- the audit trail on every data table (a table added in any migration is covered here) ----
select app.audit_attach_all();
