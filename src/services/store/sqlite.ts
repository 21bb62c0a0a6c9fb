// The embedded store: one SQLite file, opened in WAL mode (a kill -9 leaves it consistent), schema
// created by numbered migrations (PRAGMA user_version), every multi-row write inside one transaction.
// One process owns one file. Statements run synchronously inside; the async face is the Store's.
import Database, { type Statement } from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatasetTable } from './datasets.ts'
import { DeviceTable } from './devices.ts'
import { LeaseTable } from './leases.ts'
import { RunTable } from './runs.ts'
import type { Sql } from './sql.ts'
import type { Store, StoreTables } from './store.ts'

/** Schema versions in order; each entry upgrades from the previous version. Never edit one that has shipped. */
export const SQLITE_MIGRATIONS: string[] = [
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
  // a shared store's rows name the daemon that holds them; here one process owns the file, and
  // leases exist so both backends offer the same calls
  `
  ALTER TABLE devices ADD COLUMN owner TEXT;
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    info TEXT NOT NULL
  );
  `,
  // regression and pattern tasks report MSE (and regression R^2) instead of a meaningful accuracy;
  // rows written before this version read back null
  `
  ALTER TABLE metrics ADD COLUMN mse REAL;
  ALTER TABLE metrics ADD COLUMN r2 REAL;
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
  for (let v = version; v < SQLITE_MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(SQLITE_MIGRATIONS[v])
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
  return db
}

/** The SQLite library version, for run provenance. */
export function sqliteVersion(db: Db): string {
  return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v
}

/** The tables' calls on one SQLite connection; `busy` gives the open transaction that calls from
 *  outside it wait for (checked in the same turn as the statement runs, so none slips in). */
class SqliteSql implements Sql {
  readonly dialect = 'sqlite'
  private readonly cache = new Map<string, Statement<unknown[]>>()
  constructor(private readonly db: Db, private readonly busy: () => Promise<void> | null) {}

  /** A prepared statement, compiled once per SQL text. */
  private q(sql: string): Statement<unknown[]> {
    let st = this.cache.get(sql)
    if (!st) { st = this.db.prepare<unknown[]>(sql); this.cache.set(sql, st) }
    return st
  }

  async all<R>(sql: string, args: unknown[] = []): Promise<R[]> {
    for (let b = this.busy(); b; b = this.busy()) await b
    return this.q(sql).all(...args) as R[]
  }

  async get<R>(sql: string, args: unknown[] = []): Promise<R | undefined> {
    for (let b = this.busy(); b; b = this.busy()) await b
    return this.q(sql).get(...args) as R | undefined
  }

  async run(sql: string, args: unknown[] = []): Promise<number> {
    for (let b = this.busy(); b; b = this.busy()) await b
    return this.q(sql).run(...args).changes
  }

  async lockFor(): Promise<void> { /* BEGIN IMMEDIATE took the file's write lock */ }
}

function tablesOn(sql: Sql): StoreTables {
  return { devices: new DeviceTable(sql), runs: new RunTable(sql), datasets: new DatasetTable(sql), leases: new LeaseTable(sql) }
}

/** The store in one SQLite file. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite'
  readonly shared = false
  readonly db: Db
  readonly devices: DeviceTable
  readonly runs: RunTable
  readonly datasets: DatasetTable
  readonly leases: LeaseTable
  readonly versions: Record<string, string>
  private readonly inTx: StoreTables
  /** settles when the open transaction ends; null when none is open */
  private open: Promise<void> | null = null

  /** Opens the SQLite file at path (':memory:' for tests). */
  constructor(path: string) {
    this.db = openDb(path)
    // one connection: a call from outside waits for the open transaction, so it is never swept into it
    const root = tablesOn(new SqliteSql(this.db, () => this.open))
    this.devices = root.devices; this.runs = root.runs; this.datasets = root.datasets; this.leases = root.leases
    this.inTx = tablesOn(new SqliteSql(this.db, () => null))
    this.versions = { sqlite: sqliteVersion(this.db) }
  }

  async tx<T>(fn: (t: StoreTables) => Promise<T>): Promise<T> {
    while (this.open) await this.open
    let done!: () => void
    this.open = new Promise((resolve) => { done = resolve })
    try {
      this.db.exec('BEGIN IMMEDIATE')
      try {
        const out = await fn(this.inTx)
        this.db.exec('COMMIT')
        return out
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw e
      }
    } finally {
      this.open = null
      done()
    }
  }

  async close(): Promise<void> {
    while (this.open) await this.open
    if (this.db.open) this.db.close()
  }
}
