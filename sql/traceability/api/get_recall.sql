-- One recall with its report, read now (current stock, serials and transfers of the recalled batches).
create function api.get_recall(_brand_id uuid, _recall_id uuid)
returns api.recall_report
language plpgsql stable security invoker set search_path = ''
as $$
declare v api.recall_report;
begin
  perform app.require_role(_brand_id, 'viewer', 'trace:read');
  if _recall_id is null then
    perform app.invalid('_recall_id', 'required', '_recall_id is required');
  end if;
  v := app.recall_report(_brand_id, _recall_id);
  if v.recall is null then
    perform app.raise('PT404', format('Recall %s not found', _recall_id), jsonb_build_object('field', '_recall_id', 'rule', 'exists'));
  end if;
  return v;
end
$$;
comment on function api.get_recall(uuid, uuid) is
  $$A recall and its report as of now: the recalled batches with stock per location and serial counts, the locations holding any, and the pending and accepted transfers of them. Viewer role, scope trace:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.get_recall(uuid, uuid) to authenticated;
