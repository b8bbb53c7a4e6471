// Per-role defaults that migrate sets on the request roles, for the migrated database only:
// `ALTER ROLE anon IN DATABASE <db> SET statement_timeout = …` (PostgREST/Supabase practice: a short
// budget for anonymous callers, a longer one for signed-in users). Postgres applies role settings only at
// login, never on SET ROLE; the gateway (its schema cache) and app.act_as apply them per transaction.
import type { Sql } from 'postgres';

/** Milliseconds; 0 = no role-level timeout (the setting is removed; the gateway's or the server's applies). */
export interface RoleStatementTimeouts {
  anon: number;
  authenticated: number;
}

export const DEFAULT_ROLE_STATEMENT_TIMEOUTS: RoleStatementTimeouts = { anon: 3000, authenticated: 8000 };

/** Sets (or, for 0, removes) each request role's statement_timeout in the current database. Idempotent. */
export async function applyRoleStatementTimeouts(sql: Sql, timeouts: RoleStatementTimeouts): Promise<void> {
  for (const [role, ms] of Object.entries(timeouts) as [keyof RoleStatementTimeouts, number][]) {
    if (!Number.isInteger(ms) || ms < 0) throw new Error(`statement timeout of ${role} must be a whole number of milliseconds >= 0, not ${ms}`);
    const [row] = await sql<{ q: string }[]>`
      select case when ${ms}::integer = 0
                  then format('alter role %I in database %I reset statement_timeout', ${role}::text, current_database())
                  else format('alter role %I in database %I set statement_timeout = %L', ${role}::text, current_database(), ${ms}::integer || 'ms')
             end as q`;
    await sql.unsafe(row!.q);
  }
}

/**
 * Copies the role settings of database `from` to database `to` (CREATE DATABASE … TEMPLATE does not: they
 * live in the shared catalog pg_db_role_setting, keyed by database). `sql` is a superuser connection.
 */
export async function copyRoleSettings(sql: Sql, from: string, to: string): Promise<void> {
  const rows = await sql<{ q: string }[]>`
    select format('alter role %I in database %I set %I = %L', r.rolname, ${to}::text,
                  split_part(c.cfg, '=', 1), substr(c.cfg, strpos(c.cfg, '=') + 1)) as q
      from pg_db_role_setting s
      join pg_roles r on r.oid = s.setrole
      join pg_database d on d.oid = s.setdatabase
     cross join lateral unnest(s.setconfig) as c (cfg)
     where d.datname = ${from}`;
  for (const r of rows) await sql.unsafe(r.q);
}
