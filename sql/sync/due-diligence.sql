-- Draft due-diligence statements for batches just created by upsert_batches(_auto_create_dds => true).
-- Definer (owned by lotline_auth) because data.due_diligence_statements is state that only changes
-- through functions: authenticated has no write grant on it. It re-checks the caller (editor with
-- integration:batches:write on the brand) and can only draft for batches of that brand (the foreign
-- key includes brand_id). At most one draft per batch: a second call for the same batch adds nothing.
create or replace function app.sync_create_draft_dds(_brand_id uuid, _batch_ids uuid[])
returns table (dds_id uuid, dds_batch_id uuid)
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'editor', 'integration:batches:write');
  return query
    insert into data.due_diligence_statements as d (brand_id, batch_id, status, source, created_by)
    select _brand_id, x.batch_id, 'draft', 'sync', app.current_user_id()
      from (select distinct u.batch_id from unnest(_batch_ids) as u(batch_id) where u.batch_id is not null) x
     order by x.batch_id
    on conflict (brand_id, batch_id) where status = 'draft' do nothing
    returning d.id, d.batch_id;
end
$$;
alter function app.sync_create_draft_dds(uuid, uuid[]) owner to lotline_auth;
comment on function app.sync_create_draft_dds(uuid, uuid[]) is
  'Definer (lotline_auth): the statements table has no write grant for authenticated. Checks the caller is an editor with integration:batches:write; drafts one statement per batch of that brand.';
revoke execute on function app.sync_create_draft_dds(uuid, uuid[]) from public;
grant execute on function app.sync_create_draft_dds(uuid, uuid[]) to authenticated;
