// The lockstep 'eliminate' solver: a whole batch advanced together by batched WebAssembly kernels. It must
// reach the per-sample solver's equilibria (free phase, cost nudge, frozen torque), give each sample the
// same bits whatever else is in its batch or thread, and stop spending kernel work on settled samples.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ParallelSimSubstrate } from '../../../drivers/sim/parallel-sim.ts'
import { SimXySubstrate } from '../../../drivers/sim/xy.ts'
import { sliceRequest, type RelaxRequest } from '../../../drivers/substrate.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { circleDistance, layeredNet as layered } from '../../support/networks.ts'

const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)

function batchOf(sizes: number[], B: number, seed: number) {
  const rng = new Rng(seed), nIn = sizes[0], nOut = sizes[sizes.length - 1]
  return {
    inputs: Float64Array.from({ length: B * nIn }, () => rng.uniform(-1.5, 1.5)),
    targets: Float64Array.from({ length: B * nOut }, () => rng.uniform(-1.5, 1.5)),
  }
}

const OPTS = { solver: 'eliminate', kernel: 'dense', tol: 1e-9 } as const

describe('lockstep eliminate', () => {
  for (const sizes of [[8, 20, 4], [20, 40, 5]]) {
    it(`reaches the per-sample equilibria on ${sizes.join('-')} (free, cost nudge, frozen torque)`, async () => {
      const net = layered(sizes, 1), B = 12, n = net.nodes
      const { inputs, targets } = batchOf(sizes, B, 3)
      const L = new SimXySubstrate(net, { ...OPTS, batching: 'lockstep' }), P = new SimXySubstrate(net, { ...OPTS, batching: 'per-sample' })
      assert.equal(L.kernelInUse().batching, 'lockstep')
      assert.equal(P.kernelInUse().batching, 'per-sample')
      const free: RelaxRequest = { batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 5 } }
      const a = await L.relax(free), b = await P.relax(free)
      // a frozen torque on the outputs: the cost's pull at the free equilibrium, held fixed
      const force = new Float64Array(B * n)
      for (let s = 0; s < B; s++) net.outputs.forEach((o, k) => { force[s * n + o] = -0.1 * Math.sin(a.states[s * n + o] - targets[s * net.outputs.length + k]) })
      const reqs: RelaxRequest[] = [
        { batch: B, inputs, phase: 'nudged', start: { kind: 'previous' }, nudge: { kind: 'cost', cost: 'log-cos', beta: 0.5, targets } },
        { batch: B, inputs, phase: 'nudged', start: { kind: 'given', states: a.states }, nudge: { kind: 'force', force } },
      ]
      const pairs = [[a, b]]
      for (const r of reqs) pairs.push([await L.relax(r), await P.relax(r)])
      for (const [x, y] of pairs) {
        assert.deepEqual([...x.settled], Array(B).fill(1))
        assert.deepEqual([...y.settled], Array(B).fill(1))
        assert.ok(circleDistance(x.states, y.states) < 1e-8, `states differ by ${circleDistance(x.states, y.states)}`)
        assert.ok(maxDiff(x.energy, y.energy) < 1e-9 * n, `energies differ by ${maxDiff(x.energy, y.energy)}`)
      }
      // the free phase takes the same iterations (the per-sample count also charges two passes for the sweep a nudge refuses)
      assert.deepEqual([...a.steps], [...b.steps])
      assert.ok(L.lockstepRows.align > 0 && L.lockstepRows.hessian > 0)
      await L.close(); await P.close()
    })
  }

  it('gives each sample the same bits whatever the batch around it or the thread count', async () => {
    const sizes = [8, 20, 4], net = layered(sizes, 2), B = 10
    const { inputs } = batchOf(sizes, B, 4)
    const req: RelaxRequest = { batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 9 } }
    const whole = await new SimXySubstrate(net, OPTS).relax(req)
    // shards of 3 and 7 samples (as a 2-thread split would cut them, seeds offset), and one sample alone
    const parts = await Promise.all([[0, 3], [3, 10], [6, 7]].map(async ([s, e]) => ({ s, r: await new SimXySubstrate(net, OPTS).relax(sliceRequest(req, s, e, net.nodes)) })))
    for (const { s, r } of parts) {
      const n = net.nodes
      assert.deepEqual([...r.states], [...whole.states.subarray(s * n, s * n + r.states.length)])
      assert.deepEqual([...r.energy], [...whole.energy.subarray(s, s + r.energy.length)])
    }
    // a batch beyond one lockstep chunk (256 samples): samples on either side of the cut keep their bits
    const big = batchOf(sizes, 300, 8)
    const breq: RelaxRequest = { batch: 300, inputs: big.inputs, phase: 'free', start: { kind: 'random', seed: 11 } }
    const all = await new SimXySubstrate(net, OPTS).relax(breq)
    for (const s of [255, 256, 299]) {
      const one = await new SimXySubstrate(net, OPTS).relax(sliceRequest(breq, s, s + 1, net.nodes))
      assert.deepEqual([...one.states], [...all.states.subarray(s * net.nodes, (s + 1) * net.nodes)])
    }
    const par = await ParallelSimSubstrate.create(net, OPTS, 2)
    try {
      const p = await par.relax(req)
      assert.deepEqual([...p.states], [...whole.states])
      assert.deepEqual([...p.steps], [...whole.steps])
    } finally {
      await par.close()
    }
  })

  it('stops spending kernel work on a settled sample', async () => {
    const sizes = [8, 20, 4], net = layered(sizes, 3), B = 6, n = net.nodes
    const { inputs, targets } = batchOf(sizes, B, 5)
    const sim = new SimXySubstrate(net, OPTS)
    const nudge = { kind: 'cost' as const, cost: 'log-cos' as const, beta: 0.5, targets }
    const eq = await sim.relax({ batch: B, inputs, phase: 'nudged', start: { kind: 'random', seed: 1 }, nudge })
    // sample 2 starts at its equilibrium, the others moved off theirs
    const given = eq.states.slice()
    for (let s = 0; s < B; s++) if (s !== 2) for (let i = sizes[0]; i < n; i++) given[s * n + i] += 0.3
    const rows0 = { ...sim.lockstepRows }
    const r = await sim.relax({ batch: B, inputs, phase: 'nudged', start: { kind: 'given', states: given }, nudge })
    assert.deepEqual([...r.settled], Array(B).fill(1))
    // one alignment and one force, then it asks for nothing: no Hessian, no trial
    assert.equal(r.steps[2], 2)
    for (let s = 0; s < B; s++) if (s !== 2) assert.ok(r.steps[s] > 4, `sample ${s}: ${r.steps[s]} passes`)
    // every kernel row is charged to a sample: settled samples are not in the lists
    const align = sim.lockstepRows.align - rows0.align, force = sim.lockstepRows.force - rows0.force
    assert.equal(align + force, r.steps.reduce((a, v) => a + v, 0))
    assert.ok(circleDistance(r.states.subarray(2 * n, 3 * n), eq.states.subarray(2 * n, 3 * n)) < 1e-12)
    await sim.close()
  })

  it('stops a sample at its evaluation budget as the per-sample solver does', async () => {
    const sizes = [20, 40, 5], net = layered(sizes, 5), B = 8
    const { inputs } = batchOf(sizes, B, 7)
    const opts = { ...OPTS, maxEvals: 14 }
    const L = new SimXySubstrate(net, opts), P = new SimXySubstrate(net, { ...opts, batching: 'per-sample' })
    const req: RelaxRequest = { batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 3 } }
    const a = await L.relax(req), b = await P.relax(req)
    assert.ok(a.settled.includes(0), 'the budget cut some sample short')
    assert.deepEqual([...a.settled], [...b.settled])
    assert.deepEqual([...a.steps], [...b.steps])
    assert.ok(circleDistance(a.states, b.states) < 1e-8)
    await L.close(); await P.close()
  })

  it('leaves a batch with a torque on hidden nodes to the per-sample path', async () => {
    const sizes = [8, 20, 4], net = layered(sizes, 4), B = 4, n = net.nodes
    const { inputs } = batchOf(sizes, B, 6)
    const L = new SimXySubstrate(net, OPTS), P = new SimXySubstrate(net, { ...OPTS, batching: 'per-sample' })
    const free: RelaxRequest = { batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 2 } }
    const a = await L.relax(free)
    await P.relax(free)
    const force = new Float64Array(B * n)
    for (let s = 0; s < B; s++) { force[s * n + sizes[0]] = 0.01; force[s * n + net.outputs[0]] = 0.05 }
    const rows = L.lockstepRows.align
    const req: RelaxRequest = { batch: B, inputs, phase: 'nudged', start: { kind: 'given', states: a.states }, nudge: { kind: 'force', force } }
    const x = await L.relax(req), y = await P.relax(req)
    assert.equal(L.lockstepRows.align, rows)
    assert.deepEqual([...x.states], [...y.states])
    await L.close(); await P.close()
  })
})
