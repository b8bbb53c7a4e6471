// Integration sync through the SQL door (app.act_as in a transaction, as a DBA in psql).
import { useDoor } from '../support/doors.ts';
import { defineSyncCases } from '../cases/sync.ts';

const t = useDoor('sql');
defineSyncCases(t.door);
