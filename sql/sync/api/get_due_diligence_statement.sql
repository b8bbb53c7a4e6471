-- One due-diligence statement by id.
create function api.get_due_diligence_statement(_brand_id uuid, _dds_id uuid)
returns api.due_diligence_statement
language plpgsql stable security invoker set search_path = ''
as $$
declare v_row data.due_diligence_statements;
begin
  perform app.require_role(_brand_id, 'viewer', 'dds:read');
  select * into v_row from data.due_diligence_statements d where d.brand_id = _brand_id and d.id = _dds_id;
  if not found then
    perform app.raise('PT404', format('Due-diligence statement %s not found', _dds_id),
                      jsonb_build_object('field', '_dds_id', 'rule', 'exists'));
  end if;
  return app.dds_out(v_row);
end
$$;
comment on function api.get_due_diligence_statement(uuid, uuid) is
  $$One due-diligence statement by id: its status (docs/state-machine.md), content, reference and verification numbers, who submitted and decided it and when. Viewer role, scope dds:read. Errors: 401, 403, 404.$$;
grant execute on function api.get_due_diligence_statement(uuid, uuid) to authenticated;
