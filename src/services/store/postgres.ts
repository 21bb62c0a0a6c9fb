// The shared store: a PostgreSQL database that several daemons use at once. A pool of connections;
// a transaction holds one of them. Migrations are numbered, recorded in schema_version and applied
// under a session advisory lock, so daemons starting together apply each exactly once.
import pg from 'pg'
import { EqpError } from '../../errors.ts'
import { DatasetTable } from './datasets.ts'
import { DeviceTable } from './devices.ts'
import { LeaseTable } from './leases.ts'
import { PG_MIGRATIONS } from './postgres-schema.ts'
import { RunTable } from './runs.ts'
import type { Sql } from './sql.ts'
import type { Store, StoreTables } from './store.ts'

/** Advisory lock key held while migrating ('EQPH'). */
const MIGRATION_LOCK = 0x45515048

// COUNT(*), BIGINT times and identities come back as numbers: every one we store fits in 2^53
const INT8_OID = 20
const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) }

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (our SQL has no `?` inside literals). */
const numbered = new Map<string, string>()
function toPg(sql: string): string {
  let out = numbered.get(sql)
  if (out === undefined) {
    let k = 0
    out = sql.replace(/\?/g, () => `$${++k}`)
    numbered.set(sql, out)
  }
  return out
}

type Queryable = pg.Pool | pg.PoolClient

class PgSql implements Sql {
  readonly dialect = 'postgres'
  constructor(private readonly q: Queryable) {}

  async all<R>(sql: string, args: unknown[] = []): Promise<R[]> {
    return (await this.q.query(toPg(sql), args)).rows as R[]
  }

  async get<R>(sql: string, args: unknown[] = []): Promise<R | undefined> {
    return (await this.q.query(toPg(sql), args)).rows[0] as R | undefined
  }

  async run(sql: string, args: unknown[] = []): Promise<number> {
    return (await this.q.query(toPg(sql), args)).rowCount ?? 0
  }

  /** A transaction-scoped advisory lock per table name: concurrent inserters draw numbers one at a time. */
  async lockFor(table: string): Promise<void> {
    await this.q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, table])
  }
}

function tablesOn(sql: Sql): StoreTables {
  return { devices: new DeviceTable(sql), runs: new RunTable(sql), datasets: new DatasetTable(sql), leases: new LeaseTable(sql) }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch { return url.replace(/:[^:@/]*@/, ':***@') }
}

/** Applies the migrations this database lacks; resolves with the schema version reached. Safe to call
 *  from several processes at once: the advisory lock lets one migrate while the others wait. */
export async function migrate(client: pg.PoolClient): Promise<number> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
    const have = Number((await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version')).rows[0].v)
    if (have > PG_MIGRATIONS.length) throw new EqpError('EQP_ERR_BAD_INPUT', ['store', `schema version ${have} is newer than this eqprop-hil knows (${PG_MIGRATIONS.length}): upgrade it`])
    for (let v = have; v < PG_MIGRATIONS.length; v++) {
      await client.query('BEGIN')
      try {
        await client.query(PG_MIGRATIONS[v])
        await client.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)', [v + 1, new Date().toISOString()])
        await client.query('COMMIT')
      } catch (e) {
        await client.query('ROLLBACK')
        throw e
      }
    }
    return PG_MIGRATIONS.length
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
  }
}

export class PostgresStore implements Store {
  readonly kind = 'postgres'
  readonly shared = true
  readonly devices: DeviceTable
  readonly runs: RunTable
  readonly datasets: DatasetTable
  readonly leases: LeaseTable

  private constructor(private readonly pool: pg.Pool, readonly versions: Record<string, string>) {
    const root = tablesOn(new PgSql(pool))
    this.devices = root.devices; this.runs = root.runs; this.datasets = root.datasets; this.leases = root.leases
  }

  /** Connects, migrates, and resolves with the store; a bad URL or an unreachable server is EQP_ERR_BAD_INPUT on `store`. */
  static async open(url: string, opts: { max?: number } = {}): Promise<PostgresStore> {
    let pool: pg.Pool
    try {
      pool = new pg.Pool({ connectionString: url, max: opts.max ?? 4, types, connectionTimeoutMillis: 5000 })
    } catch (e) {
      throw new EqpError('EQP_ERR_BAD_INPUT', ['store', `${redactUrl(url)}: ${(e as Error).message}`])
    }
    // an idle connection dropped by the server must not take the daemon down; the next query reconnects
    pool.on('error', () => {})
    let client: pg.PoolClient
    try {
      client = await pool.connect()
    } catch (e) {
      await pool.end().catch(() => {})
      const err = e as NodeJS.ErrnoException
      throw new EqpError('EQP_ERR_BAD_INPUT', ['store', `cannot reach PostgreSQL at ${redactUrl(url)}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' ').trim()])
    }
    let version: string
    try {
      await migrate(client)
      version = String((await client.query('SHOW server_version')).rows[0].server_version)
    } catch (e) {
      client.release()
      await pool.end().catch(() => {})
      throw e
    }
    client.release()
    return new PostgresStore(pool, { postgres: version })
  }

  async tx<T>(fn: (t: StoreTables) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const out = await fn(tablesOn(new PgSql(client)))
      await client.query('COMMIT')
      return out
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {})
      throw e
    } finally {
      client.release()
    }
  }

  /** Schema version recorded in the database (for tests and `eqprop-hil serve` logs). */
  async schemaVersion(): Promise<number> {
    return Number((await this.pool.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version')).rows[0].v)
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}
