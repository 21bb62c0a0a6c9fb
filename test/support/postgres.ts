// PostgreSQL for tests: the machine's real server on 127.0.0.1:5432 (CI starts it). Each test gets a
// database of its own, dropped afterwards, so parallel runs never meet.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server tests use; EQP_TEST_PG overrides (a URL without the database name). */
export const PG_SERVER = process.env.EQP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432'

export interface TestDatabase { url: string; name: string; drop(): Promise<void> }

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres`, connectionTimeoutMillis: 5000 })
  try {
    await c.connect()
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${PG_SERVER} (${(e as Error).message}); start it, e.g. ` +
      '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or set EQP_TEST_PG')
  }
  try { return await fn(c) } finally { await c.end() }
}

/** A fresh empty database eqp_test_<random>; drop() removes it (ending any connection still on it). */
export async function freshDatabase(): Promise<TestDatabase> {
  const name = `eqp_test_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  return {
    name,
    url: `${PG_SERVER}/${name}`,
    drop: () => admin(async (c) => { await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }),
  }
}
