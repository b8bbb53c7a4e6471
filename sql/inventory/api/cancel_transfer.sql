create function api.cancel_transfer(_brand_id uuid, _transfer_id uuid, _reason text default null)
returns api.transfer
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.transfer_finish(_brand_id, _transfer_id, 'cancel', _reason);
  return app.transfer_out(_brand_id, _transfer_id);
end
$$;
comment on function api.cancel_transfer(uuid, uuid, text) is
  $$Withdraw a PENDING transfer (its creator, or an admin): nothing moves, the reservation at the source is released, who cancelled, when and the optional _reason are recorded. 409 (PT409) naming the state when it is no longer pending. Editor role, scope inventory:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.cancel_transfer(uuid, uuid, text) to authenticated;
