create function api.get_serial_format(_brand_id uuid)
returns api.serial_format
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'serials:read');
  return app.serial_format_out(app.serial_format_of(_brand_id));
end
$$;
comment on function api.get_serial_format(uuid) is
  $$How mint_serials numbers the brand's serials: scheme random (default: unpredictable serial numbers of length characters of alphabet, from the CSPRNG) or sequential (opt-in: 1, 2, 3, … per batch). Viewer role, scope serials:read. Errors: 401, 403. docs/serials.md.$$;
grant execute on function api.get_serial_format(uuid) to authenticated;
