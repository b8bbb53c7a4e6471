-- The consumer view (anon): one definer that returns only consumer fields. docs/serials.md.

-- Find what a consumer scanned — by serial code, by batch public id, or by GS1 keys (GTIN [+ lot]
-- [+ serial], falling back serial → batch → product) — and return the consumer fields only.
-- No row when nothing matches (unknown code / public id / GTIN).
-- Definer (lotline_auth, BYPASSRLS) because anon has no table privilege; it reads only the columns
-- granted to lotline_auth in sql/serials/policies.sql and returns no id, quantity or member.
drop function if exists app.public_view(text, text, text, text, text);
create function app.public_view(_code text default null, _public_id text default null,
                                _gtin text default null, _lot text default null, _serial text default null)
returns table (
  valid            boolean,
  reason           text,
  message          text,
  level            text,
  requested_level  text,
  brand_name       text,
  product_name     text,
  gtin             text,
  batch_number     text,
  production_date  date,
  expiry_date      date,
  expired          boolean,
  status           text,
  recalled         boolean,
  recall_message   text,
  serial_number    text,
  serial_status    text,
  public_id        text,
  digital_link     text
)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_brand     uuid;
  v_product   uuid;
  v_batch     uuid;
  v_seq       bigint;
  v_n         bigint;
  v_level     text;
  v_requested text;
  v_reason    text;
begin
  if _code is not null then
    v_requested := 'serial';
    select s.brand_id, b.product_id, s.batch_id, s.seq into v_brand, v_product, v_batch, v_seq
      from data.serials s
      join data.batches b on b.brand_id = s.brand_id and b.id = s.batch_id
     where s.code = _code;
    if not found then return; end if;
    v_level := 'serial';
  elsif _public_id is not null then
    v_requested := 'batch';
    select b.brand_id, b.product_id, b.id into v_brand, v_product, v_batch
      from data.batches b where b.public_id = _public_id;
    if not found then return; end if;
    v_level := 'batch';
  elsif _gtin is not null then
    v_requested := case when _serial is not null then 'serial' when _lot is not null then 'batch' else 'product' end;
    -- Several products may carry one GTIN (GS1 gives it to one brand owner, lotline does not enforce
    -- that): the finest match wins; among equals, the earliest registered product and batch.
    if _serial is not null then
      select s.brand_id, b.product_id, s.batch_id, s.seq, count(*) over ()
        into v_brand, v_product, v_batch, v_seq, v_n
        from data.products p
        join data.batches b on b.brand_id = p.brand_id and b.product_id = p.id
        join data.serials s on s.brand_id = b.brand_id and s.batch_id = b.id
       where p.gtin = _gtin and s.serial_number = _serial and (_lot is null or b.batch_number = _lot)
       order by p.created_at, p.id, b.created_at, b.id
       limit 1;
      if v_n > 1 and _lot is null then
        -- the same serial number in several batches of the GTIN: without /10/ it names no one item
        v_brand := null; v_product := null; v_batch := null; v_seq := null;
        v_reason := 'serial_ambiguous';
      elsif v_brand is not null then
        v_level := 'serial';
      end if;
    end if;
    if v_level is null and _lot is not null then
      select b.brand_id, b.product_id, b.id into v_brand, v_product, v_batch
        from data.products p
        join data.batches b on b.brand_id = p.brand_id and b.product_id = p.id
       where p.gtin = _gtin and b.batch_number = _lot
       order by p.created_at, p.id, b.created_at, b.id
       limit 1;
      if v_brand is not null then
        v_level := 'batch';
        v_reason := case when _serial is not null then 'serial_unknown' end;
      end if;
    end if;
    if v_level is null then
      select p.brand_id, p.id into v_brand, v_product
        from data.products p where p.gtin = _gtin
       order by p.created_at, p.id
       limit 1;
      if v_brand is null then return; end if;
      v_level := 'product';
      v_batch := null;
      v_seq := null;
      v_reason := case when _lot is not null then 'batch_unknown'
                       when _serial is not null then coalesce(v_reason, 'serial_unknown') end;
    end if;
  else
    return;
  end if;

  return query
  select x.reason is null, x.reason,
         case x.reason
           when 'serial_voided'    then 'This serial number was voided by the brand and is not valid.'
           when 'serial_unknown'   then format('This serial number is not registered for this %s.', case v_level when 'batch' then 'batch' else 'product' end)
           when 'serial_ambiguous' then 'This serial number exists in several batches; a code with the batch (10) is needed to identify the item.'
           when 'batch_unknown'    then 'This batch is not registered for this product.'
         end,
         v_level, v_requested,
         br.name, p.name, p.gtin, b.batch_number, b.production_date, b.expiry_date,
         coalesce(b.expiry_date < current_date, false),
         b.status, x.recalled,
         case when x.recalled then b.recall_message end,
         s.serial_number, s.status, b.public_id,
         app.dl_build(p.gtin, b.batch_number, s.serial_number)
    from data.products p
    join data.brands br on br.id = p.brand_id
    left join data.batches b on b.brand_id = p.brand_id and b.id = v_batch
    left join data.serials s on s.brand_id = p.brand_id and s.batch_id = v_batch and s.seq = v_seq
    cross join lateral (select case when s.status = 'void' then 'serial_voided' else v_reason end as reason,
                               -- a recalled batch that was archived afterwards keeps its recall visible
                               coalesce(b.status = 'recalled' or (b.status = 'archived' and b.recall_message is not null), false)
                                 as recalled) x
   where p.brand_id = v_brand and p.id = v_product;
end
$$;
alter function app.public_view(text, text, text, text, text) owner to lotline_auth;
comment on function app.public_view(text, text, text, text, text) is
  'Definer (lotline_auth, BYPASSRLS): anon has no table privilege. Looks a scan up by code, public id or GS1 keys and returns only consumer fields (no ids, quantities or members).';

revoke execute on function app.public_view(text, text, text, text, text) from public;
grant execute on function app.public_view(text, text, text, text, text) to anon, authenticated;
