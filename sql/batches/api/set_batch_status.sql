create function api.set_batch_status(_brand_id uuid, _batch_id uuid, _status text,
                                     _reason text default null, _expected_version integer default null)
returns api.batch
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_row data.batches;
begin
  perform app.require_role(_brand_id, 'editor', 'batches:write');
  v_row := app.batch_for_update(_brand_id, _batch_id, _expected_version);
  perform app.check_batch_transition(v_row.status, _status);
  update data.batches b
     set status = _status,
         archived_at = case when _status = 'archived' then now() else b.archived_at end,
         recall_message = case when _status = 'recalled'
                               then coalesce(app.check_text(_reason, '_reason', 2000, false), b.recall_message)
                               else b.recall_message end
   where b.brand_id = _brand_id and b.id = _batch_id
  returning * into v_row;
  return app.batch_out(v_row);
end
$$;
comment on function api.set_batch_status(uuid, uuid, text, text, integer) is
  $$Move a batch to another status along the state machine (docs/state-machine.md); an illegal change is 409 naming both states. Recalling stores _reason as the consumer-facing recall message. Errors: 400, 401, 403, 404, 409, 412.$$;
grant execute on function api.set_batch_status(uuid, uuid, text, text, integer) to authenticated;
