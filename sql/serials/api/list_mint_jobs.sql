create function api.list_mint_jobs(_brand_id uuid, _batch_id uuid default null, _status text default null,
                                   _limit integer default 50)
returns setof api.mint_job
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'serials:read');
  if _status is not null and _status not in ('queued', 'running', 'done', 'failed') then
    perform app.invalid('_status', 'enum', '_status must be queued, running, done or failed');
  end if;
  if _limit is null or _limit not between 1 and 100 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 100');
  end if;
  return query
    select o.* from data.mint_jobs j cross join lateral app.mint_job_out(j) o
     where j.brand_id = _brand_id and (_batch_id is null or j.batch_id = _batch_id) and (_status is null or j.status = _status)
     order by j.created_at desc, j.id desc
     limit _limit;
end
$$;
comment on function api.list_mint_jobs(uuid, uuid, text, integer) is
  $$The brand's mint jobs, newest first, optionally of one batch and/or one status (queued | running | done | failed); _limit 1..100 (default 50). Viewer role, scope serials:read. Errors: 400, 401, 403. docs/serials.md.$$;
grant execute on function api.list_mint_jobs(uuid, uuid, text, integer) to authenticated;
