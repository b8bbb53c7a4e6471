// Whole-database fingerprints that prove a call wrote nothing: per-brand row hashes and a
// committed-write log on every data table.
import type { Sql } from 'postgres';

/** Data tables of the `data` schema and how to select one brand's rows from each. */
export async function dataTables(admin: Sql): Promise<{ name: string; brandColumn: 'brand_id' | 'id' }[]> {
  const rows = await admin<{ name: string; has_brand: boolean }[]>`
    select c.relname as name,
           exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'brand_id' and not a.attisdropped) as has_brand
      from pg_class c where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition order by 1`;
  return rows.map((r) => ({ name: r.name, brandColumn: r.has_brand ? 'brand_id' : 'id' }));
}

/** md5 of every data table's rows of one brand (ordered), per table. Any change to the brand shows. */
export async function brandSnapshot(admin: Sql, brandId: string): Promise<Record<string, string>> {
  const tables = await dataTables(admin);
  const parts = tables.map((t) =>
    `select '${t.name}' as t, count(*)::int as n, coalesce(md5(string_agg(row_to_json(x)::text, '|' order by row_to_json(x)::text)), '-') as h ` +
    `from data."${t.name}" x where x."${t.brandColumn}" = $1`);
  const rows = await admin.unsafe<{ t: string; n: number; h: string }[]>(parts.join(' union all '), [brandId]);
  return Object.fromEntries(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
}

/**
 * A committed-write log: an AFTER row trigger on every data table appends to sec.writes. A rolled-back
 * call leaves no row there, so "the log did not grow" proves that a call committed no change to any
 * data table (inserts, updates and deletes alike, cascades included).
 */
export async function installWriteLog(admin: Sql): Promise<void> {
  await admin.unsafe(`
    create schema if not exists sec;
    create table if not exists sec.writes (id bigserial primary key, tbl text not null, op text not null);
    create or replace function sec.tg_log_write() returns trigger
    language plpgsql security definer set search_path = '' as $f$
    begin
      insert into sec.writes (tbl, op) values (tg_table_name, tg_op);
      return null;
    end $f$;
    revoke execute on function sec.tg_log_write() from public;`);
  for (const t of await dataTables(admin)) {
    await admin.unsafe(`drop trigger if exists zz_sec_log_write on data."${t.name}";
      create trigger zz_sec_log_write after insert or update or delete on data."${t.name}"
      for each row execute function sec.tg_log_write()`);
  }
}

export async function writeCount(admin: Sql): Promise<number> {
  const [r] = await admin<{ n: number }[]>`select coalesce(max(id), 0)::int as n from sec.writes`;
  return r!.n;
}
