-- Orleans reminders on SQLite, for the embedded storage mode (reminders.db), read and written by
-- Autonomy.Hosting.SqliteReminderTable. A file of its own so reminder ticks never wait on grain writes.
--
-- Re-runnable: every statement is IF NOT EXISTS.

-- WAL lets readers work while one writer writes; the setting is kept in the file.
PRAGMA journal_mode = WAL;

-- GrainHash is GrainId.GetUniformHashCode() (an unsigned 32-bit value; SQLite integers hold it exactly),
-- the key Orleans uses to split reminders over the silos' ring ranges.
-- StartAtTicks is UTC ticks and PeriodTicks a TimeSpan's ticks, so both round-trip exactly.
-- ETag is new on every upsert, so a removal with an older ETag never matches.
CREATE TABLE IF NOT EXISTS OrleansReminders
(
    ServiceId    TEXT    NOT NULL,
    GrainId      TEXT    NOT NULL,
    ReminderName TEXT    NOT NULL,
    GrainHash    INTEGER NOT NULL,
    StartAtTicks INTEGER NOT NULL,
    PeriodTicks  INTEGER NOT NULL,
    ETag         TEXT    NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
) WITHOUT ROWID;

-- A range read filters on the schedule, so the index carries it: the rows not due soon are passed over in the index
-- without a lookup of each (SqliteReminderTable). It replaces the index by (ServiceId, GrainHash) alone.
CREATE INDEX IF NOT EXISTS IX_OrleansReminders_ServiceId_GrainHash_Schedule
    ON OrleansReminders (ServiceId, GrainHash, StartAtTicks, PeriodTicks);
DROP INDEX IF EXISTS IX_OrleansReminders_ServiceId_GrainHash;
