-- L-PFR journal, schema of fiskal 0.1. Written so that it changes nothing on a journal made by
-- fiskal 0.1 (which created these tables itself): never edit, add a new numbered file instead.
-- `schema_version` is the version table fiskal 0.1 created (and never filled); it is kept.
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT,
    request_json TEXT NOT NULL,
    sdc_time_ms INTEGER NOT NULL,
    lang TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS receipts (
    total_counter INTEGER PRIMARY KEY,
    uid TEXT NOT NULL,
    invoice_number TEXT NOT NULL UNIQUE,
    request_id TEXT,
    kind TEXT NOT NULL,
    sdc_time_ms INTEGER NOT NULL,
    amount TEXT NOT NULL,
    request_json TEXT NOT NULL,
    result_json TEXT NOT NULL,
    se_output BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    audited INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS receipts_request_id ON receipts(uid, request_id) WHERE request_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
