-- Serial numbers as members see them, mint/import results, and the consumer view anon gets.

create type api.serial as (
  brand_id       uuid,
  batch_id       uuid,
  seq            bigint,       -- position in the batch; the keyset for list_batch_serials
  serial_number  text,         -- GS1 AI 21 value
  code           text,         -- public, unguessable code for resolve_serial
  status         text,         -- active | void
  source         text,         -- minted | imported
  void_reason    text,
  voided_at      timestamptz,
  voided_by      text,
  created_by     text,
  created_at     timestamptz,
  updated_at     timestamptz,
  digital_link   text          -- /01/{gtin}/10/{batch}/21/{serial}, percent-encoded; null when the product has no GTIN
);
comment on type api.serial is 'A serial number of a batch (GS1 AI 21) with its public code and GS1 Digital Link path.';

create type api.serial_mint_result as (
  brand_id             uuid,
  batch_id             uuid,
  minted               integer,
  first_seq            bigint,
  last_seq             bigint,
  first_serial_number  text,
  last_serial_number   text
);
comment on type api.serial_mint_result is 'What mint_serials created: the seq range (and serial numbers) of the new serials; list them with list_batch_serials(_after_seq => first_seq - 1).';

create type api.serial_import_error as (
  index          integer,      -- 0-based position in _serials
  serial_number  text,
  field          text,
  rule           text,         -- type | unknown_key | required | max_length | charset | duplicate_in_payload | duplicate_existing
  message        text
);

create type api.serial_import_result as (
  success    boolean,          -- true when every record was imported
  imported   integer,
  failed     integer,
  first_seq  bigint,
  last_seq   bigint,
  errors     api.serial_import_error[]
);
comment on type api.serial_import_result is 'Per-record outcome of import_serials. With _on_error = rollback (default) nothing is imported when any record fails.';

-- The only shape anon ever receives: no internal id, quantity, member or other brand's data.
create type api.consumer_view as (
  valid            boolean,    -- false: voided serial, or the scanned serial/batch is not registered (see reason)
  reason           text,       -- null | serial_voided | serial_unknown | serial_ambiguous | batch_unknown
  message          text,       -- human-readable reason
  level            text,       -- what matched: serial | batch | product
  requested_level  text,       -- what was asked for: serial | batch | product
  brand_name       text,
  product_name     text,
  gtin             text,       -- GTIN-14
  batch_number     text,
  production_date  date,
  expiry_date      date,
  expired          boolean,
  status           text,       -- the batch status
  recalled         boolean,
  recall_message   text,
  serial_number    text,
  serial_status    text,       -- active | void
  public_id        text,       -- the batch's public id (get_public_batch)
  digital_link     text        -- GS1 Digital Link path of what matched; null without a GTIN
);
comment on type api.consumer_view is 'What a consumer sees when scanning a code: the public, whitelisted fields of a serial, batch or product. docs/serials.md.';

-- data.serials row → api.serial (kept beside the type: dropped and rebuilt with api).
create or replace function app.serial_out(_s data.serials, _gtin text, _batch_number text)
returns api.serial
language sql stable security invoker set search_path = ''
as $$
  select row(_s.brand_id, _s.batch_id, _s.seq, _s.serial_number, _s.code, _s.status, _s.source, _s.void_reason,
             _s.voided_at, _s.voided_by, _s.created_by, _s.created_at, _s.updated_at,
             app.dl_build(_gtin, _batch_number, _s.serial_number))::api.serial
$$;
grant execute on function app.serial_out(data.serials, text, text) to authenticated;
