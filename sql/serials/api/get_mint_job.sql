create function api.get_mint_job(_brand_id uuid, _job_id uuid)
returns api.mint_job
language plpgsql stable security invoker set search_path = ''
as $$
declare v data.mint_jobs;
begin
  perform app.require_role(_brand_id, 'viewer', 'serials:read');
  select * into v from data.mint_jobs j where j.brand_id = _brand_id and j.id = _job_id;
  if not found then
    perform app.raise('PT404', format('Mint job %s not found', _job_id), jsonb_build_object('field', '_job_id', 'rule', 'exists'));
  end if;
  return app.mint_job_out(v);
end
$$;
comment on function api.get_mint_job(uuid, uuid) is
  $$A mint job (mint_serials above the job threshold): requested and minted so far, status queued | running | done | failed, chunks, and for a failed job the error (SQLSTATE and message; the serials minted before it stay). Viewer role, scope serials:read. Errors: 401, 403, 404. docs/serials.md.$$;
grant execute on function api.get_mint_job(uuid, uuid) to authenticated;
