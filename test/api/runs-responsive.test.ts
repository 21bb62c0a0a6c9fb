// The daemon stays responsive while a run with long steps trains (its simulator runs in a simulator
// thread), and a pause or cancel lands inside the step under way instead of at its end. Assertions
// are on order (what had happened when a request completed), never on durations.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { inProcessDaemon } from '../support/daemon.ts'

// one step relaxes batchSize x mInit = 1024 samples per phase, in one relax call (slice 4096): a fifth of a
// second of compute per call on a 4x4 lattice. The symmetric estimator makes three calls per step (free,
// +beta, -beta), so once the first has come back the second is in flight and the step is not over.
const LONG = { task: 'iris', seed: 1, optimiser: { kind: 'adam' as const }, lr: 0.02, batchSize: 16, mInit: 64, estimator: 'symmetric', epochs: 2 }

describe('a run with long steps', () => {
  let d: Daemon
  before(async () => {
    d = await inProcessDaemon({ slice: 4096, checkpointEvery: 1 })
    for (let k = 0; k < 2; k++) assert.equal((await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 } })).statusCode, 201)
  })
  after(async () => { await d.close() })
  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown) => d.app.inject({ method, url, payload: payload as object })
  const relaxCalls = async (dev: string): Promise<number> => (await inject('GET', `/devices/${dev}`)).json().stats.relaxCalls
  /** Waits (by polling, with no deadline of its own) until the device's first relax call has come back,
   *  then until the second has been sent: the run queued its turn of the event loop (setImmediate) for it
   *  in the same turn as it counted the first, so it comes before ours. */
  async function secondCallInFlight(dev: string): Promise<void> {
    while (await relaxCalls(dev) < 1) await new Promise((r) => setTimeout(r, 5))
    await new Promise((r) => setImmediate(r))
  }

  it('answers GET /runs while a relax call is under way, and pauses inside that step', async () => {
    const run = (await inject('POST', '/runs', { device: 'dev-1', ...LONG })).json()
    await secondCallInFlight('dev-1')
    for (let k = 0; k < 3; k++) {
      const r = await inject('GET', '/runs')
      assert.equal(r.statusCode, 200)
      assert.equal(r.json().runs.find((x: { id: string }) => x.id === run.id).state, 'running')
    }
    // all three were answered before the step's second relax call came back (in the main thread, each
    // would have waited for it)
    assert.equal(await relaxCalls('dev-1'), 1)
    const p = await inject('POST', `/runs/${run.id}/pause`)
    assert.equal(p.statusCode, 200, p.body)
    const paused = p.json()
    assert.equal(paused.state, 'paused')
    // the pause landed inside step 1 (after the relax call in flight), not at its end
    assert.equal(paused.progress.step, 0)
    assert.deepEqual([paused.checkpoint.reason, paused.checkpoint.step], ['stop', 0])
    assert.equal(await relaxCalls('dev-1'), 2)
    assert.equal((await inject('POST', `/runs/${run.id}/cancel`)).json().state, 'cancelled')
  })

  it('cancels inside the step under way and frees the device', async () => {
    const run = (await inject('POST', '/runs', { device: 'dev-2', ...LONG })).json()
    await secondCallInFlight('dev-2')
    const c = await inject('POST', `/runs/${run.id}/cancel`)
    assert.equal(c.statusCode, 200, c.body)
    assert.equal(c.json().state, 'cancelled')
    assert.equal(c.json().progress.step, 0)
    assert.equal(await relaxCalls('dev-2'), 2, 'the relax call in flight finished, no other began')
    assert.equal((await inject('GET', '/devices/dev-2')).json().lease, null)
    assert.deepEqual((await inject('GET', `/runs/${run.id}/metrics`)).json().rows, [])
  })
})
