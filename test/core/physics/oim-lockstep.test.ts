// The lockstep 'eliminate' solver on OIM networks: the hidden layer's per-node Newton over one list of
// [rows x hidden nodes], the dense products on the XY lockstep kernels. It must reach the per-sample
// solver's equilibria (free phase, cost nudge, frozen torque), give each sample the same bits whatever
// else is in its batch or thread, stop spending kernel work on settled samples, honour budgets, and
// leave what it does not cover to the per-sample path.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ParallelSimSubstrate } from '../../../drivers/sim/parallel-sim.ts'
import { SimOimSubstrate } from '../../../drivers/sim/oim.ts'
import { sliceRequest, type RelaxRequest } from '../../../drivers/substrate.ts'
import type { Network } from '../../../src/core/network/network.ts'
import { minimiseOimNodeList, minimiseOimNodes, OimNodeListScratch, OimNodeScratch } from '../../../src/core/physics/oim-elimination.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { sinCosInto } from '../../../src/core/physics/sincos.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'
import { circleDistance } from '../../support/networks.ts'

const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)

/** A layered OIM with random h and second-harmonic locking S on every node (seeded). */
function layered(sizes: number[], seed: number): Network {
  const net = buildNetwork({ kind: 'layered', sizes, weightStd: 0.6, bias: 'random' }, { inputs: sizes[0], outputs: sizes[sizes.length - 1] }, seed)
  const rng = new Rng(seed + 100)
  return {
    ...net, model: 'oim',
    bias: { h: Array.from({ length: net.nodes }, () => rng.uniform(-0.5, 0.5)), psi: new Array<number>(net.nodes).fill(0) },
    shil: Array.from({ length: net.nodes }, () => rng.uniform(-0.4, 0.4)),
  }
}

function batchOf(sizes: number[], B: number, seed: number) {
  const rng = new Rng(seed), nIn = sizes[0], nOut = sizes[sizes.length - 1]
  return {
    inputs: Float64Array.from({ length: B * nIn }, () => rng.uniform(-1, 1)),
    targets: Float64Array.from({ length: B * nOut }, () => rng.uniform(-1, 1)),
  }
}

const OPTS = { solver: 'eliminate', kernel: 'dense', tol: 1e-9 } as const

describe('minimiseOimNodeList', () => {
  it('takes each node to the same bits as minimiseOimNodes, and a failing node stops no other', () => {
    const N = 40, rng = new Rng(7)
    const u = () => Float64Array.from({ length: N }, () => rng.uniform(-2, 2))
    const ph = u(), zx = u(), zy = u(), S = Float64Array.from({ length: N }, () => rng.uniform(-1, 1))
    const ref = ph.slice(), w1 = new OimNodeScratch(N)
    assert.ok(minimiseOimNodes(N, ref, zx, zy, S, null, w1))
    // the list version over the same nodes at other ids of a wider array, in reverse order, with one node given no field
    const M = 2 * N, off = 17, P = new Float64Array(M), X = new Float64Array(M), Y = new Float64Array(M), SS = new Float64Array(M)
    const c = new Float64Array(M), s = new Float64Array(M), ids = new Int32Array(N + 1)
    for (let t = 0; t < N; t++) { P[off + t] = ph[t]; X[off + t] = zx[t]; Y[off + t] = zy[t]; SS[off + t] = S[t]; ids[t] = off + N - 1 - t }
    ids[N] = 3 // all-zero field: no minimiser
    // start trig as minimiseOimNodes computes it (one sinCosInto pass), so both start from the same bits
    const tc = new Float64Array(N), ts = new Float64Array(N)
    sinCosInto(P, off, N, tc, ts)
    for (let t = 0; t < N; t++) { c[off + t] = tc[t]; s[off + t] = ts[t] }
    const w = new OimNodeListScratch(M)
    const failed = minimiseOimNodeList(N + 1, ids, P, X, Y, SS, c, s, w)
    assert.equal(failed, 1)
    assert.equal(w.state[3], 3)
    for (let t = 0; t < N; t++) {
      assert.equal(w.state[off + t], 0)
      assert.equal(P[off + t], ref[t])
      assert.equal(w.f[off + t], w1.f[t])
      assert.ok(w.hh[off + t] > 0)
    }
  })
})

describe('OIM lockstep eliminate', () => {
  for (const sizes of [[8, 20, 4], [20, 40, 5], [12, 10, 6, 3]]) {
    it(`reaches the per-sample equilibria on ${sizes.join('-')} (free, cost nudge, frozen torque)`, async () => {
      const net = layered(sizes, 1), B = 12, n = net.nodes
      const { inputs, targets } = batchOf(sizes, B, 3)
      const L = new SimOimSubstrate(net, { ...OPTS, batching: 'lockstep' }), P = new SimOimSubstrate(net, { ...OPTS, batching: 'per-sample' })
      assert.equal(L.kernelInUse().batching, 'lockstep')
      assert.equal(P.kernelInUse().batching, 'per-sample')
      const free: RelaxRequest = { batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 5 } }
      const a = await L.relax(free), b = await P.relax(free)
      // a frozen torque on the outputs: the cost's pull at the free equilibrium, held fixed
      const force = new Float64Array(B * n), nOut = net.outputs.length
      for (let s = 0; s < B; s++) net.outputs.forEach((o, k) => { const p = a.states[s * n + o]; force[s * n + o] = 0.2 * (Math.cos(p) - targets[s * nOut + k]) * Math.sin(p) })
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
      // the nudge moved the outputs: the comparison is not of two unmoved states
      assert.ok(circleDistance(pairs[1][0].states, a.states) > 1e-4)
      assert.ok(L.lockstepRows.align > 0 && L.lockstepRows.hessian > 0)
      await L.close(); await P.close()
    })
  }

  it('gives each sample the same bits whatever the batch around it or the thread count', async () => {
    const sizes = [8, 20, 4], net = layered(sizes, 2), B = 10, n = net.nodes
    const { inputs, targets } = batchOf(sizes, B, 4)
    const req: RelaxRequest = { batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 9 } }
    const whole = await new SimOimSubstrate(net, OPTS).relax(req)
    // shards of 3 and 7 samples (as a 2-thread split would cut them, seeds offset), and one sample alone
    const parts = await Promise.all([[0, 3], [3, 10], [6, 7]].map(async ([s, e]) => ({ s, r: await new SimOimSubstrate(net, OPTS).relax(sliceRequest(req, s, e, n)) })))
    for (const { s, r } of parts) {
      assert.deepEqual([...r.states], [...whole.states.subarray(s * n, s * n + r.states.length)])
      assert.deepEqual([...r.energy], [...whole.energy.subarray(s, s + r.energy.length)])
    }
    // a nudged phase from given states, split the same way
    const nreq: RelaxRequest = { batch: B, inputs, phase: 'nudged', start: { kind: 'given', states: whole.states }, nudge: { kind: 'cost', cost: 'log-cos', beta: 0.3, targets } }
    const nwhole = await new SimOimSubstrate(net, OPTS).relax(nreq)
    const npart = await new SimOimSubstrate(net, OPTS).relax(sliceRequest(nreq, 4, 9, n))
    assert.deepEqual([...npart.states], [...nwhole.states.subarray(4 * n, 9 * n)])
    // a batch beyond one lockstep chunk (256 samples): samples on either side of the cut keep their bits
    const big = batchOf(sizes, 300, 8)
    const breq: RelaxRequest = { batch: 300, inputs: big.inputs, phase: 'free', start: { kind: 'random', seed: 11 } }
    const all = await new SimOimSubstrate(net, OPTS).relax(breq)
    for (const s of [255, 256, 299]) {
      const one = await new SimOimSubstrate(net, OPTS).relax(sliceRequest(breq, s, s + 1, n))
      assert.deepEqual([...one.states], [...all.states.subarray(s * n, (s + 1) * n)])
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
    const sim = new SimOimSubstrate(net, OPTS)
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
    const opts = { ...OPTS, maxEvals: 12 }
    const L = new SimOimSubstrate(net, opts), P = new SimOimSubstrate(net, { ...opts, batching: 'per-sample' })
    const req: RelaxRequest = { batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 3 } }
    const a = await L.relax(req), b = await P.relax(req)
    assert.ok(a.settled.includes(0), 'the budget cut some sample short')
    assert.deepEqual([...a.settled], [...b.settled])
    for (const s of a.steps) assert.ok(s <= 12 + 1, `${s} passes over a budget of 12`)
    await L.close(); await P.close()
  })

  it('leaves a torque on hidden nodes, and networks without a dense block, to the per-sample path', async () => {
    const sizes = [8, 20, 4], net = layered(sizes, 4), B = 4, n = net.nodes
    const { inputs } = batchOf(sizes, B, 6)
    const L = new SimOimSubstrate(net, OPTS), P = new SimOimSubstrate(net, { ...OPTS, batching: 'per-sample' })
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
    // a 4-neighbour lattice splits in two, but its couplings fill far less than a quarter of the block
    const lat = buildNetwork({ kind: 'lattice', rows: 6, cols: 6, weightStd: 0.6, bias: 'random' }, { inputs: 2, outputs: 1 }, 3)
    const sim = new SimOimSubstrate({ ...lat, model: 'oim' }, OPTS)
    assert.equal(sim.kernelInUse().batching, 'per-sample')
    const r = await sim.relax({ batch: 2, inputs: Float64Array.of(0.5, -0.5, 0.2, 0.1), phase: 'free', start: { kind: 'random', seed: 1 } })
    assert.deepEqual([...r.settled], [1, 1])
    assert.equal(sim.lockstepRows.align, 0)
    await sim.close()
  })
})
