create function api.create_brand(_name text, _slug text default null)
returns api.brand
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_name text;
  v_slug text;
  v_id uuid;
begin
  perform app.require_user();
  perform app.require_scope('brands:write');
  v_name := app.check_text(_name, '_name', 200);
  if _slug is null then
    v_slug := left(trim(both '-' from regexp_replace(lower(v_name), '[^a-z0-9]+', '-', 'g')), 50);
    v_slug := case when v_slug = '' then 'brand' else v_slug end || '-' || substr(md5(gen_random_uuid()::text), 1, 6);
  elsif _slug !~ '^[a-z0-9][a-z0-9-]{0,62}$' then
    perform app.invalid('_slug', 'pattern', '_slug must be 1-63 lowercase letters, digits or hyphens, starting with a letter or digit');
  else
    v_slug := _slug;
  end if;
  begin
    v_id := app.create_brand_with_owner(v_name, v_slug);
  exception when unique_violation then
    perform app.raise('23505', format('Brand slug "%s" is already taken', v_slug),
                      jsonb_build_object('field', '_slug', 'rule', 'unique', 'value', v_slug));
  end;
  return (select row(b.id, b.name, b.slug, 'owner', b.created_at)::api.brand from data.brands b where b.id = v_id);
end
$$;
comment on function api.create_brand(text, text) is
  $$Create a brand (tenant); the caller becomes its owner. _slug defaults to one derived from _name. Errors: 400, 401, 409.$$;
grant execute on function api.create_brand(text, text) to authenticated;
