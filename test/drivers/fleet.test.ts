import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FleetSubstrate, type FleetEvent } from '../../drivers/fleet/fleet-substrate.ts'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import type { Params, RelaxRequest, RelaxResult, Substrate } from '../../drivers/substrate.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { EqpError } from '../../src/errors.ts'
import { loadTask, trainOnSubstrate, TrainJob } from '../../src/services/training.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

const lattice = buildNetwork({ kind: 'lattice', rows: 3, cols: 3, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 2 }, 4)

/** A board that goes away after `failAfter` relax calls, for `downCalls` calls, then works again. */
class FlakyBoard implements Substrate {
  calls = 0
  constructor(readonly inner: Substrate, private readonly failAfter: number, private downCalls: number) {}
  get info() { return this.inner.info }
  private gate(): void {
    if (this.calls >= this.failAfter && this.downCalls > 0) { this.downCalls--; throw new EqpError('EQP_ERR_DEVICE_LOST', [this.inner.info.uid, 3]) }
  }
  async setParams(p: Params) { this.gate(); return this.inner.setParams(p) }
  async updateParams(d: Params) { this.gate(); return this.inner.updateParams(d) }
  async getParams() { return this.inner.getParams() }
  async relax(req: RelaxRequest): Promise<RelaxResult> { this.calls++; this.gate(); return this.inner.relax(req) }
  async close() { await this.inner.close() }
}

substrateContract('fleet of 3 simulated XY boards (maxBatch 2 each)', async () =>
  new FleetSubstrate([0, 1, 2].map((k) => ({ name: `b${k}`, sub: new SimXySubstrate(lattice, { maxBatch: 2 }) }))))

describe('FleetSubstrate', () => {
  it('cuts a batch into shards whose results equal one board relaxing the whole batch', async () => {
    const one = new SimXySubstrate(lattice)
    const boards = [0, 1, 2].map(() => new SimXySubstrate(lattice, { maxBatch: 3 }))
    const fleet = new FleetSubstrate(boards.map((sub, k) => ({ name: `b${k}`, sub })))
    assert.equal(fleet.info.maxBatch, 9)
    const w = Float64Array.from({ length: lattice.edges.length }, (_, k) => Math.cos(k) * 0.7)
    await one.setParams({ weights: w })
    await fleet.setParams({ weights: w })
    const inputs = Float64Array.from({ length: 14 }, (_, k) => Math.sin(3 * k))
    const req: RelaxRequest = { batch: 7, inputs, phase: 'free', start: { kind: 'random', seed: 11 } }
    const a = await one.relax(req), b = await fleet.relax(req)
    assert.deepEqual([...b.states], [...a.states])
    assert.deepEqual([...b.energy], [...a.energy])
    // every board took part: 7 samples over 3 boards of 3
    assert.deepEqual(fleet.view().map((m) => m.samples), [3, 2, 2])
    // 'previous' continues each board from its own shard
    const p1 = await one.relax({ ...req, start: { kind: 'previous' } }), p2 = await fleet.relax({ ...req, start: { kind: 'previous' } })
    for (let k = 0; k < p1.states.length; k++) assert.ok(Math.abs(p1.states[k] - p2.states[k]) < 1e-9)
  })

  it('refuses boards of different topology, naming the difference', () => {
    const other = buildNetwork({ kind: 'lattice', rows: 3, cols: 4, weightStd: 0.8 }, { inputs: 2, outputs: 2 }, 4)
    assert.throws(() => new FleetSubstrate([{ name: 'a', sub: new SimXySubstrate(lattice) }, { name: 'b', sub: new SimXySubstrate(other) }]),
      (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_FLEET_MISMATCH' && /'b' differs from 'a': 12 nodes vs 9/.test(e.message))
  })

  it('trains Iris on 4 boards to exactly the parameters of one board given the full batches', async () => {
    const net = buildNetwork({ kind: 'layered', sizes: [4, 5, 3], weightStd: 0.5, bias: 'random' }, { inputs: 4, outputs: 3 }, 2)
    const job = TrainJob.parse({ task: 'iris', train: { seed: 3, epochs: 2, batchSize: 16, lr: 0.05, optimiser: { kind: 'adam' }, mInit: 1 } })
    const data = loadTask('iris', 3)
    const single = await trainOnSubstrate(new SimXySubstrate(net), net, data, job)
    const fleet = new FleetSubstrate([0, 1, 2, 3].map((k) => ({ name: `b${k}`, sub: new SimXySubstrate(net, { maxBatch: 4 }) })))
    const parallel = await trainOnSubstrate(fleet, net, data, job)
    assert.deepEqual(parallel.network.weights, single.network.weights)
    assert.deepEqual(parallel.network.bias, single.network.bias)
    assert.ok(single.network.weights.some((v, k) => v !== net.weights[k]), 'training changed the couplings')
    assert.ok(fleet.view().every((m) => m.samples > 0))
  })

  it('suspends a board that drops out, goes on with the others, re-admits it, and still matches one board', async () => {
    const net = buildNetwork({ kind: 'layered', sizes: [4, 5, 3], weightStd: 0.5, bias: 'random' }, { inputs: 4, outputs: 3 }, 2)
    const job = TrainJob.parse({ task: 'iris', train: { seed: 5, epochs: 2, batchSize: 12, lr: 0.05, optimiser: { kind: 'adam' }, mInit: 1 } })
    const data = loadTask('iris', 5)
    const single = await trainOnSubstrate(new SimXySubstrate(net), net, data, job)
    const flaky = new FlakyBoard(new SimXySubstrate(net, { maxBatch: 6 }), 3, 4)
    const events: FleetEvent[] = []
    const fleet = new FleetSubstrate([{ name: 'steady', sub: new SimXySubstrate(net, { maxBatch: 12 }) }, { name: 'flaky', sub: flaky }],
      { rejoinAfterS: 0, onEvent: (e) => events.push(e) })
    const out = await trainOnSubstrate(fleet, net, data, job)
    assert.deepEqual(out.network.weights, single.network.weights)
    assert.equal(events[0].type, 'suspended')
    assert.equal(events[0].member, 'flaky')
    assert.ok(events.some((e) => e.type === 'rejoined' && e.member === 'flaky'), JSON.stringify(events))
    const v = fleet.view().find((m) => m.name === 'flaky')!
    assert.ok(v.active && v.suspensions >= 1)
    // the re-admitted board holds the same parameters as the one that never left
    const applied = fleet.appliedBy()
    assert.deepEqual([...applied.get('flaky')!.weights], [...applied.get('steady')!.weights])
  })

  it('fails with device-lost when every board is gone', async () => {
    const fleet = new FleetSubstrate([{ name: 'only', sub: new FlakyBoard(new SimXySubstrate(lattice), 0, 99) }])
    await assert.rejects(fleet.relax({ batch: 1, inputs: new Float64Array(2), phase: 'free', start: { kind: 'random', seed: 1 } }),
      (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_DEVICE_LOST')
  })
})
