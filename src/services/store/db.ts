// The daemon's SQLite file: opened in WAL mode (a kill -9 leaves it consistent), schema created by
// numbered migrations, every multi-row write inside one transaction. One process owns one file.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

/** Schema versions in order; each entry upgrades from the previous version. */
const MIGRATIONS: string[] = [
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
    detached_at TEXT
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
    run_id TEXT NOT NULL REFERENCES runs(id),
    kind TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    batch INTEGER,
    step INTEGER NOT NULL,
    split TEXT,
    samples INTEGER NOT NULL,
    distance REAL, cost REAL, accuracy REAL, settled REAL, dropped REAL, fallback REAL,
    time_s REAL,
    t INTEGER NOT NULL
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
    t INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
  );
  CREATE TABLE datasets (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL
  );
  `,
]

export type Db = Database.Database

/** Opens (creating if needed) the daemon database and brings its schema up to date. */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  // NORMAL in WAL mode: a committed transaction survives a process crash (kill -9); only a power
  // loss may drop the last few, and the file stays consistent either way
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  const version = db.pragma('user_version', { simple: true }) as number
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v])
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
  return db
}

/** The SQLite library version, for run provenance. */
export function sqliteVersion(db: Db): string {
  return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v
}
