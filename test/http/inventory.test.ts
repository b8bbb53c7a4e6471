// Inventory through the HTTP door (the gateway, a JWT per caller) — the same cases as test/sql/inventory.test.ts.
import { afterAll, beforeAll } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { defineInventoryCases } from '../cases/inventory.ts';
import type { Door } from '../cases/core.ts';

const t = useDoor('http');
defineInventoryCases(t.door);
