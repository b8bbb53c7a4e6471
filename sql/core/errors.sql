-- app.raise: the one way functions fail. Codes come only from docs/errors.md.
-- The SQLSTATE decides the HTTP status (PostgREST's mapping): PT401/42501/22023/PT404/23505/PT409/PT412.
create or replace function app.raise(_code text, _message text, _details jsonb default null, _hint text default null)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if _code is null or _code !~ '^(PT[0-9]{3}|[0-9A-Z]{5})$' then
    raise exception 'app.raise: invalid SQLSTATE %', _code;
  end if;
  raise exception using
    errcode = _code,
    message = _message,
    detail  = coalesce(_details::text, ''),
    hint    = coalesce(_hint, '');
end
$$;
comment on function app.raise(text, text, jsonb, text) is
  'Raise a catalogued error: SQLSTATE, message naming the field and rule, details as JSON ({"field","rule"}), hint.';

-- Shorthand for input validation errors: 22023 with {"field", "rule"} details.
create or replace function app.invalid(_field text, _rule text, _message text)
returns void
language sql volatile security invoker set search_path = ''
as $$ select app.raise('22023', _message, jsonb_build_object('field', _field, 'rule', _rule)) $$;

-- A missing argument: 22023 "<field> is required", {"field", "rule": "required"}.
create or replace function app.check_required(_value anyelement, _field text)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is null then
    perform app.invalid(_field, 'required', format('%s is required', _field));
  end if;
end
$$;

-- After an UPDATE or DELETE meant to hit one row: 404 naming the field when it hit none (pass FOUND).
-- A row can vanish between a function's read and its write: deleted concurrently, or hidden by RLS
-- because the caller lost the role meanwhile. Success would then be a lie.
create or replace function app.require_found(_found boolean, _field text, _message text)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if not coalesce(_found, false) then
    perform app.raise('PT404', _message, jsonb_build_object('field', _field, 'rule', 'exists'));
  end if;
end
$$;

-- An absent (or invisible) row: PT404 "<what> <id> not found", {"field", "rule": "exists"} and _details.
create or replace function app.not_found(_what text, _id anyelement, _field text, _details jsonb default null)
returns void
language sql volatile security invoker set search_path = ''
as $$
  select app.raise('PT404', format('%s %s not found', _what, _id),
                   jsonb_build_object('field', _field, 'rule', 'exists') || coalesce(_details, '{}'))
$$;

-- A duplicate: 23505 with _message, {"field", "rule": "unique", "value"} and _details.
create or replace function app.already_exists(_message text, _field text, _value anyelement, _details jsonb default null)
returns void
language sql volatile security invoker set search_path = ''
as $$
  select app.raise('23505', _message, jsonb_build_object('field', _field, 'rule', 'unique', 'value', _value) || coalesce(_details, '{}'))
$$;

grant execute on function app.raise(text, text, jsonb, text), app.invalid(text, text, text),
  app.check_required(anyelement, text), app.not_found(text, anyelement, text, jsonb),
  app.already_exists(text, text, anyelement, jsonb),
  app.require_found(boolean, text, text) to anon, authenticated, lotline_auth;
