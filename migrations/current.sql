-- sync: due-diligence statement lifecycle (draft → submitted → accepted | rejected; docs/state-machine.md)
-- The draft's content, the submission (reference number) and the decision. Statuses are the four of
-- the lifecycle (the earlier list's available/cancelled/withdrawn were never written: sync only drafts).
alter table data.due_diligence_statements add column if not exists activity_type         text;
alter table data.due_diligence_statements add column if not exists hs_code               text;
alter table data.due_diligence_statements add column if not exists description           text;
alter table data.due_diligence_statements add column if not exists net_mass_kg           numeric;
alter table data.due_diligence_statements add column if not exists country_of_production text;
alter table data.due_diligence_statements add column if not exists geolocation           jsonb;
alter table data.due_diligence_statements add column if not exists submitted_at          timestamptz;
alter table data.due_diligence_statements add column if not exists submitted_by          text;
alter table data.due_diligence_statements add column if not exists decided_at            timestamptz;
alter table data.due_diligence_statements add column if not exists decided_by            text;
alter table data.due_diligence_statements add column if not exists decision_reason       text;
alter table data.due_diligence_statements drop constraint if exists due_diligence_statements_status_check;
do $$
begin
  if not exists (select from pg_constraint where conrelid = 'data.due_diligence_statements'::regclass
                                             and conname = 'due_diligence_statements__content_check') then
    alter table data.due_diligence_statements add constraint due_diligence_statements__content_check check (
          status in ('draft', 'submitted', 'accepted', 'rejected')
      and (activity_type is null or activity_type in ('import', 'export', 'domestic'))
      and (hs_code is null or hs_code ~ '^[0-9]{4}([0-9]{2}){0,2}$')
      and (description is null or length(description) between 1 and 2000)
      and (net_mass_kg is null or (net_mass_kg > 0 and net_mass_kg < 1e15))
      and (country_of_production is null or country_of_production ~ '^[A-Z]{2}$')
      and (geolocation is null or (jsonb_typeof(geolocation) = 'object' and length(geolocation::text) <= 1048576))
      and (decision_reason is null or length(decision_reason) between 1 and 2000)
      -- a statement leaves draft with a reference number; only an accepted one has a verification number
      and ((status = 'draft') = (reference_number is null and submitted_at is null))
      and ((status in ('accepted', 'rejected')) = (decided_at is not null))
      and (verification_number is null or status = 'accepted'));
  end if;
end
$$;
-- reference numbers are unique within a brand (they are random: docs/sync.md)
create unique index if not exists due_diligence_statements__brand_id_reference_number_key
  on data.due_diligence_statements (brand_id, reference_number) where reference_number is not null;
-- lists by status, newest first
create index if not exists due_diligence_statements__brand_id_status_created_at_idx
  on data.due_diligence_statements (brand_id, status, created_at, id);

-- batches: the (brand_id, id) index carries product_id and batch_number, so a _term search by id reads the
-- index (index-only) and fetches only its page's rows from the heap (docs/benchmarks.md)
create index if not exists batches__brand_id_id_term_idx on data.batches (brand_id, id) include (product_id, batch_number);
drop index if exists data.batches__brand_id_id_idx;
