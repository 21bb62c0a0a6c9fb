// The PostgreSQL schema as numbered migrations: the same tables and columns as the SQLite file, with
// PostgreSQL's types (64-bit millisecond times, double precision) and an identity column that gives
// metric rows their write order (SQLite's rowid). JSON stays text, so both stores read back the
// exact text they were given.

/** Migration n (1-based) upgrades schema version n-1 to n; never edit one that has shipped. */
export const PG_MIGRATIONS: string[] = [
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    n INTEGER NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT,
    created_at TEXT NOT NULL,
    spec TEXT NOT NULL,
    network TEXT NOT NULL,
    params TEXT,
    detached_at TEXT,
    owner TEXT
  );
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    n INTEGER NOT NULL UNIQUE,
    device_id TEXT NOT NULL REFERENCES devices(id),
    label TEXT,
    client TEXT NOT NULL,
    task TEXT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    interrupted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    updated_at TEXT NOT NULL,
    request TEXT NOT NULL,
    config TEXT NOT NULL,
    provenance TEXT,
    progress TEXT NOT NULL,
    last_metrics TEXT NOT NULL,
    result TEXT,
    error TEXT
  );
  CREATE INDEX runs_by_device ON runs(device_id, state, n);
  CREATE TABLE metrics (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id),
    kind TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    batch INTEGER,
    step INTEGER NOT NULL,
    split TEXT,
    samples INTEGER NOT NULL,
    distance DOUBLE PRECISION, cost DOUBLE PRECISION, accuracy DOUBLE PRECISION, settled DOUBLE PRECISION,
    dropped DOUBLE PRECISION, fallback DOUBLE PRECISION,
    time_s DOUBLE PRECISION,
    t BIGINT NOT NULL
  );
  CREATE INDEX metrics_by_run ON metrics(run_id, kind, step);
  CREATE TABLE checkpoints (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    step INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  );
  CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    t BIGINT NOT NULL,
    PRIMARY KEY (run_id, seq)
  );
  CREATE TABLE datasets (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    info TEXT NOT NULL
  );
  `,
  // regression and pattern tasks report MSE (and regression R^2) instead of a meaningful accuracy;
  // rows written before this version read back null
  `
  ALTER TABLE metrics ADD COLUMN mse DOUBLE PRECISION;
  ALTER TABLE metrics ADD COLUMN r2 DOUBLE PRECISION;
  `,
]
