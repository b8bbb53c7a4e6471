// Inventory through the HTTP door (the gateway, a JWT per caller) — the same cases as test/sql/inventory.test.ts.
import { useDoor } from '../support/doors.ts';
import { defineInventoryCases } from '../cases/inventory.ts';

const t = useDoor('http');
defineInventoryCases(t.door);
