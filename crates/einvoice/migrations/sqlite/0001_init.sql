-- Moje fakture schema (SQLite). Times are Unix milliseconds (UTC); dates are YYYY-MM-DD text.
-- Written so that it changes nothing on a store made by fiskal 0.1 (recorded as version 1 in
-- fiskal_einvoice_migrations, which is kept): never edit, add a new numbered file instead.
CREATE TABLE IF NOT EXISTS tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    pib TEXT NOT NULL,
    mb TEXT NOT NULL,
    jbkjs TEXT,
    name TEXT NOT NULL,
    trading_name TEXT,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    budget_user INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active',
    auto_redate INTEGER NOT NULL DEFAULT 0,
    send_to_cir INTEGER NOT NULL DEFAULT 1,
    contact_email TEXT,
    callback_token TEXT NOT NULL UNIQUE,
    access_token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (environment, pib)
);
CREATE TABLE IF NOT EXISTS tenant_bank_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    account TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sef_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    ciphertext BLOB,
    nonce BLOB,
    wrapped_dek BLOB,
    dek_nonce BLOB,
    master_key_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    last_four TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    verified_at INTEGER,
    last_success_at INTEGER,
    last_401_at INTEGER,
    replaced_at INTEGER,
    state_changed_at INTEGER NOT NULL,
    last_check_at INTEGER,
    last_check_outcome TEXT,
    sef_version TEXT,
    next_recheck_at INTEGER,
    UNIQUE (tenant_id, version)
);
CREATE INDEX IF NOT EXISTS sef_keys_fingerprint ON sef_keys (fingerprint);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    doc_type TEXT NOT NULL,
    number TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    state TEXT NOT NULL,
    prev_state TEXT,
    buyer_pib TEXT,
    buyer_name TEXT,
    total TEXT,
    currency TEXT,
    current_version INTEGER NOT NULL DEFAULT 0,
    sef_sales_id INTEGER,
    sef_purchase_id INTEGER,
    sef_invoice_id INTEGER,
    sef_status TEXT,
    sef_comment TEXT,
    cir_status TEXT,
    cir_invoice_id TEXT,
    error_code TEXT,
    error_field TEXT,
    error_message TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    accepted_at INTEGER,
    status_checked_at INTEGER,
    UNIQUE (tenant_id, number)
);
CREATE INDEX IF NOT EXISTS documents_tenant_state ON documents (tenant_id, state);
CREATE TABLE IF NOT EXISTS document_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    document_id INTEGER NOT NULL REFERENCES documents(id),
    version INTEGER NOT NULL,
    ubl BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    send_to_cir TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (document_id, version)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    document_id INTEGER NOT NULL REFERENCES documents(id),
    version_id INTEGER NOT NULL REFERENCES document_versions(id),
    request_id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    maybe_reached INTEGER NOT NULL DEFAULT 0,
    attempt_days TEXT NOT NULL DEFAULT '',
    lease_owner TEXT,
    lease_until INTEGER,
    done_at INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (tenant_id, done_at, next_attempt_at);
CREATE TABLE IF NOT EXISTS send_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    version_id INTEGER NOT NULL REFERENCES document_versions(id),
    attempt_no INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    http_status INTEGER,
    outcome TEXT,
    sef_version TEXT,
    error_code TEXT,
    error_field TEXT,
    error_message TEXT,
    duration_ms INTEGER
);
CREATE TABLE IF NOT EXISTS sef_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    direction TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    sef_document_id INTEGER NOT NULL,
    new_status TEXT NOT NULL,
    comment TEXT,
    event_date TEXT,
    source TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (tenant_id, direction, event_id)
);
CREATE TABLE IF NOT EXISTS subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    valid_for TEXT NOT NULL,
    subscription_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (tenant_id, valid_for)
);
CREATE TABLE IF NOT EXISTS status_reads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    sef_document_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    done_at INTEGER
);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    message_id TEXT NOT NULL,
    recipient TEXT,
    body TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    tenant_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    key_last_four TEXT,
    detail TEXT
);
-- Sliding-window rate limiter shared by every process (sef-api.md §5): the three most recent call
-- starts per key fingerprint, oldest first.
CREATE TABLE IF NOT EXISTS rate_windows (
    fingerprint TEXT PRIMARY KEY,
    s1 INTEGER NOT NULL,
    s2 INTEGER NOT NULL,
    s3 INTEGER NOT NULL
);
