// Issue 12's matrix: on every topology and every deterministic simulator (XY, OIM, resistor),
// relaxing a batch in one call reaches the same equilibria (tolerance) as relaxing its samples one
// call each, free and nudged, and the results do not depend on the number of worker threads
// (ParallelSimSubstrate on 1 vs 2 threads: the same bits). The Ising annealer is not in the matrix:
// it samples from one stream per call, so a batch and its samples one by one draw different spins by
// design, and ParallelSimSubstrate refuses it (test/drivers/parallel-sim.test.ts).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openDeterministicSimulator, type SimOptionsInput } from '../../drivers/sim/open-sim.ts'
import { ParallelSimSubstrate } from '../../drivers/sim/parallel-sim.ts'
import { SimHost } from '../../drivers/sim/sim-host.ts'
import type { RelaxRequest, RelaxResult, Substrate } from '../../drivers/substrate.ts'
import type { ModelName, Network } from '../../src/core/network/network.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { enginePhysics } from '../../src/engine/physics.ts'
import { asModel } from '../../src/services/substrates.ts'
import { circleDistance } from '../support/networks.ts'

const TOPOLOGIES: { spec: string; inputs: number; outputs: number }[] = [
  { spec: 'all-to-all:6', inputs: 2, outputs: 1 },
  { spec: 'lattice:4x4', inputs: 2, outputs: 1 },
  { spec: 'lattice:4x5:n8:skip=2', inputs: 2, outputs: 2 },
  { spec: 'stacked:2x3x3:n4', inputs: 2, outputs: 2 },
  { spec: 'layered:3,5,2', inputs: 3, outputs: 2 },
  { spec: 'layered:3,5,4,2', inputs: 3, outputs: 2 },
  { spec: 'lcl:3x3:c2k2s1', inputs: 9, outputs: 2 },
]

/** Default options for every substrate; solver eliminate where its bipartite split exists (XY, OIM); the XY lockstep eliminate (dense kernel) on the layered nets. */
/** force tolerance of the phase simulators, tight enough that two solvers' equilibria agree to 1e-7 rad (the resistor settles to 1e-9 V by default) */
const TOL = 1e-9

const ROWS: { spec: string; model: ModelName; opts: SimOptionsInput; label: string }[] = []
for (const t of TOPOLOGIES) {
  for (const model of ['xy', 'oim', 'resistor'] as const) ROWS.push({ spec: t.spec, model, opts: model === 'resistor' ? {} : { tol: TOL }, label: model === 'resistor' ? 'resistor (coordinate descent)' : `${model} default solver` })
  // all-to-all, the 8-neighbour lattice with skips and stacked layers couple free nodes inside both sides: no split for eliminate
  if (['lattice:4x4', 'layered:3,5,2', 'layered:3,5,4,2', 'lcl:3x3:c2k2s1'].includes(t.spec)) {
    for (const model of ['xy', 'oim'] as const) ROWS.push({ spec: t.spec, model, opts: { solver: 'eliminate', tol: TOL }, label: `${model} eliminate` })
  }
  if (t.spec.startsWith('layered')) ROWS.push({ spec: t.spec, model: 'xy', opts: { solver: 'eliminate', kernel: 'dense', tol: TOL }, label: 'xy eliminate, dense kernel (lockstep on one hidden layer)' })
}

const B = 5

/** A row's network, encoded inputs [B, nIn] and a cost nudge of the model's own kind. */
function setup(row: (typeof ROWS)[number]) {
  const t = TOPOLOGIES.find((x) => x.spec === row.spec)!
  const net: Network = asModel(buildNetwork(parseBuilderString(row.spec), { inputs: t.inputs, outputs: t.outputs }, 4), row.model)
  const ph = enginePhysics(net)
  const rng = new Rng(17)
  const inputs = ph.encodeInputs(Float64Array.from({ length: B * t.inputs }, () => rng.uniform(-1.5, 1.5)))
  const targets = ph.encodeTargets(Float64Array.from({ length: B * t.outputs }, () => rng.uniform(-1.2, 1.2)))
  return { net, inputs, nIn: t.inputs, nOut: t.outputs, nudge: ph.costNudge(0.5, targets) }
}

/** Sample b of a request alone (its random start keeps its stream: seed + b). */
function single(req: RelaxRequest, b: number, n: number, nIn: number, nOut: number): RelaxRequest {
  const start = req.start.kind === 'random' ? { kind: 'random' as const, seed: req.start.seed + b }
    : req.start.kind === 'given' ? { kind: 'given' as const, states: req.start.states.slice(b * n, (b + 1) * n) } : req.start
  const nudge = req.nudge?.kind === 'cost' ? { ...req.nudge, targets: req.nudge.targets.slice(b * nOut, (b + 1) * nOut) } : req.nudge
  return { ...req, batch: 1, inputs: req.inputs.slice(b * nIn, (b + 1) * nIn), start, ...(nudge ? { nudge } : {}) }
}

/** Largest difference between sample states (rad on the circle for phases, V for voltages). */
function stateGap(model: ModelName, a: Float64Array, b: Float64Array): number {
  if (model !== 'resistor') return circleDistance(a, b)
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]))
  return d
}

/** The free phase from random starts, then the cost-nudged phase from the free states. */
async function twoPhases(sub: Substrate, s: ReturnType<typeof setup>): Promise<{ reqs: RelaxRequest[]; res: RelaxResult[] }> {
  const freeReq: RelaxRequest = { batch: B, inputs: s.inputs, phase: 'free', start: { kind: 'random', seed: 21 } }
  const free = await sub.relax(freeReq)
  const nudgedReq: RelaxRequest = { batch: B, inputs: s.inputs, phase: 'nudged', nudge: s.nudge, start: { kind: 'given', states: free.states } }
  return { reqs: [freeReq, nudgedReq], res: [free, await sub.relax(nudgedReq)] }
}

describe('a batch in one call = its samples one call each, on every topology and substrate', () => {
  for (const row of ROWS) {
    it(`${row.spec}, ${row.label}: the same equilibria to 1e-9, free and nudged`, async () => {
      const s = setup(row), n = s.net.nodes
      const sub = openDeterministicSimulator(s.net, row.opts)
      const { reqs, res } = await twoPhases(sub, s)
      for (let p = 0; p < 2; p++) {
        assert.deepEqual(res[p].settled, new Uint8Array(B).fill(1), `phase ${p}: every sample settled`)
        for (let b = 0; b < B; b++) {
          const one = await sub.relax(single(reqs[p], b, n, s.nIn, s.nOut))
          assert.equal(one.settled[0], 1)
          const gap = stateGap(row.model, one.states, res[p].states.subarray(b * n, (b + 1) * n))
          assert.ok(gap < 1e-9, `phase ${p}, sample ${b}: states differ by ${gap}`)
          assert.ok(Math.abs(one.energy[0] - res[p].energy[b]) < 1e-9 * Math.max(1, Math.abs(one.energy[0])), `phase ${p}, sample ${b}: energy`)
        }
      }
      // and the batch relaxed one sample after the other (batching per-sample: XY's lockstep eliminate and
      // the resistor's layered lockstep otherwise take the whole batch together) reaches them too
      const per = openDeterministicSimulator(s.net, { ...row.opts, batching: 'per-sample' })
      const ref = await twoPhases(per, s)
      for (let p = 0; p < 2; p++) {
        const gap = stateGap(row.model, ref.res[p].states, res[p].states)
        assert.ok(gap < 1e-7, `phase ${p}: batched and per-sample states differ by ${gap}`)
      }
      await per.close()
      // the nudge moved the outputs, so the two phases are two different equilibria
      assert.ok(stateGap(row.model, res[0].states, res[1].states) > 1e-6)
      await sub.close()
    })
  }
})

describe('results do not depend on the number of worker threads', () => {
  let hosts: SimHost[] = []
  before(() => { hosts = [new SimHost(), new SimHost()] })
  after(async () => { await Promise.all(hosts.map((h) => h.terminate())) })

  for (const row of ROWS) {
    it(`${row.spec}, ${row.label}: 1 and 2 threads give the same bits, free and nudged`, async () => {
      const s = setup(row)
      const one = await ParallelSimSubstrate.onHosts(s.net, row.opts, hosts.slice(0, 1))
      const two = await ParallelSimSubstrate.onHosts(s.net, row.opts, hosts)
      try {
        const a = await twoPhases(one, s), b = await twoPhases(two, s)
        for (let p = 0; p < 2; p++) {
          assert.deepEqual(b.res[p].states, a.res[p].states, `phase ${p}: states`)
          assert.deepEqual(b.res[p].energy, a.res[p].energy, `phase ${p}: energies`)
          assert.deepEqual(b.res[p].settled, a.res[p].settled)
          assert.deepEqual(b.res[p].steps, a.res[p].steps)
        }
        assert.ok(a.res[0].steps.every((v) => v > 0), 'the relaxations did work')
      } finally {
        await one.close()
        await two.close()
      }
    })
  }
})
