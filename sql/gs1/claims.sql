-- GTIN ownership: platform administrators, claim values, the verified-owner lookup and the claim row guards.
-- The model: docs/gtin-ownership.md.

-- A platform administrator is a caller whose token carries the scope platform:admin (granted by the identity
-- provider to operators only; through the SQL door: app.act_as(sub, 'platform:admin')). A token without a
-- scope claim is never one: scopes only ever narrow a member's rights, this one is the single grant.
create or replace function app.is_platform_admin()
returns boolean
language sql stable security invoker set search_path = ''
as $$ select app.current_user_id() is not null and coalesce('platform:admin' = any (app.current_scopes()), false) $$;

-- First check of the platform administrators' functions: 401 without a subject, 403 without the scope.
create or replace function app.require_platform_admin()
returns text
language plpgsql stable security invoker set search_path = ''
as $$
declare v_sub text := app.require_user();
begin
  if not app.is_platform_admin() then
    perform app.raise('42501', 'Forbidden: platform administrator required (scope platform:admin)',
                      jsonb_build_object('scope', 'platform:admin', 'rule', 'platform_admin'));
  end if;
  return v_sub;
end
$$;

-- A claimed value, normalised: a company prefix is 6-12 digits in GTIN-13 form; a GTIN is any GTIN-8/12/13/14
-- with a valid check digit, stored as GTIN-14. 22023 naming _field otherwise.
create or replace function app.gtin_claim_value(_kind text, _value text, _field text default '_prefix')
returns text
language plpgsql immutable security invoker set search_path = ''
as $$
declare v text := btrim(_value);
begin
  if v is null or v = '' then
    perform app.invalid(_field, 'required', format('%s is required', _field));
  end if;
  if _kind = 'gtin' then
    return app.normalize_gtin(v, _field);
  end if;
  if v !~ '^[0-9]{6,12}$' then
    perform app.invalid(_field, 'company_prefix',
      format('%s must be a GS1 company prefix of 6 to 12 digits (GTIN-13 form: a U.P.C. company prefix gets a leading 0)', _field));
  end if;
  return v;
end
$$;

-- Where a claim sits in the GTIN-13 number space (a GTIN-14 without its indicator digit, or the prefix):
-- two claims overlap when one key starts with the other.
create or replace function app.gtin_claim_key(_kind text, _value text)
returns text
language sql immutable security invoker set search_path = ''
as $$ select case _kind when 'gtin' then substr(_value, 2) else _value end $$;

-- The verified owner of a GTIN-14: a verified claim of that exact GTIN, else of the longest company prefix
-- that covers it (positions 2.. of the GTIN-14). No row: nobody owns it, and the resolver answers nothing.
-- Invoker: called by the consumer-view definer (lotline_auth reads verified claims) and by the claim guard.
create or replace function app.gtin_owner(_gtin text)
returns table (brand_id uuid, display_name text)
language sql stable security invoker set search_path = ''
as $$
  select c.brand_id, c.display_name
    from data.gtin_claims c
   where c.status = 'verified'
     and c.value = any (array[_gtin] || array(select substr(_gtin, 2, n) from generate_series(6, 12) n))
   order by length(c.value) desc
   limit 1
$$;

-- Row guard on insert: a claim starts pending and is stamped with its creator, whoever inserts it.
create or replace function app.tg__gtin_claims_insert()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  new.status := 'pending';
  new.decided_by := null;
  new.decided_at := null;
  new.decision_note := null;
  new.created_by := coalesce(app.current_user_id(), new.created_by, session_user);
  new.created_at := now();
  new.updated_at := now();
  return new;
end
$$;

-- Row guard on every update: a claim's brand, kind, value and creator never change.
create or replace function app.tg__gtin_claims_guard()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if (new.brand_id, new.id, new.kind, new.value, new.created_by, new.created_at)
     is distinct from (old.brand_id, old.id, old.kind, old.value, old.created_by, old.created_at) then
    raise exception using errcode = 'PT409', message = 'A GTIN claim''s brand, kind, value and creator cannot change';
  end if;
  return new;
end
$$;

-- Row guard on every write of status or decision_note: only a platform administrator decides, pending →
-- verified | rejected, or verified → rejected (revoked). Verifying refuses a value that overlaps another
-- brand's verified claim (GS1 never licenses one number to two companies), so a careless verification cannot
-- hand one brand's GTINs to another; within one brand the longest prefix wins (app.gtin_owner).
create or replace function app.tg__gtin_claims_decide()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_other data.gtin_claims;
begin
  perform app.require_platform_admin();
  if not ((old.status = 'pending' and new.status in ('verified', 'rejected')) or (old.status = 'verified' and new.status = 'rejected')) then
    perform app.raise('PT409', format('Illegal claim status change: %s → %s', old.status, new.status),
      jsonb_build_object('field', '_claim_id', 'rule', 'transition', 'from', old.status, 'to', new.status));
  end if;
  if new.status = 'verified' then
    -- one verification at a time, so two overlapping claims cannot both pass this check
    perform pg_advisory_xact_lock(hashtextextended('lotline.gtin_claims.verify', 0));
    select * into v_other from data.gtin_claims c
     where c.status = 'verified' and c.brand_id <> new.brand_id
       and (starts_with(app.gtin_claim_key(c.kind, c.value), app.gtin_claim_key(new.kind, new.value))
         or starts_with(app.gtin_claim_key(new.kind, new.value), app.gtin_claim_key(c.kind, c.value)))
     limit 1;
    if found then
      perform app.raise('PT409',
        format('%s %s overlaps the verified claim %s (%s %s) of another brand: reject that claim first',
               new.kind, new.value, v_other.id, v_other.kind, v_other.value),
        jsonb_build_object('field', '_claim_id', 'rule', 'overlap', 'claim_id', v_other.id, 'kind', v_other.kind, 'value', v_other.value));
    end if;
  end if;
  new.decided_by := app.current_user_id();
  new.decided_at := now();
  new.updated_at := now();
  return new;
end
$$;

-- verify_gtin_claim / reject_gtin_claim: set the status (the row guards check who and which transition); 404
-- when the claim is not there.
create or replace function app.gtin_claim_decide(_brand_id uuid, _claim_id uuid, _status text, _note text)
returns data.gtin_claims
language plpgsql volatile security invoker set search_path = ''
as $$
declare v data.gtin_claims;
begin
  if _brand_id is null then perform app.invalid('_brand_id', 'required', '_brand_id is required'); end if;
  if _claim_id is null then perform app.invalid('_claim_id', 'required', '_claim_id is required'); end if;
  update data.gtin_claims c set status = _status, decision_note = app.check_text(_note, '_note', 2000, false)
   where c.brand_id = _brand_id and c.id = _claim_id
  returning * into v;
  if not found then
    perform app.raise('PT404', format('GTIN claim %s not found', _claim_id), jsonb_build_object('field', '_claim_id', 'rule', 'exists'));
  end if;
  return v;
end
$$;

grant execute on function app.is_platform_admin(), app.require_platform_admin(), app.gtin_claim_value(text, text, text),
  app.gtin_claim_key(text, text), app.gtin_owner(text), app.gtin_claim_decide(uuid, uuid, text, text),
  app.tg__gtin_claims_insert(), app.tg__gtin_claims_guard(), app.tg__gtin_claims_decide() to authenticated, lotline_auth;
