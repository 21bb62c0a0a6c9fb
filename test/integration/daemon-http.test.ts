// The daemon over real HTTP on a loopback port: an Iris run on a simulated lattice followed over SSE to
// completion, metrics as CSV, a snapshot on the grid; leases between two clients; concurrent runs.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { call, inProcessDaemon, readSse } from '../support/daemon.ts'

describe('daemon over HTTP', () => {
  let d: Daemon
  let url: string
  before(async () => {
    d = await inProcessDaemon({ checkpointEvery: 4 })
    url = d.url
  })
  after(async () => { await d.close() })

  it('attaches a lattice, trains Iris, follows the run over SSE to completion, and serves CSV metrics and a grid snapshot', async () => {
    const dev = await call(url, 'POST', '/devices', { kind: 'sim-xy', builder: { kind: 'lattice', rows: 4, cols: 4 }, task: 'iris', seed: 1 })
    assert.equal(dev.status, 201, dev.text)
    const run = await call(url, 'POST', '/runs', { device: dev.body.id, task: 'iris', epochs: 4, seed: 1, optimiser: { kind: 'adam' }, lr: 0.02, evalEvery: 2 })
    assert.equal(run.status, 202, run.text)
    const events = await readSse(`${url}/runs/${run.body.id}/events`)
    // the stream starts at the beginning of the run and ends by itself at its final state
    const states = events.filter((e) => e.event === 'state').map((e) => e.data.to)
    assert.deepEqual(states, ['queued', 'running', 'done'])
    assert.deepEqual(events.map((e) => e.id), events.map((_, k) => k + 1), 'ids are the gapless event sequence')
    assert.equal(events.filter((e) => e.event === 'batch').length, 32)
    assert.deepEqual(events.filter((e) => e.event === 'epoch').map((e) => e.data.row.epoch), [1, 2, 3, 4])
    assert.deepEqual(events.filter((e) => e.event === 'eval').map((e) => e.data.row.epoch), [2, 4])
    const cps = events.filter((e) => e.event === 'checkpoint').map((e) => e.data.checkpoint)
    assert.equal(cps[0].reason, 'start')
    assert.ok(cps.some((c) => c.reason === 'periodic') && cps.some((c) => c.reason === 'epoch'))
    const v = await call(url, 'GET', `/runs/${run.body.id}`)
    assert.equal(v.body.state, 'done')
    assert.equal(v.body.lastMetrics.eval.accuracy, events.filter((e) => e.event === 'eval').at(-1)!.data.row.accuracy)

    const csv = await call(url, 'GET', `/runs/${run.body.id}/metrics?format=csv`)
    assert.equal(csv.status, 200)
    assert.match(csv.headers.get('content-type')!, /^text\/csv/)
    const lines = csv.text.trim().split('\n')
    const header = lines[0].split(',')
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, k) => [header[k], v])))
    assert.equal(rows.filter((r) => r.kind === 'batch').length, 32)
    const lastEpoch = rows.filter((r) => r.kind === 'epoch').at(-1)!
    assert.equal(Number(lastEpoch.distance), events.filter((e) => e.event === 'epoch').at(-1)!.data.row.distance)

    const snap = await call(url, 'GET', `/runs/${run.body.id}/snapshot`)
    assert.equal(snap.status, 200)
    const g = snap.body.grid
    assert.deepEqual([g.rows, g.cols], [4, 4])
    assert.ok(g.phases.flat().every((p: number) => Number.isFinite(p)))
    assert.deepEqual(g.horizontal.map((r: unknown[]) => r.length), [3, 3, 3, 3])
    assert.deepEqual(snap.body.couplings, v.body.result.network.weights)
  })

  it('replays a stream from Last-Event-ID without repeating events', async () => {
    const all = await readSse(`${url}/runs/run-1/events`)
    const rest = await readSse(`${url}/runs/run-1/events`, { headers: { 'last-event-id': '10' } })
    assert.deepEqual(rest.map((e) => e.id), all.filter((e) => e.id > 10).map((e) => e.id))
    assert.equal(rest.at(-1)!.data.to, 'done')
  })

  it('gives a run its device exclusively: the other client\'s writes get 409 naming the holder, reads work', async () => {
    const alice = { 'x-eqp-client': 'alice' }, bob = { 'x-eqp-client': 'bob' }
    const dev = (await call(url, 'POST', '/devices', { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 2 }, alice)).body
    const run = await call(url, 'POST', '/runs', { device: dev.id, task: 'iris', epochs: 200, seed: 2 }, alice)
    assert.equal(run.status, 202)
    const params = await call(url, 'GET', `/devices/${dev.id}/params`, undefined, bob)
    assert.equal(params.status, 200)
    const write = await call(url, 'PUT', `/devices/${dev.id}/params`, { weights: params.body.weights.map(() => 0) }, bob)
    assert.equal(write.status, 409)
    assert.equal(write.body.code, 'EQP_ERR_DEVICE_LEASED')
    assert.match(write.body.message, new RegExp(`leased by run '${run.body.id}' \\(client 'alice'\\)`))
    const relax = await call(url, 'POST', `/devices/${dev.id}/relax`, { inputs: [[0, 0, 0, 0]] }, bob)
    assert.equal(relax.status, 409)
    assert.match(relax.body.message, /alice/)
    const detach = await call(url, 'DELETE', `/devices/${dev.id}`, undefined, bob)
    assert.equal(detach.status, 409)
    assert.equal((await call(url, 'GET', `/devices/${dev.id}`, undefined, bob)).body.lease.client, 'alice')
    // the run is unharmed, and once it is cancelled the device takes writes again
    assert.equal((await call(url, 'POST', `/runs/${run.body.id}/cancel`, undefined, alice)).body.state, 'cancelled')
    const after = await call(url, 'PUT', `/devices/${dev.id}/params`, { weights: params.body.weights.map(() => 0.25) }, bob)
    assert.equal(after.status, 200, after.text)
    assert.ok(after.body.weights.every((w: number) => w === 0.25))
  })

  it('trains runs on two devices at once while the server keeps answering', async () => {
    const ids: string[] = []
    for (const seed of [3, 4]) {
      const dev = (await call(url, 'POST', '/devices', { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed })).body
      ids.push((await call(url, 'POST', '/runs', { device: dev.id, task: 'iris', epochs: 400, seed })).body.id)
    }
    const steps = async () => Promise.all(ids.map(async (id) => (await call(url, 'GET', `/runs/${id}`)).body.progress.step as number))
    // both make progress between two requests that were each answered while both were running
    let first: number[] = [], moved = false, answered = 0
    for (let k = 0; k < 2000 && !moved; k++) {
      const h = await call(url, 'GET', '/health')
      if (h.body.runs.running === 2) {
        answered++
        const s = await steps()
        if (first.length === 0) first = s
        else moved = s[0] > first[0] && s[1] > first[1]
      }
    }
    assert.ok(moved, `both runs advanced while the server answered ${answered} health checks`)
    for (const id of ids) assert.equal((await call(url, 'POST', `/runs/${id}/cancel`)).body.state, 'cancelled')
  })
})
