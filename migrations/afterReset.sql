-- Bootstrap, run as a superuser before every migrate (idempotent): roles and their memberships, extensions.
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
    create role lotline_worker nologin;         -- background workers' steps: mint jobs, webhook deliveries (SET LOCAL ROLE from the gateway's login)
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;
alter role authenticator with login noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
grant anon, authenticated, lotline_worker to authenticator;
-- pgcrypto's gen_random_bytes: the CSPRNG in bulk for serial numbers and codes (sql/serials/random.sql
-- falls back to gen_random_uuid where the server lacks it). A trusted extension: a database owner may create it.
do $$
begin
  if exists (select from pg_catalog.pg_available_extensions where name = 'pgcrypto') then
    create extension if not exists pgcrypto;
  end if;
end
$$;
