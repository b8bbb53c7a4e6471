create function api.set_batch_status(_brand_id uuid, _batch_id uuid, _status text,
                                     _reason text default null, _expected_version integer default null)
returns api.batch
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_row data.batches;
begin
  perform app.require_role(_brand_id, 'editor', 'batches:write');
  select * into v_row from data.batches b where b.brand_id = _brand_id and b.id = _batch_id for update;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  if _expected_version is not null and _expected_version <> v_row.version then
    perform app.raise('PT412', format('Batch %s is at version %s, not %s', _batch_id, v_row.version, _expected_version),
                      jsonb_build_object('field', '_expected_version', 'rule', 'current_version', 'current', v_row.version));
  end if;
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
