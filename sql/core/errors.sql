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

grant execute on function app.raise(text, text, jsonb, text), app.invalid(text, text, text) to anon, authenticated, lotline_auth;
