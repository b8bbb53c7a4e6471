-- data.brands -------------------------------------------------------------------------------------
-- No write for callers: brands are created by app.create_brand_with_owner, and no api function renames one.
call app.brand_rls('data.brands', _column => 'id');
-- lotline_auth (BYPASSRLS, owner of the membership helpers) needs no policy, only the grants below.

revoke all on data.brands from anon, authenticated, lotline_auth;
grant select on data.brands to authenticated;
-- insert: create_brand_with_owner; update (updated_at): the no-op write that serialises membership changes
grant select, insert, update (updated_at) on data.brands to lotline_auth;

call app.attach_trigger('data.brands', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');

-- data.brand_members ------------------------------------------------------------------------------
-- admins add, change and remove members up to admin; only owners grant owner (app.can_grant)
call app.brand_rls('data.brand_members', _insert => 'admin', _update => 'admin', _delete => 'admin',
                   _write_check => 'app.can_grant(brand_id, role)');
-- lotline_auth (BYPASSRLS, owner of the membership helpers) needs no policy, only the grants below.

revoke all on data.brand_members from anon, authenticated, lotline_auth;
grant select, delete on data.brand_members to authenticated;
grant insert (brand_id, user_id, role), update (role) on data.brand_members to authenticated;
grant select, insert on data.brand_members to lotline_auth;

-- Whoever writes (add/remove_brand_member or direct DML): serialised per brand, and the last owner stays.
call app.attach_trigger('data.brand_members', '_100_keep_an_owner', 'before insert or update or delete', 'app.tg__brand_members_keep_an_owner');

-- data.brand_counters -----------------------------------------------------------------------------
call app.brand_rls('data.brand_counters');
-- Counters are advanced only by the inventory definers (app.inventory_next_number): a caller who could set
-- one back would make the next transfer or inbound number collide.
revoke all on data.brand_counters from anon, authenticated;
grant select on data.brand_counters to authenticated;
