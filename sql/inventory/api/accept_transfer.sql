create function api.accept_transfer(_brand_id uuid, _transfer_id uuid)
returns api.transfer
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'admin', 'inventory:write');
  perform app.transfer_finish(_brand_id, _transfer_id, 'accept', null);
  return app.transfer_out(_brand_id, _transfer_id);
end
$$;
comment on function api.accept_transfer(uuid, uuid) is
  $$Accept a PENDING transfer: its stock moves exactly once, even under concurrent calls — at the source the reservation is released and the quantity leaves (transfer_out), at the destination it arrives (transfer_in) — and who accepted and when are recorded. Any call on a transfer that is no longer pending is a 409 (PT409) naming its state. Admin role (see docs/inventory.md), scope inventory:write. Errors: 401, 403, 404, 409.$$;
grant execute on function api.accept_transfer(uuid, uuid) to authenticated;
