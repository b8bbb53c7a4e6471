-- Recall a batch and everything made from it in one call, and return the recall report.
create function api.recall_batch(_brand_id uuid, _batch_id uuid, _reason text, _include_downstream boolean default true)
returns api.recall_report
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_recall uuid;
begin
  perform app.require_role(_brand_id, 'admin', 'recall:write');
  v_recall := app.recall_apply(_brand_id, _batch_id, _reason, _include_downstream);
  return app.recall_report(_brand_id, v_recall);   -- its own statement: it must see what recall_apply wrote
end
$$;
comment on function api.recall_batch(uuid, uuid, text, boolean) is
  $$Recall a batch and (unless _include_downstream = false) every batch made from it, at any depth, in one transaction: each becomes recalled with _reason (required, ≤ 2000 characters) as its consumer-facing recall message — shown by get_public_batch, resolve_serial and resolve_digital_link — and its stock is blocked: no reservation, transfer acceptance, production, split or merge can take it (409 naming the recall); pending transfers of it stay pending and can only be declined or cancelled. Archived batches are listed unchanged; batches recalled already keep their status. Numbered RC-000001 per brand; who and when are recorded. Returns the recall report: the batches with depth, previous status, stock per location and serial counts; the locations holding any; pending and accepted transfers (who received it). A batch recalled already is a 409 naming its recall. Admin role, scope recall:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.recall_batch(uuid, uuid, text, boolean) to authenticated;
