// Value bounds (dates, quantities) through the SQL door (app.act_as in a transaction, as a DBA in psql).
import { useDoor } from '../support/doors.ts';
import { defineValueCases } from '../cases/values.ts';

const t = useDoor('sql');
defineValueCases(t.door);
