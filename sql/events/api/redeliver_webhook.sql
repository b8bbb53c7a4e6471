-- Send a delivered or dead-lettered event again: a new delivery at the end of the endpoint's queue.
create function api.redeliver_webhook(_brand_id uuid, _delivery_id uuid)
returns api.webhook_delivery
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_state text; v_new uuid;
begin
  perform app.require_role(_brand_id, 'admin', 'webhooks:write');
  select d.state into v_state from data.webhook_deliveries d where d.brand_id = _brand_id and d.id = _delivery_id;
  if not found then
    perform app.raise('PT404', format('Delivery %s not found', _delivery_id), jsonb_build_object('field', '_delivery_id', 'rule', 'exists'));
  end if;
  if v_state not in ('delivered', 'dead') then
    perform app.raise('PT409', format('Delivery %s is %s; only delivered or dead deliveries can be sent again', _delivery_id, v_state),
                      jsonb_build_object('field', '_delivery_id', 'rule', 'state', 'state', v_state));
  end if;
  insert into data.webhook_deliveries (brand_id, webhook_id, event_xid, event_seq, event_id, event_type, redelivery_of)
  select d.brand_id, d.webhook_id, d.event_xid, d.event_seq, d.event_id, d.event_type, d.id
    from data.webhook_deliveries d where d.brand_id = _brand_id and d.id = _delivery_id
  returning id into v_new;
  return (select x from app.webhook_deliveries_of(_brand_id, null, v_new, null, null, 1) x);
end
$$;
comment on function api.redeliver_webhook(uuid, uuid) is
  $$Queue a delivered or dead-lettered delivery again (same event, same webhook-id, so receivers can recognise it) at the end of its endpoint's queue; returns the new delivery (redelivery_of = the old one). Admin role, scope webhooks:write. Errors: 401, 403, 404, 409.$$;
grant execute on function api.redeliver_webhook(uuid, uuid) to authenticated;
