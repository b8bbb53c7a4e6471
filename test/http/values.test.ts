// Value bounds (dates, quantities) through the HTTP door (the gateway) — the same cases as test/sql/values.test.ts.
import { useDoor } from '../support/doors.ts';
import { defineValueCases } from '../cases/values.ts';

const t = useDoor('http');
defineValueCases(t.door);
