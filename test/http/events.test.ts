// The events room through the HTTP door (the gateway): the shared case list, plus the request id the
// gateway puts on every response landing in the audit trail.
import { describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { tokenFor } from '../support/httpdoor.ts';
import { must } from '../support/door.ts';
import { defineEventCases, EV_USERS as U, type AuditRow } from '../cases/events.ts';

const t = useDoor('http');
defineEventCases(() => t.door());

describe('request ids', () => {
  it('the X-Request-Id sent (or the one the gateway made up) is the audit row request_id', async () => {
    const d = t.door();
    const brand = must<{ id: string }>(await d.call(U.alice, 'create_brand', { _name: 'Request ids' })).id;
    const headers = { Authorization: `Bearer ${await tokenFor(U.alice)}`, 'Content-Type': 'application/json' };
    const sent = await fetch(`${t.gw.url}/rpc/create_location`, {
      method: 'POST', headers: { ...headers, 'X-Request-Id': 'req-audit-1' }, body: JSON.stringify({ _brand_id: brand, _name: 'Sent id' }),
    });
    expect(sent.status).toBe(200);
    const made = await fetch(`${t.gw.url}/rpc/create_location`, { method: 'POST', headers, body: JSON.stringify({ _brand_id: brand, _name: 'Made id' }) });
    const madeId = made.headers.get('x-request-id');
    expect(madeId).toMatch(/^[0-9a-f-]{36}$/);
    const rows = must<AuditRow[]>(await d.call(U.alice, 'list_audit_events', { _brand_id: brand, _table: 'locations' }));
    expect(rows.map((r) => [r.new_values?.name, r.request_id, r.door])).toEqual([['Made id', madeId, 'http'], ['Sent id', 'req-audit-1', 'http']]);
  });
});
