-- Integration sync: the paging rules of list_synced_*. docs/sync.md.

-- Paging of list_synced_*: _page >= 1, 1 <= _limit <= 100 (101 is a 400, not silently capped).
create or replace function app.sync_check_paging(_page integer, _limit integer)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.check_min_max(_page, '_page', 1, 1000000);
  perform app.check_min_max(_limit, '_limit', 1, 100);
end
$$;

grant execute on function app.sync_check_paging(integer, integer) to authenticated;
