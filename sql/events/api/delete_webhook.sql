-- Remove an endpoint with its queue and delivery log (the audit trail keeps the record of it).
create function api.delete_webhook(_brand_id uuid, _webhook_id uuid)
returns api.webhook
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_row api.webhook;
begin
  perform app.require_role(_brand_id, 'admin', 'webhooks:write');
  select w.* into v_row from app.webhooks_of(_brand_id, _webhook_id) w;
  delete from data.webhooks h where h.brand_id = _brand_id and h.id = _webhook_id;
  if not found then
    perform app.raise('PT404', format('Webhook %s not found', _webhook_id), jsonb_build_object('field', '_webhook_id', 'rule', 'exists'));
  end if;
  return v_row;
end
$$;
comment on function api.delete_webhook(uuid, uuid) is
  $$Delete an endpoint, its pending deliveries and its delivery log; nothing more is sent to it. Returns the deleted endpoint. Admin role, scope webhooks:write. Errors: 401, 403, 404.$$;
grant execute on function api.delete_webhook(uuid, uuid) to authenticated;
