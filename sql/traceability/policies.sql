-- Traceability tables: readable by members, written only by the traceability definers (genealogy.sql,
-- recalls.sql). Genealogy and recall membership are append-only (for everyone); a recall row changes once, when lifted.

call app.brand_rls('data.genealogy_events');
call app.brand_rls('data.genealogy_edges');
call app.brand_rls('data.recalls');
call app.brand_rls('data.recall_batches');
call app.attach_append_only('data.genealogy_events');
call app.attach_append_only('data.genealogy_edges');
call app.attach_append_only('data.recall_batches');
-- no cycle, whoever inserts (genealogy.sql explains the lock it takes)
call app.attach_trigger('data.genealogy_edges', '_200_no_cycle', 'after insert', 'app.tg__genealogy_no_cycle', 'statement', 'new table as new_edges');
call app.attach_trigger('data.recalls', '_100_no_delete', 'before delete', 'app.tg__append_only');
call app.attach_trigger('data.recalls', '_100_append_only_truncate', 'before truncate', 'app.tg__append_only', 'statement');

revoke all on data.genealogy_events, data.genealogy_edges, data.recalls, data.recall_batches from anon, authenticated, lotline_auth;
grant select on data.genealogy_events, data.genealogy_edges, data.recalls, data.recall_batches to authenticated;
grant select, insert on data.genealogy_events, data.genealogy_edges, data.recall_batches to lotline_auth;
grant select, insert, update (status, lifted_by, lifted_at, lift_reason, lift_xid) on data.recalls to lotline_auth;
-- what the definers read or write elsewhere: recall and lift change batch status and message; serial counts
grant update (status, recall_message) on data.batches to lotline_auth;
grant select on data.serials to lotline_auth;
