create function api.mint_serials(_brand_id uuid, _batch_id uuid, _count integer)
returns api.serial_mint_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v     record;
  v_job data.mint_jobs;
begin
  perform app.require_role(_brand_id, 'admin', 'serials:write');
  perform app.check_required(_batch_id, '_batch_id');
  perform app.check_required(_count, '_count');
  if _count < 1 or _count > 1000000 then
    perform app.invalid('_count', 'range', '_count must be between 1 and 1000000');
  end if;
  if _count > app.setting('mint_job_threshold') then
    v_job := app.mint_job_create(_brand_id, _batch_id, _count);
    return row(_brand_id, _batch_id, 0, null, null, null, null, v_job.id, v_job.status)::api.serial_mint_result;
  end if;
  select * into v from app.serials_insert(_brand_id, _batch_id, _count);
  return row(_brand_id, _batch_id, v.inserted, v.first_seq, v.last_seq,
             -- ordered by seq, so the primary key finds them even before the new rows have statistics
             (select s.serial_number from data.serials s where s.brand_id = _brand_id and s.batch_id = _batch_id and s.seq >= v.first_seq
               order by s.seq limit 1),
             (select s.serial_number from data.serials s where s.brand_id = _brand_id and s.batch_id = _batch_id and s.seq <= v.last_seq
               order by s.seq desc limit 1),
             null, 'done')::api.serial_mint_result;
end
$$;
comment on function api.mint_serials(uuid, uuid, integer) is
  $$Mint _count (1..1000000) serial numbers for a batch. Serial numbers are random by default — unpredictable, from the CSPRNG, in the brand's format (get_serial_format: 10 characters of Crockford base32 unless set_serial_format says otherwise), unique within the batch — so they reveal nothing about quantities; sequential (1, 2, 3, … per batch) only when the brand opted in. Each serial also gets a public code of 96 random bits (16 URL-safe characters, unique across all brands). Up to the job threshold (10,000 unless configured) the serials are minted in this call (status done, with the seq range); above it the call returns at once with status queued and a job_id (get_mint_job), and job workers mint them in chunks. Counts against the brand's serials-per-day quota. Only for products with serialized = true, not for archived or recalled batches. Admin role, scope serials:write. Errors: 400 (_count), 401, 403, 404 (batch), 409 (product not serialized, batch archived/recalled, serial number space too small), 429 (quota). docs/serials.md.$$;
grant execute on function api.mint_serials(uuid, uuid, integer) to authenticated;
