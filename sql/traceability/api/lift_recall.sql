-- Lift a recall: admin only, with a reason; its batches return to the status they had before.
create function api.lift_recall(_brand_id uuid, _recall_id uuid, _reason text)
returns api.recall_report
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'admin', 'recall:write');
  perform app.recall_lift(_brand_id, _recall_id, _reason);
  return app.recall_report(_brand_id, _recall_id);
end
$$;
comment on function api.lift_recall(uuid, uuid, text) is
  $$Lift an active recall (a false alarm, a test that cleared): who, when and _reason (required) are recorded on the recall, and every batch it covers that is still recalled and covered by no other active recall returns to the status it had before the recall (its recall message too). Batches archived meanwhile stay archived. Lifting twice is a 409 naming the state. Returns the recall report. Admin role, scope recall:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.lift_recall(uuid, uuid, text) to authenticated;
