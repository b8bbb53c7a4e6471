-- Bootstrap, run as a superuser before every migrate (idempotent): roles and their memberships.
-- Roles are cluster-wide, so this is not part of a committed migration.
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'lotline_owner') then
    create role lotline_owner nologin;          -- owns every data table; RLS is forced on it
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'lotline_auth') then
    create role lotline_auth nologin bypassrls; -- owns the membership helpers that policies call
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'lotline_worker') then
    create role lotline_worker nologin;         -- the webhook delivery worker's steps (app.webhook_*)
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;
alter role authenticator with login noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
grant anon, authenticated, lotline_worker to authenticator;
