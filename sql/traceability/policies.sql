-- Traceability tables: readable by members, written only by the traceability definers (genealogy.sql,
-- recalls.sql). Genealogy and recall membership are append-only (for everyone); a recall row changes once, when lifted.

alter table data.genealogy_events enable row level security;
alter table data.genealogy_events force row level security;
drop policy if exists select_member on data.genealogy_events;
create policy select_member on data.genealogy_events for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

alter table data.genealogy_edges enable row level security;
alter table data.genealogy_edges force row level security;
drop policy if exists select_member on data.genealogy_edges;
create policy select_member on data.genealogy_edges for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

alter table data.recalls enable row level security;
alter table data.recalls force row level security;
drop policy if exists select_member on data.recalls;
create policy select_member on data.recalls for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

alter table data.recall_batches enable row level security;
alter table data.recall_batches force row level security;
drop policy if exists select_member on data.recall_batches;
create policy select_member on data.recall_batches for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

-- no cycle, whoever inserts (genealogy.sql explains the lock it takes)
drop trigger if exists _200_no_cycle on data.genealogy_edges;
create trigger _200_no_cycle after insert on data.genealogy_edges
  referencing new table as new_edges for each statement execute function app.tg__genealogy_no_cycle();

do $$
declare t text;
begin
  foreach t in array array['genealogy_events', 'genealogy_edges', 'recall_batches'] loop
    execute format('drop trigger if exists _100_append_only on data.%I', t);
    execute format('create trigger _100_append_only before update or delete on data.%I for each row execute function app.tg__append_only()', t);
  end loop;
  foreach t in array array['genealogy_events', 'genealogy_edges', 'recalls', 'recall_batches'] loop
    execute format('drop trigger if exists _100_append_only_truncate on data.%I', t);
    execute format('create trigger _100_append_only_truncate before truncate on data.%I for each statement execute function app.tg__append_only()', t);
  end loop;
end
$$;
drop trigger if exists _100_no_delete on data.recalls;
create trigger _100_no_delete before delete on data.recalls for each row execute function app.tg__append_only();

revoke all on data.genealogy_events, data.genealogy_edges, data.recalls, data.recall_batches from anon, authenticated, lotline_auth;
grant select on data.genealogy_events, data.genealogy_edges, data.recalls, data.recall_batches to authenticated;
grant select, insert on data.genealogy_events, data.genealogy_edges, data.recall_batches to lotline_auth;
grant select, insert, update (status, lifted_by, lifted_at, lift_reason, lift_xid) on data.recalls to lotline_auth;
-- what the definers read or write elsewhere: recall and lift change batch status and message; serial counts
grant update (status, recall_message) on data.batches to lotline_auth;
grant select on data.serials to lotline_auth;
