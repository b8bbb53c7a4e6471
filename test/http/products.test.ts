// Products through the HTTP door (the gateway, a JWT per caller) — the same cases as test/sql/products.test.ts.
import { useDoor } from '../support/doors.ts';
import { defineProductCases } from '../cases/products.ts';

const t = useDoor('http');
defineProductCases(t.door);
