create type api.brand as (
  id          uuid,
  name        text,
  slug        text,
  role        text,        -- the caller's role on the brand
  created_at  timestamptz
);
comment on type api.brand is 'A brand (tenant) as seen by one of its members.';

create type api.brand_member as (
  brand_id    uuid,
  user_id     text,
  role        text,
  created_at  timestamptz
);
