-- 1: MAC-layer reports, one row per report the gateway acked as stored.
--
-- A retry after a lost ack carries the same (terminal, sid, sequence): the UNIQUE key turns
-- it into a duplicate instead of a second row. The channel is deliberately not part of the
-- key: a terminal may retry on another channel, and it is still the same report.
-- u64 times (µs) are stored as the i64 with the same bit pattern.
CREATE TABLE reports (
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
    UNIQUE (terminal, sid, sequence)
);
