-- data.batches ------------------------------------------------------------------------------------
call app.brand_rls('data.batches', _insert => 'editor', _update => 'editor', _delete => 'admin');

call app.attach_trigger('data.batches', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
-- state machine, archived batches, archived_at: for every writer (sql/batches/row-guard.sql)
call app.attach_trigger('data.batches', '_050_batches_guard', 'before insert or update', 'app.tg__batches_guard');
-- created_by is the acting user
call app.attach_trigger('data.batches', '_040_created_by', 'before insert or update', 'app.tg__stamp_created_by');

revoke all on data.batches from anon, authenticated;
grant select, delete on data.batches to authenticated;
grant insert (brand_id, id, product_id, batch_number, external_id, status, production_date, received_date, expiry_date,
              quantity, unit, facility_ref, attributes, created_by),
      update (batch_number, external_id, status, production_date, received_date, expiry_date, quantity, unit,
              facility_ref, attributes, recall_message, archived_at)
   on data.batches to authenticated;
