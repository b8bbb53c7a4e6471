-- confirm_picks: the reserved stock of a pick list leaves its location (picked).
create function api.confirm_picks(_brand_id uuid, _pick_id uuid, _reason text default null)
returns api.pick
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.pick_finish(_brand_id, _pick_id, 'confirm', _reason);
  return app.pick_out(_brand_id, _pick_id);
end
$$;
comment on function api.confirm_picks(uuid, uuid, text) is
  $$Confirm a reserved pick list: per line its reservation is released and the quantity leaves the location (ledger kinds release and pick); status picked. Refused with 409 (rule unsellable, naming the hold) while a line's stock is unsellable — release the pick instead; 409 (rule state) unless the pick is reserved. Editor role, scope inventory:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.confirm_picks(uuid, uuid, text) to authenticated;
