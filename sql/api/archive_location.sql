create function api.archive_location(_brand_id uuid, _location_id uuid)
returns api.location
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row data.locations;
  v_stock numeric;
  v_pending bigint;
begin
  perform app.require_role(_brand_id, 'admin', 'inventory:write');
  -- the row lock makes receipts and transfers into this location (which take it FOR SHARE) wait, or us wait for them
  select * into v_row from data.locations l where l.brand_id = _brand_id and l.id = _location_id for update;
  if not found then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
  end if;
  if v_row.archived_at is not null then
    perform app.raise('PT409', format('Location "%s" is already archived', v_row.name),
                      jsonb_build_object('field', '_location_id', 'rule', 'state', 'state', 'archived'));
  end if;
  select coalesce(sum(s.quantity), 0) into v_stock from data.stock s where s.brand_id = _brand_id and s.location_id = _location_id;
  if v_stock > 0 then
    perform app.raise('PT409', format('Location "%s" still holds stock (%s); move or adjust it out before archiving', v_row.name, v_stock),
                      jsonb_build_object('field', '_location_id', 'rule', 'empty', 'state', 'has_stock', 'quantity', v_stock));
  end if;
  select count(*) into v_pending from data.transfers t
   where t.brand_id = _brand_id and t.status = 'pending' and (t.from_location_id = _location_id or t.to_location_id = _location_id);
  if v_pending > 0 then
    perform app.raise('PT409', format('Location "%s" has %s pending transfer(s); accept, decline or cancel them before archiving', v_row.name, v_pending),
                      jsonb_build_object('field', '_location_id', 'rule', 'no_pending_transfers', 'state', 'pending_transfers', 'pending', v_pending));
  end if;
  update data.locations l set archived_at = now() where l.brand_id = _brand_id and l.id = _location_id returning * into v_row;
  return app.location_out(v_row);
end
$$;
comment on function api.archive_location(uuid, uuid) is
  $$Archive an empty location: it keeps its history but takes no new stock or transfers, and its name can be reused. Refused (409) while it holds stock or has pending transfers. Admin role, scope inventory:write. Errors: 401, 403, 404, 409.$$;
grant execute on function api.archive_location(uuid, uuid) to authenticated;
