-- SUF store, schema of fiskal 0.1 (SQLite). Written so that it changes nothing on a store made by
-- fiskal 0.1 (which created these tables itself): never edit, add a new numbered file instead.
CREATE TABLE IF NOT EXISTS suf_se (
    uid TEXT PRIMARY KEY,
    tin TEXT NOT NULL,
    certificate BLOB NOT NULL,
    revoked_at_ms BIGINT
);
CREATE TABLE IF NOT EXISTS suf_token (
    token TEXT PRIMARY KEY,
    uid TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS suf_token_uid ON suf_token(uid, expires_ms);
CREATE TABLE IF NOT EXISTS suf_receipt (
    invoice_number TEXT PRIMARY KEY,
    signed_by TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    total_counter BIGINT NOT NULL,
    tt_counter BIGINT NOT NULL,
    sdc_time_ms BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    invoice_type BIGINT NOT NULL,
    transaction_type BIGINT NOT NULL,
    buyer_id TEXT,
    cumulative_total BIGINT NOT NULL,
    internal_data BLOB NOT NULL,
    signature BLOB NOT NULL,
    content_hash TEXT NOT NULL,
    request_json TEXT NOT NULL,
    result_json TEXT NOT NULL,
    received_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS suf_receipt_counter ON suf_receipt(signed_by, total_counter);
CREATE TABLE IF NOT EXISTS suf_audit (
    uid TEXT NOT NULL,
    audit_seq BIGINT NOT NULL,
    arp BLOB NOT NULL,
    total_counter BIGINT NOT NULL,
    sum_at_start BIGINT NOT NULL,
    limit_amount BIGINT NOT NULL,
    requested_ms BIGINT NOT NULL,
    poa BLOB,
    PRIMARY KEY (uid, audit_seq)
);
CREATE TABLE IF NOT EXISTS suf_command (
    command_id TEXT PRIMARY KEY,
    uid TEXT NOT NULL,
    command_type BIGINT NOT NULL,
    payload TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    success BIGINT
);
CREATE INDEX IF NOT EXISTS suf_command_uid ON suf_command(uid, created_ms);
CREATE TABLE IF NOT EXISTS suf_tax_group (
    group_id BIGINT PRIMARY KEY,
    group_json TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS suf_forced_proof (
    uid TEXT NOT NULL,
    audit_seq BIGINT NOT NULL,
    operator TEXT NOT NULL,
    forced_ms BIGINT NOT NULL,
    PRIMARY KEY (uid, audit_seq)
);
CREATE TABLE IF NOT EXISTS suf_setting (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    changed_ms BIGINT NOT NULL
);
