-- The brand's supply-chain history as an EPCIS 2.0 JSON-LD document (GS1), from the ledger and the feed.
create function api.export_epcis(_brand_id uuid, _from timestamptz default null, _to timestamptz default null)
returns jsonb
language plpgsql stable security invoker set search_path = ''
as $$
declare v_events jsonb;
begin
  perform app.require_role(_brand_id, 'viewer', 'events:read');
  if _from is not null and _to is not null and _to < _from then
    perform app.invalid('_to', 'range', '_to must not be before _from');
  end if;
  with lot as (   -- batches whose product has a GTIN: only they have a GS1 identity
    select b.id, b.batch_number, b.unit, b.quantity, b.created_at, b.expiry_date, b.production_date, p.gtin,
           app.epcis_lot(p.gtin, b.batch_number) as uri
      from data.batches b join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
     where b.brand_id = _brand_id and p.gtin is not null
  ), ev as (
    -- a lot is created: ObjectEvent ADD of the lot class, with its lot master data
    select l.created_at as at, app.epcis_object_event('batch:' || l.id, l.created_at, 'ADD', 'creating_class_instance', 'active',
             jsonb_build_object('quantityList', jsonb_build_array(app.epcis_quantity(l.uri, l.quantity, l.unit)),
                                'ilmd', jsonb_strip_nulls(jsonb_build_object('cbvmda:lotNumber', l.batch_number,
                                          'cbvmda:itemExpirationDate', l.expiry_date, 'cbvmda:productionDate', l.production_date)))) as e
      from lot l
    union all
    -- serial numbers minted or imported in one go: ObjectEvent ADD (commissioning) of the items
    select min(s.created_at), app.epcis_object_event('serials:' || l.id || ':' || min(s.seq), min(s.created_at), 'ADD', 'commissioning', 'active',
             jsonb_build_object('epcList', jsonb_agg(app.epcis_item(l.gtin, l.batch_number, s.serial_number) order by s.seq),
                                'ilmd', jsonb_build_object('cbvmda:lotNumber', l.batch_number)))
      from data.serials s join lot l on l.id = s.batch_id
     where s.brand_id = _brand_id
     group by l.id, l.gtin, l.batch_number, s.created_at
    union all
    -- goods received at a location: ObjectEvent OBSERVE (receiving)
    select m.created_at, app.epcis_object_event('movement:' || m.id, m.created_at, 'OBSERVE', 'receiving', 'in_progress',
             jsonb_build_object('quantityList', jsonb_build_array(app.epcis_quantity(l.uri, m.quantity_delta, l.unit))),
             jsonb_build_object('readPoint', app.epcis_place(m.location_id), 'bizLocation', app.epcis_place(m.location_id)))
      from data.stock_movements m join lot l on l.id = m.batch_id
     where m.brand_id = _brand_id and m.kind = 'receipt'
    union all
    -- an accepted transfer: shipping at the source, receiving at the destination
    select t.accepted_at, app.epcis_object_event('transfer:' || t.id || ':' || x.step, t.accepted_at, 'OBSERVE', x.step, x.disposition,
             jsonb_build_object('quantityList', jsonb_agg(app.epcis_quantity(l.uri, tl.quantity, l.unit) order by l.id),
                                'bizTransactionList', jsonb_build_array(jsonb_build_object('type', 'desadv', 'bizTransaction', 'urn:uuid:' || t.id))),
             jsonb_build_object('readPoint', app.epcis_place(x.place)) ||
             case when x.step = 'receiving' then jsonb_build_object('bizLocation', app.epcis_place(x.place)) else '{}' end)
      from data.transfers t
      join data.transfer_lines tl on tl.brand_id = t.brand_id and tl.transfer_id = t.id
      join lot l on l.id = tl.batch_id
     cross join lateral (values ('shipping', 'in_transit', t.from_location_id), ('receiving', 'in_progress', t.to_location_id)) x(step, disposition, place)
     where t.brand_id = _brand_id and t.status = 'accepted'
     group by t.id, t.accepted_at, x.step, x.disposition, x.place
    union all
    -- a recall, from the feed: ObjectEvent OBSERVE of the lot with disposition recalled
    select e.occurred_at, app.epcis_object_event('event:' || e.id, e.occurred_at, 'OBSERVE', 'holding', 'recalled',
             jsonb_build_object('quantityList', jsonb_build_array(jsonb_build_object('epcClass', l.uri))))
      from data.events e join lot l on l.id = (e.data ->> 'batch_id')::uuid
     where e.brand_id = _brand_id and e.type = 'recall.issued'
  )
  select coalesce(jsonb_agg(ev.e order by ev.at, ev.e ->> 'eventID'), '[]') into v_events
    from ev
   where (_from is null or ev.at >= _from) and (_to is null or ev.at < _to);
  return jsonb_build_object(
    '@context', jsonb_build_array('https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'),
    'type', 'EPCISDocument',
    'schemaVersion', '2.0',
    'creationDate', app.epcis_time(now()),
    'epcisBody', jsonb_build_object('eventList', v_events));
end
$$;
comment on function api.export_epcis(uuid, timestamptz, timestamptz) is
  $$The brand's history as an EPCIS 2.0 JSON-LD document (GS1): lots created (ObjectEvent ADD, creating_class_instance, with lot master data), serial numbers commissioned (ObjectEvent ADD, commissioning; EPCs https://id.gs1.org/01/{gtin}/10/{lot}/21/{serial}), receipts (OBSERVE, receiving), accepted transfers (OBSERVE shipping at the source and receiving at the destination) and recalls (OBSERVE, disposition recalled). Lots are GS1 Digital Link URIs https://id.gs1.org/01/{gtin}/10/{lot}; batches of products without a GTIN are left out. _from/_to bound the event time. Viewer role, scope events:read. Errors: 400, 401, 403.$$;
grant execute on function api.export_epcis(uuid, timestamptz, timestamptz) to authenticated;
