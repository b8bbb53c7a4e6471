-- Traceability tables: readable by members, written only by the traceability definers (genealogy.sql,
-- recalls.sql). Genealogy and recall membership are append-only (for everyone); a recall row changes once, when lifted.

do $$
declare t text;
begin
  foreach t in array array['genealogy_events', 'genealogy_edges', 'recalls', 'recall_batches'] loop
    execute format('alter table data.%I enable row level security', t);
    execute format('alter table data.%I force row level security', t);
    execute format('drop policy if exists select_member on data.%I', t);
    execute format('create policy select_member on data.%I for select to authenticated
                      using (brand_id = any ((select app.current_brand_ids())::uuid[]))', t);
  end loop;
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
-- no cycle, whoever inserts (genealogy.sql explains the lock it takes)
drop trigger if exists _200_no_cycle on data.genealogy_edges;
create trigger _200_no_cycle after insert on data.genealogy_edges
  referencing new table as new_edges for each statement execute function app.tg__genealogy_no_cycle();
drop trigger if exists _100_no_delete on data.recalls;
create trigger _100_no_delete before delete on data.recalls for each row execute function app.tg__append_only();

revoke all on data.genealogy_events, data.genealogy_edges, data.recalls, data.recall_batches from anon, authenticated, lotline_auth;
grant select on data.genealogy_events, data.genealogy_edges, data.recalls, data.recall_batches to authenticated;
grant select, insert on data.genealogy_events, data.genealogy_edges, data.recall_batches to lotline_auth;
grant select, insert, update (status, lifted_by, lifted_at, lift_reason, lift_xid) on data.recalls to lotline_auth;
-- what the definers read or write elsewhere: recall and lift change batch status and message; serial counts
grant update (status, recall_message) on data.batches to lotline_auth;
grant select on data.serials to lotline_auth;
