-- 3: a retry is recognised by (measured_at, terminal, sid, sequence) instead of
-- (terminal, sid, sequence).
--
-- Why: a retry repeats the whole report, so its measurement time is the same; a terminal that
-- rebooted and restarted its sequence at 0 sends new measurement times, and under the old key
-- its new readings were answered "duplicate" and lost. Leading with the measurement time also
-- keeps the key in arrival order: the reports of one commit land on a few adjacent index
-- pages instead of one random page each, which is what bounded the commit rate.
-- SQLite cannot drop a table constraint in place: the table is rebuilt, row ids kept.
CREATE TABLE reports_v3 (
    id          INTEGER PRIMARY KEY,
    terminal    BLOB    NOT NULL CHECK (length(terminal) = 6),
    aid         INTEGER NOT NULL CHECK (aid BETWEEN 0 AND 65535),
    sid         TEXT    NOT NULL,
    sequence    INTEGER NOT NULL CHECK (sequence BETWEEN 0 AND 4294967295),
    measured_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    data_format INTEGER NOT NULL CHECK (data_format BETWEEN 0 AND 255),
    payload     BLOB    NOT NULL,
    channel     INTEGER NOT NULL CHECK (channel BETWEEN 0 AND 255),
    duplicates  INTEGER NOT NULL DEFAULT 0,
    batch_id    INTEGER REFERENCES batches (id),
    UNIQUE (measured_at, terminal, sid, sequence)
);
INSERT INTO reports_v3
    (id, terminal, aid, sid, sequence, measured_at, received_at, data_format, payload, channel,
     duplicates, batch_id)
SELECT id, terminal, aid, sid, sequence, measured_at, received_at, data_format, payload, channel,
       duplicates, batch_id
FROM reports;
DROP TABLE reports;
ALTER TABLE reports_v3 RENAME TO reports;
CREATE INDEX reports_unbatched ON reports (sid, id) WHERE batch_id IS NULL;
CREATE INDEX reports_by_batch ON reports (batch_id) WHERE batch_id IS NOT NULL;
