import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Store } from '../../src/services/store/index.ts'
import type { RunRow } from '../../src/services/store/index.ts'
import type { MetricRow } from '../../src/services/runs/schemas.ts'
import { tempDir } from '../support/daemon.ts'

const device = { id: 'dev-1', n: 1, kind: 'sim-xy', name: null, createdAt: 'now', spec: {}, network: {}, params: null }
const run = (n: number): RunRow => ({
  id: `run-${n}`, n, deviceId: 'dev-1', label: null, client: 'c', task: 'xor', state: 'queued', stateReason: null, interrupted: false,
  createdAt: 'now', startedAt: null, endedAt: null, updatedAt: 'now', request: {}, config: {}, provenance: null,
  progress: { epoch: 0, epochs: 1, batch: 0, batches: 1, step: 0, steps: 1, fraction: 0 }, lastMetrics: { batch: null, epoch: null, eval: null }, result: null, error: null,
})
const metric = (kind: MetricRow['kind'], epoch: number, step: number): MetricRow => ({
  kind, epoch, batch: kind === 'batch' ? step : null, step, split: null, samples: 4, distance: step, cost: 0, accuracy: 1, settled: 1, dropped: 0, fallback: 0, timeS: null, t: 0,
})

describe('store', () => {
  it('opens the file in WAL mode with the schema, and reopens it without migrating twice', () => {
    const path = join(tempDir('store'), 'x.sqlite')
    const a = new Store(path)
    assert.equal(a.db.pragma('journal_mode', { simple: true }), 'wal')
    assert.equal(a.db.pragma('user_version', { simple: true }), 1)
    a.devices.insert(device)
    a.close()
    const b = new Store(path)
    assert.equal(b.devices.attached().length, 1)
    assert.equal(b.devices.nextN(), 2)
    b.close()
  })

  it('rolls a failed transaction back whole', () => {
    const s = new Store(':memory:')
    s.devices.insert(device)
    assert.throws(() => s.tx(() => {
      s.runs.insert(run(1))
      s.runs.insert(run(1)) // same id: the constraint fails
    }))
    assert.equal(s.runs.list().length, 0)
    s.close()
  })

  it('keeps the newest checkpoints only, and drops metrics written after a checkpoint', () => {
    const s = new Store(':memory:')
    s.devices.insert(device)
    s.runs.insert(run(1))
    for (let k = 1; k <= 5; k++) s.runs.insertCheckpoint('run-1', { seq: k, reason: 'periodic', epoch: 0, batch: k, step: k, at: 'now' }, { k }, 2)
    assert.deepEqual(s.runs.lastCheckpoint('run-1')?.data, { k: 5 })
    assert.equal((s.db.prepare("SELECT COUNT(*) AS c FROM checkpoints").get() as { c: number }).c, 2)
    for (let step = 1; step <= 6; step++) s.runs.insertMetric('run-1', metric('batch', step <= 3 ? 1 : 2, step))
    s.runs.insertMetric('run-1', metric('epoch', 1, 3))
    s.runs.insertMetric('run-1', metric('epoch', 2, 6))
    s.runs.truncateMetrics('run-1', 4, 1)
    assert.deepEqual(s.runs.metrics('run-1').map((m) => `${m.kind}${m.step}`), ['batch1', 'batch2', 'batch3', 'batch4', 'epoch3'])
    s.close()
  })

  it('lists run summaries and the last checkpoint info without their heavy JSON, equal to the full rows', () => {
    const s = new Store(':memory:')
    s.devices.insert(device)
    s.runs.insert(run(1))
    s.runs.insert({ ...run(2), state: 'done', config: { lr: 0.1 }, provenance: { network: { nodes: 3 } } as never, result: { epochs: 1 } as never })
    s.runs.insertCheckpoint('run-2', { seq: 1, reason: 'epoch', epoch: 1, batch: 0, step: 3, at: 'then' }, { big: [1, 2, 3] }, 3)
    const full = s.runs.list().map(({ request: _q, config: _c, provenance: _p, result: _r, ...rest }) => rest)
    assert.deepEqual(s.runs.summaries(), full)
    assert.deepEqual(s.runs.summaries({ state: 'done' }).map((r) => r.id), ['run-2'])
    assert.deepEqual(s.runs.lastCheckpointInfo('run-2'), s.runs.lastCheckpoint('run-2')?.info)
    assert.equal(s.runs.lastCheckpointInfo('run-1'), null)
    s.close()
  })
})
