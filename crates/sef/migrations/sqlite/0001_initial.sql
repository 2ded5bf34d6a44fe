-- SEF sandbox store, schema of fiskal 0.1: one JSON snapshot of the sandbox's state. Written so
-- that it changes nothing on a store made by fiskal 0.1: never edit, add a new numbered file.
CREATE TABLE IF NOT EXISTS sef_sandbox_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    snapshot TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
