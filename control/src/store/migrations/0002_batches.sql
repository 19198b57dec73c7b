-- 2: aggregation. Stored reports are grouped per SID into batches; a batch row is written
-- when the batch closes and marked forwarded only after the northbound accepted it, so a
-- batch whose forwarding failed is still pending and is retried.
CREATE TABLE batches (
    id           INTEGER PRIMARY KEY,
    sid          TEXT    NOT NULL,
    closed_at    INTEGER NOT NULL,
    reason       INTEGER NOT NULL CHECK (reason IN (1, 2, 3)),
    report_count INTEGER NOT NULL CHECK (report_count >= 1),
    byte_count   INTEGER NOT NULL CHECK (byte_count >= 0),
    attempts     INTEGER NOT NULL DEFAULT 0,
    forwarded_at INTEGER
);
CREATE INDEX batches_pending ON batches (id) WHERE forwarded_at IS NULL;

ALTER TABLE reports ADD COLUMN batch_id INTEGER REFERENCES batches (id);
CREATE INDEX reports_unbatched ON reports (sid, id) WHERE batch_id IS NULL;
CREATE INDEX reports_by_batch ON reports (batch_id) WHERE batch_id IS NOT NULL;
