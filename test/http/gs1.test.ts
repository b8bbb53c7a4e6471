// GTIN ownership through the HTTP door (the gateway, a JWT per caller) — the same cases as test/sql/gs1.test.ts.
import { useDoor } from '../support/doors.ts';
import { defineGs1Cases } from '../cases/gs1.ts';

const t = useDoor('http');
defineGs1Cases(t.door);
