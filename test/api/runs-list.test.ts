// GET /runs is served from text kept until a run changes (RunService.listJson): it must show every
// write at once, agree with the per-run view, and keep the schema's shape.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { RunList } from '../../src/services/runs/schemas.ts'
import { inProcessDaemon } from '../support/daemon.ts'

const RUN = { task: 'iris', seed: 3, epochs: 2, batchSize: 30, optimiser: { kind: 'adam' as const }, lr: 0.02 }

describe('GET /runs', () => {
  let d: Daemon
  before(async () => {
    d = await inProcessDaemon({ checkpointEvery: 1 })
    assert.equal((await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 } })).statusCode, 201)
  })
  after(async () => { await d.close() })
  const list = async (q = '') => {
    const r = await d.app.inject({ method: 'GET', url: `/runs${q}` })
    assert.equal(r.statusCode, 200)
    assert.match(String(r.headers['content-type']), /^application\/json/)
    return RunList.parse(r.json()).runs
  }

  it('shows a run created or cancelled since the last GET at once, under every filter', async () => {
    assert.deepEqual(await list(), [])
    assert.deepEqual(await list('?state=queued'), [])
    // a second run queues behind the first on the same device
    const a = (await d.app.inject({ method: 'POST', url: '/runs', payload: { device: 'dev-1', ...RUN, epochs: 1000 } })).json()
    const b = (await d.app.inject({ method: 'POST', url: '/runs', payload: { device: 'dev-1', ...RUN } })).json()
    assert.deepEqual((await list()).map((r) => r.id), [a.id, b.id])
    assert.deepEqual((await list('?state=queued')).map((r) => r.id), [b.id])
    assert.deepEqual((await list('?device=dev-1')).map((r) => r.id), [a.id, b.id])
    assert.equal((await d.app.inject({ method: 'POST', url: `/runs/${a.id}/cancel` })).json().state, 'cancelled')
    assert.deepEqual((await list('?state=cancelled')).map((r) => r.id), [a.id])
    assert.equal((await list()).find((r) => r.id === a.id)!.state, 'cancelled')
    await d.services.runs.idle(b.id)
  })

  it('follows a run through training: after it ends, the list agrees with GET /runs/:id field by field', async () => {
    const run = (await d.app.inject({ method: 'POST', url: '/runs', payload: { device: 'dev-1', ...RUN, seed: 4 } })).json()
    // fill the cache while the run trains; every step's write must drop it
    while ((await d.services.runs.get(run.id)).state === 'running') {
      assert.ok((await list()).some((x) => x.id === run.id))
      await new Promise((res) => setTimeout(res, 2))
    }
    await d.services.runs.idle(run.id)
    const one = (await d.app.inject({ method: 'GET', url: `/runs/${run.id}` })).json()
    const inList = (await list()).find((x) => x.id === run.id)!
    assert.equal(inList.state, 'done')
    for (const k of Object.keys(inList) as (keyof typeof inList)[]) assert.deepEqual(inList[k], one[k], k)
    assert.equal(inList.progress.step, inList.progress.steps)
    assert.ok(inList.lastMetrics.eval, 'the final evaluation shows')
    assert.ok(inList.checkpoint, 'the last checkpoint shows')
  })
})
