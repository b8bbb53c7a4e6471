-- EPCIS 2.0 (GS1) building blocks for api.export_epcis: identifiers in GS1 Digital Link form, CBV-shaped
-- ObjectEvents, units as UN/ECE Rec 20 codes. docs/events.md maps lotline's records to these events.

-- An EPCIS timestamp: UTC with milliseconds (eventTimeZoneOffset is then +00:00).
create or replace function app.epcis_time(_at timestamptz)
returns text
language sql immutable security invoker set search_path = ''
as $$ select to_char(_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- lotline's free-text unit → a UN/ECE Rec 20 code, or null (then the quantity is a count of items).
create or replace function app.epcis_uom(_unit text)
returns text
language sql immutable security invoker set search_path = ''
as $$
  select case
    when _unit is null then null
    when lower(_unit) in ('kg', 'kgs', 'kilogram', 'kilograms') then 'KGM'
    when lower(_unit) in ('g', 'gram', 'grams') then 'GRM'
    when lower(_unit) in ('mg') then 'MGM'
    when lower(_unit) in ('t', 'tonne', 'tonnes') then 'TNE'
    when lower(_unit) in ('l', 'liter', 'litre', 'liters', 'litres') then 'LTR'
    when lower(_unit) in ('ml') then 'MLT'
    when lower(_unit) in ('m', 'meter', 'metre') then 'MTR'
    when lower(_unit) in ('m2', 'sqm') then 'MTK'
    when lower(_unit) in ('m3') then 'MTQ'
    when _unit ~ '^[A-Z0-9]{2,3}$' and _unit not in ('PCS', 'EA') then _unit
  end
$$;

-- The lot (LGTIN) and a serialised item (SGTIN) as GS1 Digital Link URIs on the canonical resolver.
create or replace function app.epcis_lot(_gtin text, _lot text)
returns text
language sql immutable security invoker set search_path = ''
as $$ select 'https://id.gs1.org/01/' || _gtin || '/10/' || app.dl_encode(_lot) $$;

-- lotline numbers serials per lot, so the lot stays in the item's URI (/01/…/10/…/21/…, as the resolver uses)
create or replace function app.epcis_item(_gtin text, _lot text, _serial text)
returns text
language sql immutable security invoker set search_path = ''
as $$ select app.epcis_lot(_gtin, _lot) || '/21/' || app.dl_encode(_serial) $$;

-- One ObjectEvent. Its eventID is a name-based URN of what it records (the same record, the same id).
create or replace function app.epcis_object_event(_record text, _at timestamptz, _action text, _biz_step text,
                                                  _disposition text, _what jsonb, _where jsonb default '{}')
returns jsonb
language sql immutable security invoker set search_path = ''
as $$
  select jsonb_build_object(
           'type', 'ObjectEvent',
           'eventID', 'urn:uuid:' || md5(_record)::uuid,
           'eventTime', app.epcis_time(_at),
           'eventTimeZoneOffset', '+00:00',
           'action', _action,
           'bizStep', _biz_step,
           'disposition', _disposition) || _what || _where
$$;

-- A quantity of a lot: {epcClass, quantity, uom?}.
create or replace function app.epcis_quantity(_lot_uri text, _quantity numeric, _unit text)
returns jsonb
language sql immutable security invoker set search_path = ''
as $$ select jsonb_strip_nulls(jsonb_build_object('epcClass', _lot_uri, 'quantity', _quantity, 'uom', app.epcis_uom(_unit))) $$;

-- A location: lotline locations have no GLN, so they are named by their id.
create or replace function app.epcis_place(_location_id uuid)
returns jsonb
language sql immutable security invoker set search_path = ''
as $$ select jsonb_build_object('id', 'urn:uuid:' || _location_id) $$;

grant execute on function app.epcis_time(timestamptz), app.epcis_uom(text), app.epcis_lot(text, text), app.epcis_item(text, text, text),
  app.epcis_object_event(text, timestamptz, text, text, text, jsonb, jsonb), app.epcis_quantity(text, numeric, text),
  app.epcis_place(uuid) to authenticated;
