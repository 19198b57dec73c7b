-- 4: gateway events for the northbound (registrations, deregistrations, command results),
-- written with the reports' group commit and marked forwarded only after the broker took
-- them — the same outbox rule as batches; and service configurations set by downlink
-- commands, which outlive a restart.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    terminal     BLOB,
    sid          TEXT,
    detail       TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    forwarded_at INTEGER
);
CREATE INDEX events_pending ON events (id) WHERE forwarded_at IS NULL;

CREATE TABLE service_config (
    sid          TEXT    PRIMARY KEY,
    report_period INTEGER NOT NULL,
    data_format  INTEGER NOT NULL,
    data_amount  INTEGER NOT NULL,
    command_id   TEXT    NOT NULL,
    set_at       INTEGER NOT NULL
);
