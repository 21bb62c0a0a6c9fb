// The store contract, run against both backends: the SQLite file and a real PostgreSQL database.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import { migrate, PostgresStore } from '../../src/services/store/postgres.ts'
import { PG_MIGRATIONS } from '../../src/services/store/postgres-schema.ts'
import { openStore, SqliteStore, type RunRow, type Store } from '../../src/services/store/index.ts'
import { SQLITE_MIGRATIONS } from '../../src/services/store/sqlite.ts'
import Database from 'better-sqlite3'
import type { MetricRow } from '../../src/services/runs/schemas.ts'
import { tempDir } from '../support/daemon.ts'
import { freshDatabase, type TestDatabase } from '../support/postgres.ts'

const device = { id: 'dev-1', n: 1, kind: 'sim-xy', name: null, createdAt: 'now', spec: {}, network: {}, params: null, owner: 'lab-a' }
const run = (n: number): RunRow => ({
  id: `run-${n}`, n, deviceId: 'dev-1', label: null, client: 'c', task: 'xor', state: 'queued', stateReason: null, interrupted: false,
  createdAt: 'now', startedAt: null, endedAt: null, updatedAt: 'now', request: {}, config: {}, provenance: null,
  progress: { epoch: 0, epochs: 1, batch: 0, batches: 1, step: 0, steps: 1, fraction: 0 }, lastMetrics: { batch: null, epoch: null, eval: null }, result: null, error: null,
})
const metric = (kind: MetricRow['kind'], epoch: number, step: number): MetricRow => ({
  kind, epoch, batch: kind === 'batch' ? step : null, step, split: null, samples: 4, distance: step + 0.1, cost: 0, accuracy: 1, settled: 1, dropped: 0, fallback: 0, mse: null, r2: null, timeS: null, t: Date.now(),
})

const dbs: TestDatabase[] = []
after(async () => { for (const d of dbs) await d.drop() })

/** Each backend: how to open a fresh store, and how to reopen the same one. */
const BACKENDS: { name: string; fresh: () => Promise<{ open: () => Promise<Store> }> }[] = [
  { name: 'sqlite', fresh: async () => { const path = join(tempDir('store'), 'x.sqlite'); return { open: () => openStore(path) } } },
  { name: 'postgres', fresh: async () => { const d = await freshDatabase(); dbs.push(d); return { open: () => openStore(d.url) } } },
]

for (const backend of BACKENDS) {
  describe(`store (${backend.name})`, () => {
    it('creates the schema and reopens without migrating twice', async () => {
      const where = await backend.fresh()
      const a = await where.open()
      assert.equal(a.kind, backend.name)
      assert.equal(a.shared, backend.name === 'postgres')
      await a.devices.insert(device)
      await a.close()
      const b = await where.open()
      assert.deepEqual((await b.devices.attached()).map((d) => d.id), ['dev-1'])
      assert.deepEqual((await b.devices.attached('lab-b')).map((d) => d.id), [], 'filtered by owner')
      assert.equal(await b.tx((t) => t.devices.nextN()), 2)
      await b.close()
    })

    it('rolls a failed transaction back whole, and keeps calls made outside it out of it', async () => {
      const s = await (await backend.fresh()).open()
      await s.devices.insert(device)
      let outside: Promise<void> | null = null
      await assert.rejects(s.tx(async (t) => {
        await t.runs.insert(run(1))
        // a call on the store itself, while the transaction is open: it must not be rolled back with it
        outside = s.datasets.insert({ name: 'kept', description: 'd', createdAt: 'now', data: { x: 1 } })
        await t.runs.insert(run(1)) // same id: the constraint fails
      }))
      await outside
      assert.equal((await s.runs.list()).length, 0)
      assert.deepEqual((await s.datasets.names()).map((d) => d.name), ['kept'])
      await s.close()
    })

    it('keeps the newest checkpoints only, and drops metrics written after a checkpoint', async () => {
      const s = await (await backend.fresh()).open()
      await s.devices.insert(device)
      await s.runs.insert(run(1))
      for (let k = 1; k <= 5; k++) await s.runs.insertCheckpoint('run-1', { seq: k, reason: 'periodic', epoch: 0, batch: k, step: k, at: 'now' }, { k }, 2)
      assert.deepEqual((await s.runs.lastCheckpoint('run-1'))?.data, { k: 5 })
      assert.equal(await s.runs.checkpointCount('run-1'), 2)
      for (let step = 1; step <= 6; step++) await s.runs.insertMetric('run-1', metric('batch', step <= 3 ? 1 : 2, step))
      await s.runs.insertMetric('run-1', metric('epoch', 1, 3))
      await s.runs.insertMetric('run-1', metric('epoch', 2, 6))
      await s.runs.truncateMetrics('run-1', 4, 1)
      const rows = await s.runs.metrics('run-1')
      assert.deepEqual(rows.map((m) => `${m.kind}${m.step}`), ['batch1', 'batch2', 'batch3', 'batch4', 'epoch3'])
      assert.equal(rows[0].distance, 1.1, 'doubles come back exact')
      assert.equal(typeof rows[0].t, 'number')
      await s.close()
    })

    it('writes many metric rows and events in one call, in order, and clears a run\'s series (a study trial trained again)', async () => {
      const s = await (await backend.fresh()).open()
      await s.devices.insert(device)
      await s.runs.insert(run(1))
      const rows = Array.from({ length: 1203 }, (_, k) => metric(k % 2 ? 'epoch' : 'batch', 1 + (k >> 1), k + 1))
      await s.runs.insertMetrics('run-1', rows)
      assert.deepEqual((await s.runs.metrics('run-1')).map((m) => `${m.kind}${m.step}`), rows.map((m) => `${m.kind}${m.step}`))
      await s.runs.appendEvents('run-1', rows.map((m, k) => ({ seq: k + 1, type: m.kind, data: { row: m }, t: k })))
      const events = await s.runs.eventsSince('run-1', 1200)
      assert.deepEqual(events.map((e) => e.seq), [1201, 1202, 1203])
      assert.deepEqual(events[2].data, { row: rows[1202] })
      await s.runs.insertCheckpoint('run-1', { seq: 1, reason: 'periodic', epoch: 0, batch: 1, step: 1, at: 'now' }, {}, 2)
      await s.runs.clearSeries('run-1')
      assert.deepEqual([await s.runs.metrics('run-1'), await s.runs.eventsSince('run-1', 0), await s.runs.checkpointCount('run-1')], [[], [], 0])
      assert.equal((await s.runs.get('run-1'))?.id, 'run-1', 'the run itself stays')
      await s.close()
    })

    it('lists run summaries and the last checkpoint info without their heavy JSON, equal to the full rows', async () => {
      const s = await (await backend.fresh()).open()
      await s.devices.insert(device)
      await s.runs.insert(run(1))
      await s.runs.insert({ ...run(2), state: 'done', interrupted: true, config: { lr: 0.1 }, provenance: { network: { nodes: 3 } } as never, result: { epochs: 1 } as never })
      await s.runs.insertCheckpoint('run-2', { seq: 1, reason: 'epoch', epoch: 1, batch: 0, step: 3, at: 'then' }, { big: [1, 2, 3] }, 3)
      const full = (await s.runs.list()).map(({ request: _q, config: _c, provenance: _p, result: _r, ...rest }) => rest)
      assert.deepEqual(await s.runs.summaries(), full)
      assert.equal(full[1].interrupted, true)
      assert.deepEqual((await s.runs.summaries({ state: 'done' })).map((r) => r.id), ['run-2'])
      assert.deepEqual((await s.runs.list({ owner: 'lab-a' })).map((r) => r.id), ['run-1', 'run-2'])
      assert.deepEqual(await s.runs.list({ owner: 'lab-b' }), [])
      assert.deepEqual(await s.runs.countByState(), { queued: 1, done: 1 })
      assert.deepEqual(await s.runs.lastCheckpointInfo('run-2'), (await s.runs.lastCheckpoint('run-2'))?.info)
      assert.equal(await s.runs.lastCheckpointInfo('run-1'), null)
      await s.close()
    })

    it('gives a lease to one holder at a time until it expires, renews only the holder', async () => {
      const s = await (await backend.fresh()).open()
      const t0 = 1_000_000
      assert.equal(await s.leases.take('daemon:x', 'p1', 10, { pid: 1 }, t0), true)
      assert.equal(await s.leases.take('daemon:x', 'p2', 10, null, t0 + 5000), false, 'held by p1')
      assert.equal(await s.leases.take('daemon:x', 'p1', 10, null, t0 + 5000), true, 'p1 takes it again')
      assert.equal(await s.leases.renew('daemon:x', 'p2', 10, t0 + 6000), false)
      assert.equal(await s.leases.renew('daemon:x', 'p1', 10, t0 + 6000), true)
      assert.equal(await s.leases.take('daemon:x', 'p2', 10, null, t0 + 15_000), false, 'renewed to t0+16 s')
      assert.equal(await s.leases.take('daemon:x', 'p2', 10, { pid: 2 }, t0 + 16_001), true, 'expired: p2 takes it')
      assert.equal((await s.leases.get('daemon:x'))?.holder, 'p2')
      await s.leases.release('daemon:x', 'p1')
      assert.equal((await s.leases.get('daemon:x'))?.holder, 'p2', 'only the holder releases')
      // what an adopting daemon looks for: daemon names run out at a time, other leases not
      await s.leases.take('daemon:y_1', 'p3', 100, null, t0)
      await s.leases.take('board:mqtt:b1', 'x', 1, null, t0)
      assert.deepEqual((await s.leases.expired('daemon:', t0 + 30_000)).map((l) => `${l.name}=${l.holder}`), ['daemon:x=p2'])
      assert.deepEqual((await s.leases.expired('daemon:', t0 + 200_000)).map((l) => l.name), ['daemon:x', 'daemon:y_1'])
      assert.equal(await s.leases.transfer('board:mqtt:b1', 'p9', 'y'), false, 'only from its holder')
      assert.equal(await s.leases.transfer('board:mqtt:b1', 'x', 'y'), true)
      assert.equal((await s.leases.get('board:mqtt:b1'))?.holder, 'y')
      await s.close()
    })

    it('keeps a regression row\'s mse and r2, and null for a classification row', async () => {
      const s = await (await backend.fresh()).open()
      await s.devices.insert(device)
      await s.runs.insert(run(1))
      await s.runs.insertMetric('run-1', { ...metric('eval', 1, 3), split: 'test', accuracy: 0, mse: 0.0425, r2: 0.8125 })
      await s.runs.insertMetric('run-1', metric('epoch', 1, 3))
      const [reg, cls] = await s.runs.metrics('run-1')
      assert.equal(reg.mse, 0.0425)
      assert.equal(reg.r2, 0.8125)
      assert.equal(cls.mse, null)
      assert.equal(cls.r2, null)
      await s.close()
    })

    it('draws distinct numbers for concurrent inserts', async () => {
      const where = await backend.fresh()
      const a = await where.open()
      // on PostgreSQL a second pool: two daemons; on SQLite one process owns the file
      const b = backend.name === 'postgres' ? await where.open() : a
      const add = (s: Store, name: string) => s.tx(async (t) => {
        const n = await t.devices.nextN()
        await t.devices.insert({ ...device, id: `dev-${n}`, n, name })
        return n
      })
      const ns = await Promise.all(Array.from({ length: 8 }, (_, k) => add(k % 2 ? a : b, `d${k}`)))
      assert.deepEqual([...ns].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8])
      if (b !== a) await b.close()
      await a.close()
    })
  })
}

describe('store (postgres migrations)', () => {
  it('records each numbered migration once; applying them again, even concurrently, changes nothing', async () => {
    const d = await freshDatabase()
    dbs.push(d)
    const pool = new pg.Pool({ connectionString: d.url, max: 3 })
    try {
      const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()])
      const reached = await Promise.all(clients.map((c) => migrate(c)))
      assert.deepEqual(reached, clients.map(() => PG_MIGRATIONS.length))
      assert.equal(await migrate(clients[0]), PG_MIGRATIONS.length)
      for (const c of clients) c.release()
      const versions = (await pool.query('SELECT version FROM schema_version ORDER BY version')).rows.map((r) => r.version)
      assert.deepEqual(versions, PG_MIGRATIONS.map((_, k) => k + 1))
      const s = await PostgresStore.open(d.url)
      assert.equal(await s.schemaVersion(), PG_MIGRATIONS.length)
      await s.close()
    } finally { await pool.end() }
  })

  it('migration 2 adds mse and r2 to a version-1 database; its rows read back null', async () => {
    const d = await freshDatabase()
    dbs.push(d)
    const s = await PostgresStore.open(d.url)
    await s.devices.insert(device)
    await s.runs.insert(run(1))
    await s.runs.insertMetric('run-1', metric('epoch', 1, 3))
    await s.close()
    // back to version 1 as a database written before migration 2 has it
    const c = new pg.Client({ connectionString: d.url })
    await c.connect()
    await c.query('ALTER TABLE metrics DROP COLUMN mse, DROP COLUMN r2')
    await c.query('DELETE FROM schema_version WHERE version > 1')
    await c.end()
    const t = await PostgresStore.open(d.url)
    assert.equal(await t.schemaVersion(), PG_MIGRATIONS.length)
    const [old] = await t.runs.metrics('run-1')
    assert.deepEqual([old.distance, old.mse, old.r2], [3.1, null, null])
    await t.close()
  })

  it('refuses a database whose schema is newer than this version knows', async () => {
    const d = await freshDatabase()
    dbs.push(d)
    const s = await PostgresStore.open(d.url)
    await s.close()
    const c = new pg.Client({ connectionString: d.url })
    await c.connect()
    await c.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)', [PG_MIGRATIONS.length + 1, 'later'])
    await c.end()
    await assert.rejects(PostgresStore.open(d.url), /EQP_ERR_BAD_INPUT|schema version \d+ is newer/)
  })

  it('names the store and the reason when the server or database is not there, without the password', async () => {
    await assert.rejects(openStore('postgres://postgres:secret@127.0.0.1:5432/eqp_test_no_such_db'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'EQP_ERR_BAD_INPUT')
      assert.match(e.message, /^store: cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/eqp_test_no_such_db/)
      assert.match(e.message, /does not exist/)
      assert.doesNotMatch(e.message, /secret/)
      return true
    })
    await assert.rejects(openStore('mysql://x@y/z'), /store: 'mysql:\/\/' is not a store/)
  })
})

describe('store (sqlite file)', () => {
  it('opens the file in WAL mode at the newest schema version', async () => {
    const s = new SqliteStore(join(tempDir('store'), 'w.sqlite'))
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal')
    assert.equal(s.db.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length)
    await s.close()
  })

  it('migration 3 adds mse and r2 to a version-2 file; its rows read back null', async () => {
    const path = join(tempDir('store'), 'old.sqlite')
    const s = new SqliteStore(path)
    await s.devices.insert(device)
    await s.runs.insert(run(1))
    await s.runs.insertMetric('run-1', metric('epoch', 1, 3))
    await s.close()
    // back to version 2 as a file written before migration 3 has it
    const db = new Database(path)
    db.exec('ALTER TABLE metrics DROP COLUMN mse; ALTER TABLE metrics DROP COLUMN r2')
    db.pragma('user_version = 2')
    db.close()
    const t = new SqliteStore(path)
    assert.equal(t.db.pragma('user_version', { simple: true }), 3)
    const [old] = await t.runs.metrics('run-1')
    assert.deepEqual([old.distance, old.mse, old.r2], [3.1, null, null])
    await t.close()
  })
})
