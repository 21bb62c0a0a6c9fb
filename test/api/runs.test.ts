import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { trainOnSimulator } from '../../src/services/training.ts'
import { inProcessDaemon } from '../support/daemon.ts'

const HP = { seed: 1, optimiser: { kind: 'adam' as const }, lr: 0.02, batchSize: 16 }
const IRIS = { task: 'iris', ...HP }

describe('runs API', () => {
  let d: Daemon
  before(async () => {
    d = await inProcessDaemon({ checkpointEvery: 5 })
    for (let k = 0; k < 3; k++) {
      const r = await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 } })
      assert.equal(r.statusCode, 201)
    }
  })
  after(async () => { await d.close() })
  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    d.app.inject({ method, url, payload: payload as object, headers })
  const idle = (id: string) => d.services.runs.idle(id)

  it('answers 202 with the run, trains it in the background, and records provenance and the result', async () => {
    const r = await inject('POST', '/runs', { device: 'dev-1', ...IRIS, epochs: 3, label: 'first' }, { 'x-eqp-client': 'alice' })
    assert.equal(r.statusCode, 202, r.body)
    const run = r.json()
    assert.equal(run.id, 'run-1')
    assert.equal(run.client, 'alice')
    assert.ok(['queued', 'running'].includes(run.state))
    await idle(run.id)
    const v = (await inject('GET', '/runs/run-1')).json()
    assert.equal(v.state, 'done')
    assert.deepEqual(v.progress, { epoch: 3, epochs: 3, batch: 0, batches: 8, step: 24, steps: 24, fraction: 1 })
    assert.equal(v.lastMetrics.eval.kind, 'eval')
    assert.equal(v.lastMetrics.eval.samples, 30)
    assert.equal(v.result.epochs, 3)
    assert.equal(v.provenance.versions.node, process.version)
    assert.match(v.provenance.versions.sqlite, /^3\./)
    assert.equal(v.provenance.task.trainRows, 120)
    assert.equal(v.provenance.device.id, 'dev-1')
    assert.equal(v.config.lr, 0.02)
    assert.equal(v.config.epochs, 3)
    // the daemon trains exactly what `eqprop-hil train` would, given the same network and seed
    const ref = await trainOnSimulator(v.provenance.network, { task: 'iris', train: TrainConfig.parse({ ...HP, epochs: 3 }) })
    assert.deepEqual(v.result.network, ref.network)
    // the device keeps the trained couplings
    assert.deepEqual((await inject('GET', '/devices/dev-1/params')).json().weights, ref.network.weights)
  })

  it('queues a second run on a busy device and starts it when the first ends', async () => {
    const a = (await inject('POST', '/runs', { device: 'dev-2', ...IRIS, epochs: 2 })).json()
    const b = (await inject('POST', '/runs', { device: 'dev-2', ...IRIS, epochs: 1 })).json()
    assert.equal(b.state, 'queued')
    const dev = (await inject('GET', '/devices/dev-2')).json()
    assert.equal(dev.lease.run, a.id)
    assert.deepEqual(dev.queued, [b.id])
    await idle(a.id)
    await idle(b.id)
    assert.equal((await inject('GET', `/runs/${b.id}`)).json().state, 'done')
    const runs = (await inject('GET', '/runs?device=dev-2&state=done')).json().runs
    assert.deepEqual(runs.map((r: { id: string }) => r.id), [a.id, b.id])
    assert.equal((await inject('GET', '/devices/dev-2')).json().lease, null)
  })

  it('pauses at a step boundary, holds the device while paused, and resumes to the same parameters as an unpaused run', async () => {
    const r = (await inject('POST', '/runs', { device: 'dev-3', ...IRIS, epochs: 12, checkpointEvery: 3 })).json()
    const p = await inject('POST', `/runs/${r.id}/pause`)
    assert.equal(p.statusCode, 200, p.body)
    const paused = p.json()
    assert.equal(paused.state, 'paused')
    assert.ok(paused.progress.step < 96, 'paused before the end')
    assert.equal(paused.checkpoint.step, paused.progress.step, 'the checkpoint is where it stopped')
    assert.equal((await inject('GET', '/devices/dev-3')).json().lease.run, r.id)
    assert.equal((await inject('POST', `/runs/${r.id}/pause`)).statusCode, 409)
    const res = await inject('POST', `/runs/${r.id}/resume`)
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().state, 'running')
    await idle(r.id)
    const v = (await inject('GET', `/runs/${r.id}`)).json()
    assert.equal(v.state, 'done')
    const ref = await trainOnSimulator(v.provenance.network, { task: 'iris', train: TrainConfig.parse({ ...HP, epochs: 12 }) })
    assert.deepEqual(v.result.network, ref.network)
    // one metrics row per step and per epoch, no duplicates from the pause
    const rows = (await inject('GET', `/runs/${r.id}/metrics?kind=batch`)).json().rows
    assert.deepEqual(rows.map((x: { step: number }) => x.step), Array.from({ length: 96 }, (_, k) => k + 1))
    const states = (await inject('GET', `/runs/${r.id}/metrics?kind=epoch`)).json().rows.map((x: { epoch: number }) => x.epoch)
    assert.deepEqual(states, Array.from({ length: 12 }, (_, k) => k + 1))
  })

  it('cancels a running run, releases its device, and refuses to cancel twice', async () => {
    const r = (await inject('POST', '/runs', { device: 'dev-3', ...IRIS, epochs: 50 })).json()
    const c = await inject('POST', `/runs/${r.id}/cancel`)
    assert.equal(c.statusCode, 200, c.body)
    assert.equal(c.json().state, 'cancelled')
    assert.equal((await inject('GET', '/devices/dev-3')).json().lease, null)
    const again = await inject('POST', `/runs/${r.id}/cancel`)
    assert.equal(again.statusCode, 409)
    assert.match(again.json().message, /cancelled -> cancelled/)
    const queued = (await inject('POST', '/runs', { device: 'dev-3', ...IRIS, epochs: 50 })).json()
    const waiting = (await inject('POST', '/runs', { device: 'dev-3', ...IRIS, epochs: 1 })).json()
    assert.equal(waiting.state, 'queued')
    assert.equal((await inject('POST', `/runs/${waiting.id}/cancel`)).json().state, 'cancelled')
    assert.equal((await inject('POST', `/runs/${queued.id}/cancel`)).json().state, 'cancelled')
  })

  it('serves metrics as JSON and as CSV with the same rows', async () => {
    const json = (await inject('GET', '/runs/run-1/metrics')).json()
    assert.deepEqual(json.columns.slice(0, 4), ['kind', 'epoch', 'batch', 'step'])
    assert.equal(json.rows.filter((r: { kind: string }) => r.kind === 'batch').length, 24)
    const csv = await inject('GET', '/runs/run-1/metrics', undefined, { accept: 'text/csv' })
    assert.match(String(csv.headers['content-type']), /^text\/csv/)
    const lines = csv.body.trim().split('\n')
    assert.equal(lines[0], 'kind,epoch,batch,step,split,samples,distance,cost,accuracy,settled,dropped,fallback,mse,r2,time_s,t')
    assert.equal(lines.length, json.rows.length + 1)
    const firstEval = json.rows.find((r: { kind: string }) => r.kind === 'eval')
    const evalLine = lines.find((l: string) => l.startsWith('eval,'))!.split(',')
    assert.equal(Number(evalLine[8]), firstEval.accuracy)
    assert.equal(evalLine[2], '', 'null batch is an empty cell')
    const since = (await inject('GET', '/runs/run-1/metrics?format=csv&kind=batch&since=20')).body.trim().split('\n')
    assert.deepEqual(since.slice(1).map((l: string) => Number(l.split(',')[3])), [21, 22, 23, 24])
  })

  it('lays a lattice snapshot out on its grid: phases rows x cols, horizontal and vertical bonds', async () => {
    const s = (await inject('GET', '/runs/run-1/snapshot')).json()
    assert.equal(s.source, 'result')
    const g = s.grid
    assert.equal(g.rows, 4)
    assert.equal(g.phases.length, 4)
    assert.equal(g.phases[0].length, 4)
    assert.deepEqual([g.horizontal.length, g.horizontal[0].length, g.vertical.length, g.vertical[0].length], [4, 3, 3, 4])
    assert.deepEqual(g.other, [])
    // every coupling appears once, at the grid position of its edge
    s.edges.forEach(([i, j]: [number, number], k: number) => {
      const [r, c] = [Math.floor(i / 4), i % 4]
      const v = j === i + 1 ? g.horizontal[r][c] : g.vertical[r][c]
      assert.equal(v, s.couplings[k])
    })
    assert.equal(g.phases[1][2], s.phases[6])
  })

  it('serves OpenAPI from the zod schemas and the Swagger UI', async () => {
    const doc = (await inject('GET', '/openapi.json')).json()
    assert.equal(doc.openapi, '3.0.3')
    const post = doc.paths['/runs'].post
    assert.ok(post.requestBody.content['application/json'].schema.properties.estimator)
    assert.ok(doc.paths['/devices/{id}/relax'].post.responses['200'])
    const ui = await inject('GET', '/docs')
    assert.equal(ui.statusCode, 200)
    assert.match(ui.body, /swagger/i)
  })

  it('counts runs by state and relaxations in /health and /metrics', async () => {
    const h = (await inject('GET', '/health')).json()
    assert.equal(h.status, 'ok')
    assert.equal(h.runs.done, 4)
    assert.equal(h.runs.cancelled, 3)
    // the dense-kernel backend: typed-array unless something called initDenseBackend (the daemon does)
    assert.ok(['node', 'wasm', 'cpu', 'typed-array'].includes(h.kernels.dense), h.kernels.dense)
    const m = (await inject('GET', '/metrics')).body
    assert.match(m, /^eqp_runs\{state="done"\} 4$/m)
    const relaxed = Number(/^eqp_relaxations_total (\d+)$/m.exec(m)![1])
    assert.ok(relaxed > 1000, `${relaxed} relaxations`)
  })
})
