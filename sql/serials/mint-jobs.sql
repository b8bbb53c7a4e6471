-- Mint jobs: mint_serials above the threshold (lotline.mint_job_threshold, default 10,000) queues a job and
-- returns at once; job workers (src/jobs/) mint it in chunks, one transaction each. docs/serials.md.

-- Queue a job for mint_serials: checks the batch now (404/409), counts the whole job against today's quota
-- (429) so a queue cannot outrun it, and records the caller's claims for the chunks to run with.
-- Definer (lotline_auth): authenticated has no write grant on data.mint_jobs — a job runs with the claims
-- it records, so nobody may write those but this function (the caller's own claims only).
create or replace function app.mint_job_create(_brand_id uuid, _batch_id uuid, _count integer)
returns data.mint_jobs
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_sub text := app.require_user();
  v     data.mint_jobs;
begin
  perform app.require_role(_brand_id, 'admin', 'serials:write');
  perform app.check_serial_quota(_brand_id, _count, '_count');
  perform app.serials_prepare(_brand_id, _batch_id);
  insert into data.mint_jobs (brand_id, batch_id, requested, run_as, created_by)
  values (_brand_id, _batch_id, _count,
          jsonb_strip_nulls(jsonb_build_object('sub', v_sub, 'role', 'authenticated', 'scope', app.current_claims() ->> 'scope')),
          v_sub)
  returning * into v;
  perform app.charge_serials(_brand_id, _count, '_count');
  return v;
end
$$;
alter function app.mint_job_create(uuid, uuid, integer) owner to lotline_auth;
comment on function app.mint_job_create(uuid, uuid, integer) is
  'Definer (lotline_auth): data.mint_jobs has no write grant (a job runs with the claims it records). Checks admin role + serials:write, the quota and the batch.';

-- One chunk of the least recently served open job: claim it (FOR UPDATE SKIP LOCKED: two workers never take
-- the same job at once), mint up to _chunk (default lotline.mint_job_chunk) serials as the job's creator —
-- whose role and scope are checked again — and record the progress, in the caller's transaction. A chunk that
-- fails marks the job failed (error_code, error_message; serials minted so far stay) and gives the unminted
-- rest back to the quota; transient errors (deadlock, serialization, lock or statement timeout) abort the
-- transaction instead, and the next step retries the chunk. Returns the job, or null when none is open.
-- Definer (lotline_auth): it serves every brand's queue; executable only by lotline_worker.
create or replace function app.mint_job_step(_chunk integer default null)
returns data.mint_jobs
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v        data.mint_jobs;
  v_n      integer;
  v_claims text := pg_catalog.current_setting('request.jwt.claims', true);
  v_state  text;
  v_msg    text;
begin
  select * into v from data.mint_jobs j
   where j.status in ('queued', 'running')
   order by j.updated_at, j.id
   limit 1
     for update skip locked;
  if not found then return null; end if;
  v_n := least(greatest(coalesce(_chunk, app.setting('mint_job_chunk')), 1), v.requested - v.minted);
  perform pg_catalog.set_config('request.jwt.claims', v.run_as::text, true);
  begin
    perform app.require_role(v.brand_id, 'admin', 'serials:write');
    perform app.serials_create(v.brand_id, v.batch_id, v_n);
    update data.mint_jobs j
       set minted = j.minted + v_n, chunks = j.chunks + 1,
           status = case when j.minted + v_n = j.requested then 'done' else 'running' end,
           started_at = coalesce(j.started_at, now()),
           finished_at = case when j.minted + v_n = j.requested then clock_timestamp() end,
           updated_at = clock_timestamp()
     where j.brand_id = v.brand_id and j.id = v.id
    returning * into v;
    perform app.require_found(found, '_job_id', format('Mint job %s not found', v.id));
  exception when others then
    get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text;
    if v_state in ('40001', '40P01', '55P03', '57014') then
      raise;
    end if;
    update data.mint_jobs j
       set status = 'failed', error_code = v_state, error_message = v_msg,
           started_at = coalesce(j.started_at, now()), finished_at = clock_timestamp(), updated_at = clock_timestamp()
     where j.brand_id = v.brand_id and j.id = v.id
    returning * into v;
    perform app.require_found(found, '_job_id', format('Mint job %s not found', v.id));
    update data.serial_usage u set serials = greatest(u.serials - (v.requested - v.minted), 0)
     where u.brand_id = v.brand_id and u.day = (v.created_at at time zone 'utc')::date;
  end;
  perform pg_catalog.set_config('request.jwt.claims', coalesce(v_claims, ''), true);
  return v;
end
$$;
alter function app.mint_job_step(integer) owner to lotline_auth;
comment on function app.mint_job_step(integer) is
  'Definer (lotline_auth): a job worker serves every brand. Runs one chunk of one job as the job''s creator (role and scope checked again). Executable by lotline_worker only.';

revoke execute on function app.mint_job_create(uuid, uuid, integer), app.mint_job_step(integer) from public;
grant execute on function app.mint_job_create(uuid, uuid, integer) to authenticated;
grant usage on schema app to lotline_worker;
grant execute on function app.mint_job_step(integer) to lotline_worker;
