-- 5: charging records (issue 8). The open record of each subscription, rewritten with every
-- usage step in the same transaction, and every closed record, written in the transaction
-- that closed it; spooled_at / published_at are set only after the spool file and the
-- northbound took the record.
CREATE TABLE charging_open (
    subscription TEXT    PRIMARY KEY,
    sequence     INTEGER NOT NULL,
    record       TEXT    NOT NULL
);

CREATE TABLE charging_records (
    id           INTEGER PRIMARY KEY,
    subscription TEXT    NOT NULL,
    sequence     INTEGER NOT NULL,
    opened_at    INTEGER NOT NULL,
    closed_at    INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    record       TEXT    NOT NULL,
    spooled_at   INTEGER,
    published_at INTEGER,
    UNIQUE (subscription, sequence)
);
CREATE INDEX charging_records_unspooled ON charging_records (id) WHERE spooled_at IS NULL;
CREATE INDEX charging_records_closed ON charging_records (closed_at);
