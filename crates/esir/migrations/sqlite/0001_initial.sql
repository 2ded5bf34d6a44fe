-- ESIR local store, schema of fiskal 0.1 (its `PRAGMA user_version` 1). Written so that it
-- changes nothing on a store made by fiskal 0.1: never edit, add a new numbered file instead.
CREATE TABLE IF NOT EXISTS invoices (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id       TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'issued', 'failed')),
    invoice_number   TEXT UNIQUE,
    invoice_type     INTEGER NOT NULL,
    transaction_type INTEGER NOT NULL,
    sdc_time         TEXT,
    total            TEXT NOT NULL,
    buyer_id         TEXT,
    referent_number  TEXT,
    chain_id         TEXT,
    request_json     TEXT NOT NULL,
    result_json      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoices_state ON invoices (state);
CREATE INDEX IF NOT EXISTS invoices_chain ON invoices (chain_id);
CREATE INDEX IF NOT EXISTS invoices_referent ON invoices (referent_number);
