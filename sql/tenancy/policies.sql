-- Row security, privileges and triggers of the tenancy tables (app.brand_rls: sql/core/rls.sql).
-- lotline_auth (BYPASSRLS, owner of the membership helpers) needs no policy, only its grants.

-- data.brands: members read their brands, owners rename them; created only by app.create_brand_with_owner.
call app.brand_rls('data.brands', _update => 'owner', _column => 'id');
call app.attach_trigger('data.brands', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
revoke all on data.brands from anon, authenticated, lotline_auth;
grant select, update (name) on data.brands to authenticated;
grant select, insert on data.brands to lotline_auth;

-- data.brand_members: admins add, change and remove members up to admin; only owners grant owner.
call app.brand_rls('data.brand_members', _insert => 'admin', _update => 'admin', _delete => 'admin',
                   _write_check => 'app.can_grant(brand_id, role)');
revoke all on data.brand_members from anon, authenticated, lotline_auth;
grant select, delete, insert (brand_id, user_id, role), update (role) on data.brand_members to authenticated;
grant select, insert on data.brand_members to lotline_auth;

-- data.brand_counters: the next human number of a kind per brand (TR-000001, IN-000001).
call app.brand_rls('data.brand_counters', _insert => 'editor', _update => 'editor');
revoke all on data.brand_counters from anon, authenticated;
grant select, insert (brand_id, name, value), update (value) on data.brand_counters to authenticated;
