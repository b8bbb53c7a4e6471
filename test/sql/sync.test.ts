// Integration sync through the SQL door (app.act_as in a transaction, as a DBA in psql).
import { afterAll, beforeAll } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { defineSyncCases, type SyncDoor } from '../cases/sync.ts';

const t = useDoor('sql');
defineSyncCases(t.door);
