create function api.resolve_digital_link(_uri text)
returns api.consumer_view
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_dl record;
  v    api.consumer_view;
begin
  -- public: no role check; anon reaches data only through the definer app.public_view
  select * into v_dl from app.dl_parse(_uri);
  select * into v from app.public_view(_gtin => v_dl.gtin, _lot => v_dl.lot, _serial => v_dl.serial);
  if not found then
    perform app.raise('PT404', format('GTIN %s not found', v_dl.gtin),
                      jsonb_build_object('field', '_uri', 'rule', 'exists', 'gtin', v_dl.gtin));
  end if;
  return v;
end
$$;
comment on function api.resolve_digital_link(text) is
  $$Public (anon and authenticated): resolve a GS1 Digital Link URI — https://{domain}[/{prefix}]/01/{gtin}[/22/{cpv}][/10/{batch}][/21/{serial}][?…], or the path alone; GTIN-8/12/13/14 with a valid check digit; percent-escapes decoded; query and fragment ignored. Answers the consumer view of the finest match, falling back serial → batch → product when the finer key is unknown: level says what matched, requested_level what was asked, and valid = false with reason serial_unknown | serial_ambiguous | batch_unknown | serial_voided when it is not the item asked for. Rules: docs/serials.md. Errors: 400 (field _uri, rule gtin_missing | gtin_length | gtin_check_digit | unsupported_qualifier | qualifier_order | value_required | percent_encoding | max_length), 404 (unknown GTIN).$$;
grant execute on function api.resolve_digital_link(text) to anon, authenticated;
