create function api.decline_transfer(_brand_id uuid, _transfer_id uuid, _reason text)
returns api.transfer
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'admin', 'inventory:write');
  perform app.check_text(_reason, '_reason', 2000);
  perform app.transfer_finish(_brand_id, _transfer_id, 'decline', _reason);
  return app.transfer_out(_brand_id, _transfer_id);
end
$$;
comment on function api.decline_transfer(uuid, uuid, text) is
  $$Decline a PENDING transfer with a required _reason: nothing moves, the reservation at the source is released, and who declined, when and why are recorded. 409 (PT409) naming the state when it is no longer pending. Admin role, scope inventory:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.decline_transfer(uuid, uuid, text) to authenticated;
