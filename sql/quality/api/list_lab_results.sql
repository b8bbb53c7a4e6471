-- list_lab_results: a batch's lab results, newest first (corrections included, each naming what it superseded).
create function api.list_lab_results(_brand_id uuid, _batch_id uuid, _include_superseded boolean default true)
returns setof api.lab_result
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'quality:read');
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  if not exists (select from data.batches b where b.brand_id = _brand_id and b.id = _batch_id) then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  return query
    select o.* from data.lab_results r cross join lateral app.lab_result_out(r) o
     where r.brand_id = _brand_id and r.batch_id = _batch_id
       and (coalesce(_include_superseded, true)
            or not exists (select from data.lab_results x where x.brand_id = r.brand_id and x.batch_id = r.batch_id and x.supersedes_id = r.id))
     order by r.seq desc;
end
$$;
comment on function api.list_lab_results(uuid, uuid, boolean) is
  $$A batch's lab results, newest first (the first is the latest, the one in effect), each with its analytes, certificate reference, who recorded it and when, what it supersedes and what superseded it. _include_superseded false leaves out corrected results. Viewer role, scope quality:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.list_lab_results(uuid, uuid, boolean) to authenticated;
