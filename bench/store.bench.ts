// The store under a training run's write pattern: one transaction per step (a metric row, the run
// row's progress and last metrics, the step's event), on the SQLite file and on PostgreSQL
// (127.0.0.1:5432, a database created and dropped here). CPU seconds are this process's only; the
// PostgreSQL server's own work runs in its processes, so compare wall time with that in mind.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openStore, type Store } from '../src/services/store/index.ts'
import type { MetricRow } from '../src/services/runs/schemas.ts'
import { emit, r3 } from './http-load.ts'

const STEPS = 1000
const SERVER = process.env.EQP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432'

async function steps(store: Store, label: string): Promise<void> {
  await store.devices.insert({ id: 'dev-1', n: 1, kind: 'sim-xy', name: null, createdAt: 'now', spec: {}, network: {}, params: null, owner: 'bench' })
  const progress = { epoch: 0, epochs: 1, batch: 0, batches: STEPS, step: 0, steps: STEPS, fraction: 0 }
  await store.runs.insert({
    id: 'run-1', n: 1, deviceId: 'dev-1', label: null, client: 'bench', task: 'iris', state: 'running', stateReason: null, interrupted: false,
    createdAt: 'now', startedAt: 'now', endedAt: null, updatedAt: 'now', request: {}, config: {}, provenance: null, progress, lastMetrics: { batch: null, epoch: null, eval: null }, result: null, error: null,
  })
  const cpu0 = process.cpuUsage(), t0 = performance.now()
  for (let s = 1; s <= STEPS; s++) {
    const row: MetricRow = { kind: 'batch', epoch: 1, batch: s, step: s, split: null, samples: 16, distance: 1 / s, cost: 0.5, accuracy: 0.75, settled: 1, dropped: 0, fallback: 0, mse: null, r2: null, timeS: null, t: Date.now() }
    await store.tx(async (t) => {
      await t.runs.insertMetric('run-1', row)
      await t.runs.update('run-1', { progress: { ...progress, step: s, batch: s, fraction: s / STEPS }, lastMetrics: { batch: row, epoch: null, eval: null }, updatedAt: 'now' })
      await t.runs.appendEvent('run-1', s, 'batch', { type: 'batch', row }, row.t)
    })
  }
  const cpu = process.cpuUsage(cpu0), wall = performance.now() - t0
  const r0 = process.cpuUsage(), w0 = performance.now()
  const rows = await store.runs.metrics('run-1')
  const readCpu = process.cpuUsage(r0), readWall = performance.now() - w0
  emit({
    bench: `store-step-tx-${label}`, workload: `${STEPS} step transactions (metric row + run row + event), then read back ${rows.length} metric rows`,
    cpu_ms_per_tx: r3((cpu.user + cpu.system) / 1000 / STEPS), wall_ms_per_tx: r3(wall / STEPS),
    read_cpu_ms: r3((readCpu.user + readCpu.system) / 1000), read_wall_ms: r3(readWall),
  })
}

const dir = mkdtempSync(join(tmpdir(), 'eqprop-store-bench-'))
try {
  const s = await openStore(join(dir, 'bench.sqlite'))
  await steps(s, 'sqlite')
  await s.close()
} finally { rmSync(dir, { recursive: true, force: true }) }

const name = `eqp_test_${randomBytes(6).toString('hex')}`
const admin = new pg.Client({ connectionString: `${SERVER}/postgres` })
await admin.connect()
await admin.query(`CREATE DATABASE ${name}`)
try {
  const s = await openStore(`${SERVER}/${name}`)
  await steps(s, 'postgres')
  await s.close()
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.end()
}
