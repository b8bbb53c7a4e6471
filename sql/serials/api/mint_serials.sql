create function api.mint_serials(_brand_id uuid, _batch_id uuid, _count integer)
returns api.serial_mint_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare v record;
begin
  perform app.require_role(_brand_id, 'admin', 'serials:write');
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  if _count is null then
    perform app.invalid('_count', 'required', '_count is required');
  end if;
  if _count < 1 or _count > 1000000 then
    perform app.invalid('_count', 'range', '_count must be between 1 and 1000000');
  end if;
  select * into v from app.serials_insert(_brand_id, _batch_id, _count);
  return row(_brand_id, _batch_id, v.inserted, v.first_seq, v.last_seq, v.first_seq::text, v.last_seq::text)::api.serial_mint_result;
end
$$;
comment on function api.mint_serials(uuid, uuid, integer) is
  $$Mint _count (1..1000000) serial numbers for a batch in one statement. Serial numbers are sequential within the batch (the next free position: 1, 2, 3, … — kept above any imported serial that is a plain number); each serial gets a public code of 96 random bits (16 URL-safe characters, unique across all brands). Only for products with serialized = true, not for archived or recalled batches. Admin role, scope serials:write. Returns the seq range; list the codes with list_batch_serials. Errors: 400 (_count), 401, 403, 404 (batch), 409 (product not serialized, batch archived/recalled).$$;
grant execute on function api.mint_serials(uuid, uuid, integer) to authenticated;
