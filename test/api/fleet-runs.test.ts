import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { trainOnSimulator } from '../../src/services/training.ts'
import { inProcessDaemon } from '../support/daemon.ts'

const HP = { seed: 2, optimiser: { kind: 'adam' as const }, lr: 0.02, batchSize: 16 }

describe('fleet runs (one network on several devices)', () => {
  let d: Daemon
  before(async () => {
    d = await inProcessDaemon({ checkpointEvery: 5 })
    for (let k = 0; k < 3; k++) {
      const r = await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', builder: 'layered:4,5,3', task: 'iris', seed: 1 } })
      assert.equal(r.statusCode, 201)
    }
    await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', builder: 'layered:4,6,3', task: 'iris', seed: 1 } })
  })
  after(async () => { await d.close() })
  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown) => d.app.inject({ method, url, payload: payload as object })

  it('trains on three devices, holds all of them, and ends where one simulator given the full batches ends', async () => {
    const r = await inject('POST', '/runs', { device: 'dev-1', fleet: ['dev-2', 'dev-3'], task: 'iris', ...HP, epochs: 2 })
    assert.equal(r.statusCode, 202, r.body)
    const run = r.json()
    // while it runs (or waits), each member is leased to it
    for (const id of ['dev-1', 'dev-2', 'dev-3']) {
      const lease = (await inject('GET', `/devices/${id}`)).json().lease
      if (lease) assert.equal(lease.run, run.id)
    }
    await d.services.runs.idle(run.id)
    const v = (await inject('GET', `/runs/${run.id}`)).json()
    assert.equal(v.state, 'done', v.stateReason)
    assert.deepEqual(v.provenance.fleet.map((m: { id: string }) => m.id), ['dev-1', 'dev-2', 'dev-3'])
    const ref = await trainOnSimulator(v.provenance.network, { task: 'iris', train: TrainConfig.parse({ ...HP, epochs: 2 }) })
    assert.deepEqual(v.result.network.weights, ref.network.weights)
    // every board holds the trained parameters, and none is leased any more
    for (const id of ['dev-1', 'dev-2', 'dev-3']) {
      assert.deepEqual((await inject('GET', `/devices/${id}/params`)).json().weights, ref.network.weights)
      assert.equal((await inject('GET', `/devices/${id}`)).json().lease, null)
    }
    // each member relaxed shards of the batches
    for (const id of ['dev-2', 'dev-3']) assert.ok((await inject('GET', `/devices/${id}`)).json().stats.relaxSamples > 0)
  })

  it('refuses a fleet whose devices differ, naming the difference, and unknown members', async () => {
    const bad = await inject('POST', '/runs', { device: 'dev-1', fleet: ['dev-4'], task: 'iris', ...HP, epochs: 1 })
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().code, 'EQP_ERR_FLEET_MISMATCH')
    assert.match(bad.json().message, /'dev-4' differs from 'dev-1'/)
    const missing = await inject('POST', '/runs', { device: 'dev-1', fleet: ['dev-9'], task: 'iris', ...HP, epochs: 1 })
    assert.equal(missing.statusCode, 404)
    assert.match(missing.json().message, /dev-9/)
  })

  it('waits for a busy member before it starts', async () => {
    const solo = (await inject('POST', '/runs', { device: 'dev-2', task: 'iris', ...HP, epochs: 2 })).json()
    const fleet = (await inject('POST', '/runs', { device: 'dev-1', fleet: ['dev-2'], task: 'iris', ...HP, epochs: 1 })).json()
    // dev-2 is held by the solo run: the fleet run cannot have started before the solo run ended
    await d.services.runs.idle(solo.id)
    await d.services.runs.idle(fleet.id)
    const a = (await inject('GET', `/runs/${solo.id}`)).json(), b = (await inject('GET', `/runs/${fleet.id}`)).json()
    assert.equal(b.state, 'done')
    assert.ok(Date.parse(b.startedAt) >= Date.parse(a.endedAt), `${b.startedAt} vs ${a.endedAt}`)
  })
})
