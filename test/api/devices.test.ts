import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { inProcessDaemon, tempDir } from '../support/daemon.ts'

const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 5, weightStd: 0.6, bias: 'random' }, { inputs: 2, outputs: 1 }, 3)

describe('devices API', () => {
  let d: Daemon
  const dir = tempDir('devices')
  before(async () => { d = await inProcessDaemon({ dataDir: dir }) })
  after(async () => { await d.close() })
  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => d.app.inject({ method, url, payload: payload as object })

  it('attaches a lattice from a builder string and a task, with the grid layout and the task io', async () => {
    const r = await inject('POST', '/devices', { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1, name: 'bench lattice' })
    assert.equal(r.statusCode, 201, r.body)
    const dev = r.json()
    assert.equal(dev.id, 'dev-1')
    assert.equal(dev.name, 'bench lattice')
    assert.deepEqual(dev.network.layout, { kind: 'grid', rows: 4, cols: 4 })
    assert.equal(dev.info.nodes, 16)
    assert.equal(dev.info.edges.length, 24)
    assert.equal(dev.network.inputs.length, 4)
    assert.equal(dev.network.outputs.length, 3)
    assert.equal(dev.lease, null)
    assert.equal(dev.description.weights.length, 24)
  })

  it('attaches from a builder spec object and from a full network description', async () => {
    const a = await inject('POST', '/devices', { kind: 'sim-xy', builder: { kind: 'all-to-all', nodes: 6 }, io: { inputs: 2, outputs: 1 } })
    assert.equal(a.statusCode, 201, a.body)
    assert.equal(a.json().info.edges.length, 15)
    const b = await inject('POST', '/devices', { kind: 'sim-xy', network: xorNet, sim: { coupling: { min: -1, max: 1, levels: 5 } } })
    assert.equal(b.statusCode, 201, b.body)
    assert.deepEqual(b.json().description.edges, xorNet.edges)
    const list = await inject('GET', '/devices')
    assert.deepEqual(list.json().devices.map((x: { id: string }) => x.id), ['dev-1', 'dev-2', 'dev-3'])
  })

  it('writes parameters and returns them as the device applied them (quantised and clipped)', async () => {
    const weights = xorNet.weights.map((_, k) => [0.3, -2, 0.74, 0.1, -0.6][k % 5])
    const r = await inject('PUT', '/devices/dev-3/params', { weights })
    assert.equal(r.statusCode, 200, r.body)
    // 5 levels over [-1, 1]: -1, -0.5, 0, 0.5, 1
    assert.deepEqual(r.json().weights, weights.map((w) => [0.5, -1, 0.5, 0, -0.5][[0.3, -2, 0.74, 0.1, -0.6].indexOf(w)]))
    const g = await inject('GET', '/devices/dev-3/params')
    assert.deepEqual(g.json().weights, r.json().weights)
    assert.deepEqual(g.json().edges, xorNet.edges)
    assert.deepEqual(g.json().h, xorNet.bias!.h)
  })

  it('relaxes a batch: free phases settle with the inputs clamped, and a nudge pulls the output to its target', async () => {
    const H = Math.PI / 2
    const free = await inject('POST', '/devices/dev-2/relax', { inputs: [[H, -H], [-H, H]], start: { kind: 'random', seed: 4 } })
    assert.equal(free.statusCode, 200, free.body)
    const f = free.json()
    assert.equal(f.phases.length, 2)
    assert.equal(f.phases[0].length, 6)
    assert.deepEqual(f.settled, [true, true])
    assert.equal(f.phases[0][0], H)
    assert.equal(f.phases[1][1], H)
    assert.equal(f.energy.length, 2)
    const out = 5 // all-to-all:6 with 2 inputs and 1 output: the output is the last node
    const target = f.phases[0][out] + 1
    const nudged = await inject('POST', '/devices/dev-2/relax', {
      inputs: [[H, -H]], phase: 'nudged', nudge: { kind: 'cost', beta: 5, targets: [[target]] }, start: { kind: 'given', states: [f.phases[0]] },
    })
    assert.equal(nudged.statusCode, 200, nudged.body)
    const moved = nudged.json().phases[0][out]
    assert.ok(Math.abs(Math.sin((target - moved) / 2)) < Math.abs(Math.sin(0.5)), `output moved from ${f.phases[0][out]} to ${moved}, target ${target}`)
    const again = await inject('POST', '/devices/dev-2/relax', { inputs: [[H, -H], [-H, H]], start: { kind: 'random', seed: 4 } })
    assert.deepEqual(again.json().phases, f.phases, 'the same seed gives the same equilibria')
    const prev = await inject('POST', '/devices/dev-2/relax', { inputs: [[H, -H], [-H, H]], start: { kind: 'previous' } })
    assert.equal(prev.statusCode, 200, prev.body)
    const dev = await inject('GET', '/devices/dev-2')
    assert.equal(dev.json().stats.relaxCalls, 4)
    assert.equal(dev.json().stats.relaxSamples, 7)
  })

  it('relaxes a large batch in slices with exactly the result of one call per sample', async () => {
    const H = Math.PI / 2
    const inputs = Array.from({ length: 100 }, (_, b) => [b % 2 ? H : -H, b % 3 ? H : -H])
    const all = (await inject('POST', '/devices/dev-2/relax', { inputs, start: { kind: 'random', seed: 11 } })).json()
    assert.equal(all.phases.length, 100)
    for (const b of [0, 40, 99]) {
      const one = (await inject('POST', '/devices/dev-2/relax', { inputs: [inputs[b]], start: { kind: 'random', seed: 11 + b } })).json()
      assert.deepEqual(one.phases[0], all.phases[b], `sample ${b}`)
      assert.equal(one.energy[0], all.energy[b])
    }
  })

  it('detaches a device: afterwards it is gone (404) and its id is not reused', async () => {
    const r = await inject('DELETE', '/devices/dev-1')
    assert.equal(r.statusCode, 204)
    assert.equal((await inject('GET', '/devices/dev-1')).statusCode, 404)
    const n = await inject('POST', '/devices', { kind: 'sim-xy', builder: 'all-to-all:4', io: { inputs: 1, outputs: 1 } })
    assert.equal(n.json().id, 'dev-4')
  })

  it('restores attached devices with their applied parameters after a restart', async () => {
    const before = (await inject('GET', '/devices/dev-3/params')).json()
    await d.close()
    d = await inProcessDaemon({ dataDir: dir })
    const list = (await inject('GET', '/devices')).json().devices.map((x: { id: string }) => x.id)
    assert.deepEqual(list, ['dev-2', 'dev-3', 'dev-4'])
    assert.deepEqual((await inject('GET', '/devices/dev-3/params')).json(), before)
  })
})
