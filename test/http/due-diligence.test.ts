// Due-diligence statements through the HTTP door — the same cases as test/sql/due-diligence.test.ts.
import { useDoor } from '../support/doors.ts';
import { defineDueDiligenceCases } from '../cases/due-diligence.ts';

const t = useDoor('http');
defineDueDiligenceCases(t.door);
