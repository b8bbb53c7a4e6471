// Traceability through the HTTP door (the gateway, a JWT per caller) — the same cases as test/sql/traceability.test.ts.
import { useDoor } from '../support/doors.ts';
import { defineTraceabilityCases } from '../cases/traceability.ts';

const t = useDoor('http');
defineTraceabilityCases(t.door);
