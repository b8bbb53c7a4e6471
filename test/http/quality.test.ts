// Quality through the HTTP door (the gateway, a JWT per caller) — the same cases as test/sql/quality.test.ts.
import { useDoor } from '../support/doors.ts';
import { defineQualityCases } from '../cases/quality.ts';

const t = useDoor('http');
defineQualityCases(t.door);
