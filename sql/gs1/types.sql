-- GTIN ownership claims as brand members and platform administrators see them.

create type api.gtin_claim as (
  brand_id       uuid,
  id             uuid,
  kind           text,         -- company_prefix | gtin
  value          text,         -- the prefix (GTIN-13 form) or the GTIN-14
  display_name   text,         -- the brand name consumers see once verified
  evidence       text,         -- what the brand offered as proof (licence certificate, GLN, …); never public
  status         text,         -- pending | verified | rejected
  decision_note  text,
  created_by     text,
  created_at     timestamptz,
  decided_by     text,
  decided_at     timestamptz
);
comment on type api.gtin_claim is 'A brand''s claim to a GS1 company prefix or a GTIN, and the platform administrator''s decision. docs/gtin-ownership.md.';

-- data.gtin_claims row → api.gtin_claim (kept beside the type: dropped and rebuilt with api).
create or replace function app.gtin_claim_out(_c data.gtin_claims)
returns api.gtin_claim
language sql stable security invoker set search_path = ''
as $$
  select row(_c.brand_id, _c.id, _c.kind, _c.value, _c.display_name, _c.evidence, _c.status, _c.decision_note,
             _c.created_by, _c.created_at, _c.decided_by, _c.decided_at)::api.gtin_claim
$$;
grant execute on function app.gtin_claim_out(data.gtin_claims) to authenticated;
