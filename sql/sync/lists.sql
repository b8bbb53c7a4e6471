-- Integration sync: the paging rules of list_synced_*. docs/sync.md.

-- Paging of list_synced_*: _page >= 1, 1 <= _limit <= 100 (101 is a 400, not silently capped).
create or replace function app.sync_check_paging(_page integer, _limit integer)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
begin
  if _page is null or _page < 1 then
    perform app.invalid('_page', 'min', '_page must be >= 1');
  end if;
  if _page > 1000000 then
    perform app.invalid('_page', 'max', '_page must be <= 1000000');
  end if;
  if _limit is null or _limit < 1 then
    perform app.invalid('_limit', 'min', '_limit must be >= 1');
  end if;
  if _limit > 100 then
    perform app.invalid('_limit', 'max', '_limit must be <= 100');
  end if;
end
$$;

grant execute on function app.sync_check_paging(integer, integer) to authenticated;
