// The resistor simulator's lockstep (batched, layer by layer) relaxation against its per-sample
// coordinate descent: on layered nets the same voltages, sweep counts and energies to the last bit
// (free, cost and current nudges, with amplifier gains and active diodes), the equilibrium itself
// checked by its KKT conditions, settled samples costing no sweeps, and the fallback elsewhere.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimResistorSubstrate } from '../../../drivers/sim/resistor.ts'
import type { RelaxRequest, RelaxResult } from '../../../drivers/substrate.ts'
import { Network } from '../../../src/core/network/network.ts'
import { compileResistor, outputIndex, resistorEnergyGrad } from '../../../src/core/physics/resistor.ts'
import { ResistorLockstep } from '../../../src/core/physics/resistor-lockstep.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { buildNetwork, parseBuilderString } from '../../../src/core/topology/index.ts'
import { asModel } from '../../../src/services/substrates.ts'

/** A layered resistor network with random bias currents and the given gains (seeded). */
function layeredResistor(sizes: number[], seed: number, gain?: { input?: number; layers?: number[] }): Network {
  const rng = new Rng(seed)
  const r = asModel(buildNetwork({ kind: 'layered', sizes, weightStd: 0.8, bias: 'random' }, { inputs: sizes[0], outputs: sizes[sizes.length - 1] }, seed), 'resistor')
  return Network.parse({ ...r, bias: { h: Array.from({ length: r.nodes }, () => rng.uniform(-0.3, 0.3)), psi: new Array<number>(r.nodes).fill(0) }, ...(gain ? { gain } : {}) })
}

const NETS: { name: string; net: Network }[] = [
  { name: 'layered 6-8-3 (one hidden layer)', net: layeredResistor([6, 8, 3], 1) },
  { name: 'layered 6-8-3, input gain 3', net: layeredResistor([6, 8, 3], 2, { input: 3 }) },
  { name: 'layered 30-12-7-4 (two hidden layers), gains G 2, A 1.5 and 0.7', net: layeredResistor([30, 12, 7, 4], 3, { input: 2, layers: [1.5, 0.7] }) },
]

const B = 7

/** Inputs in [-1, 1] with a few exact zeros (the fold skips those rows), targets in [-1, 1], currents on every free node. */
function batch(net: Network, seed: number) {
  const rng = new Rng(seed), nIn = net.inputs.length, nOut = net.outputs.length
  const inputs = Float64Array.from({ length: B * nIn }, (_, k) => (k % 5 === 0 ? 0 : rng.uniform(-1, 1)))
  const targets = Float64Array.from({ length: B * nOut }, () => rng.uniform(-1, 1))
  const force = Float64Array.from({ length: B * net.nodes }, (_, k) => (net.inputs.includes(k % net.nodes) ? 0 : rng.uniform(-0.2, 0.2)))
  return { inputs, targets, force }
}

/** Free, cost-nudged and current-nudged relaxations of one batch (each nudge from the free states). */
async function phases(sub: SimResistorSubstrate, net: Network, seed: number): Promise<RelaxResult[]> {
  const { inputs, targets, force } = batch(net, seed)
  const free = await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed } })
  const given = { kind: 'given' as const, states: free.states }
  const cost = await sub.relax({ batch: B, inputs, phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta: 0.7, targets }, start: given })
  const cur = await sub.relax({ batch: B, inputs, phase: 'nudged', nudge: { kind: 'force', force }, start: given })
  return [free, cost, cur]
}

/** Largest KKT violation of sample b (A): |dE/dV| on a node off its bound, the wrong-signed push on a diode held at 0. */
function kktResidual(desc: Network, r: RelaxResult, b: number, beta: number, y: Float64Array | null, ext: Float64Array | null): number {
  const net = compileResistor(desc), g = new Float64Array(net.n), off = b * net.n
  resistorEnergyGrad(net, r.states, off, g)
  const outs = outputIndex(net)
  let worst = 0
  for (let i = 0; i < net.n; i++) {
    if (net.clamped[i]) continue
    // dE/dV = s (Kirchhoff residual); the nudge adds beta (V - y) at outputs and the current -ext to the residual
    let gi = g[i] / net.ns[i]
    if (outs[i] >= 0 && y) gi += beta * (r.states[off + i] - y[b * net.outputs.length + outs[i]])
    if (ext) gi -= ext[off + i]
    const v = r.states[off + i]
    if (net.diode[i] > 0 && v === 0) worst = Math.max(worst, -gi)
    else if (net.diode[i] < 0 && v === 0) worst = Math.max(worst, gi)
    else worst = Math.max(worst, Math.abs(gi))
  }
  return worst
}

describe('resistor lockstep relaxation', () => {
  for (const { name, net } of NETS) {
    it(`${name}: the same voltages, energies and sweep counts as the per-sample path, bit for bit (free, cost and current nudges)`, async () => {
      const lock = new SimResistorSubstrate(net), per = new SimResistorSubstrate(net, { batching: 'per-sample' })
      assert.deepEqual(lock.kernelInUse(), { kernel: 'folded', batching: 'lockstep' })
      assert.deepEqual(per.kernelInUse(), { kernel: 'folded', batching: 'per-sample' })
      const a = await phases(lock, net, 11), b = await phases(per, net, 11)
      for (let p = 0; p < 3; p++) {
        assert.deepEqual(a[p].states, b[p].states, `phase ${p}: states`)
        assert.deepEqual(a[p].energy, b[p].energy, `phase ${p}: energies`)
        assert.deepEqual(a[p].steps, b[p].steps, `phase ${p}: sweeps`)
        assert.deepEqual(a[p].settled, new Uint8Array(B).fill(1), `phase ${p}: settled`)
        assert.deepEqual(b[p].settled, a[p].settled)
      }
      assert.ok(lock.lockstepSweeps > 0 && per.lockstepSweeps === 0)
      // diodes hold some hidden nodes at 0, so the clamps were exercised
      const c = compileResistor(net)
      let held = 0
      for (let k = 0; k < B * c.n; k++) if (c.diode[k % c.n] !== 0 && a[0].states[k] === 0) held++
      assert.ok(held > 0, 'some diode holds its node at 0')
      // the phases differ (the nudges moved the outputs)
      assert.notDeepEqual(a[1].states, a[0].states)
      assert.notDeepEqual(a[2].states, a[0].states)
    })

    it(`${name}: lockstep equilibria satisfy the KKT conditions of the convex energy to 1e-6 A`, async () => {
      const sub = new SimResistorSubstrate(net, { tol: 1e-12 })
      const { inputs, targets, force } = batch(net, 12)
      const [free, cost, cur] = await phases(sub, net, 12)
      for (let b = 0; b < B; b++) {
        assert.ok(kktResidual(net, free, b, 0, null, null) < 1e-6, `free ${b}`)
        assert.ok(kktResidual(net, cost, b, 0.7, targets, null) < 1e-6, `cost ${b}`)
        assert.ok(kktResidual(net, cur, b, 0, null, force) < 1e-6, `current ${b}`)
      }
      assert.equal(inputs.length, B * net.inputs.length)
    })
  }

  it('gives the same bits whatever the split of the batch into calls', async () => {
    const net = NETS[2].net, nIn = net.inputs.length, n = net.nodes
    const { inputs } = batch(net, 13)
    const whole = await new SimResistorSubstrate(net).relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 40 } })
    const sub = new SimResistorSubstrate(net)
    for (const [a, e] of [[0, 3], [3, 4], [4, 7]]) {
      const part = await sub.relax({ batch: e - a, inputs: inputs.slice(a * nIn, e * nIn), phase: 'free', start: { kind: 'random', seed: 40 + a } })
      assert.deepEqual(part.states, whole.states.slice(a * n, e * n))
      assert.deepEqual(part.energy, whole.energy.slice(a, e))
    }
  })

  it('costs a settled sample no sweeps: the work is the sum of each sample\'s own sweeps', async () => {
    const net = NETS[0].net
    const sub = new SimResistorSubstrate(net)
    const { inputs } = batch(net, 14)
    const eq = await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 1 } })
    // sample 0 starts at its equilibrium, the others far away
    const start = new Float64Array(eq.states.length).fill(5)
    start.set(eq.states.subarray(0, net.nodes))
    const before = sub.lockstepSweeps
    const r = await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'given', states: start } })
    const work = sub.lockstepSweeps - before
    const total = r.steps.reduce((s, v) => s + v, 0), most = Math.max(...r.steps)
    assert.equal(r.steps[0], 1, 'one sweep confirms an equilibrium')
    assert.ok(most > 5)
    assert.equal(work, total)
    assert.ok(work < B * most, `${work} sample-sweeps, not ${B} x ${most}`)
  })

  it('stops each sample at the sweep budget with the per-sample path\'s sweeps, states and settled flags', async () => {
    const net = NETS[2].net
    const { inputs } = batch(net, 16)
    const req: RelaxRequest = { batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 8 }, budget: { maxEvals: 4 } }
    const a = await new SimResistorSubstrate(net).relax(req), b = await new SimResistorSubstrate(net, { batching: 'per-sample' }).relax(req)
    assert.deepEqual(a.steps, b.steps)
    assert.deepEqual(a.settled, b.settled)
    assert.deepEqual(a.states, b.states)
    assert.ok(a.steps.every((v) => v <= 4) && a.settled.includes(0), 'the budget cut some samples short')
  })

  it('reuses the free phase\'s fold in the nudged phase only while inputs and conductances are unchanged', async () => {
    const net = NETS[0].net
    const lock = new SimResistorSubstrate(net), per = new SimResistorSubstrate(net, { batching: 'per-sample' })
    const { inputs, targets } = batch(net, 15)
    const run = async (sub: SimResistorSubstrate) => {
      const out: Float64Array[] = []
      const f = await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 3 } })
      out.push(f.states)
      await sub.updateParams({ weights: new Float64Array(net.edges.length).fill(0.05) })
      out.push((await sub.relax({ batch: B, inputs, phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta: 0.5, targets }, start: { kind: 'given', states: f.states } })).states)
      const other = inputs.map((v) => -v)
      out.push((await sub.relax({ batch: B, inputs: other, phase: 'free', start: { kind: 'previous' } })).states)
      return out
    }
    const a = await run(lock), b = await run(per)
    for (let k = 0; k < a.length; k++) assert.deepEqual(a[k], b[k], `call ${k}`)
  })

  it('falls back to one sample after the other where it does not apply, naming why', async () => {
    const lattice = asModel(buildNetwork(parseBuilderString('lattice:4x4'), { inputs: 2, outputs: 1 }, 1), 'resistor')
    const sub = new SimResistorSubstrate(lattice)
    assert.equal(sub.kernelInUse().batching, 'per-sample')
    assert.match(sub.lockstepReason ?? '', /not a layered network/)
    const r = await sub.relax({ batch: 2, inputs: Float64Array.of(0.5, -0.5, 1, 0), phase: 'free', start: { kind: 'random', seed: 1 } })
    assert.deepEqual([...r.settled], [1, 1])
    const layered = NETS[0].net
    assert.equal(new SimResistorSubstrate(layered, { fold: false }).lockstepReason, 'fold off')
    assert.equal(new SimResistorSubstrate(layered, { batching: 'per-sample' }).lockstepReason, 'batching per-sample')
    // thermal noise runs per sample (its stream is per sample): the lockstep path stays idle
    const noisy = new SimResistorSubstrate(layered, { noise: { sigma: 0.01, dt: 0.1, time: 1 } })
    await noisy.relax({ batch: B, inputs: batch(layered, 1).inputs, phase: 'free', start: { kind: 'random', seed: 1 } })
    assert.equal(noisy.lockstepSweeps, 0)
  })

  it('builds plans only for consecutive layer blocks from the inputs', () => {
    const plan = ResistorLockstep.build(compileResistor(NETS[2].net), outputIndex(compileResistor(NETS[2].net)))
    assert.ok(typeof plan !== 'string')
    assert.deepEqual([...plan.size], [30, 12, 7, 4])
    assert.equal(plan.nf, 23)
    // an extra coupling inside the hidden layer breaks the layer independence
    const base = NETS[0].net
    const intra = Network.parse({ ...base, edges: [...base.edges, [6, 7]], weights: [...base.weights, 0.3] })
    const why = ResistorLockstep.build(compileResistor(intra), outputIndex(compileResistor(intra)))
    assert.equal(typeof why, 'string')
    // inputs that are not the first layer (outputs clamped instead)
    const swapped = Network.parse({ ...base, inputs: base.outputs, outputs: base.inputs.slice(0, 3) })
    assert.equal(typeof ResistorLockstep.build(compileResistor(swapped), outputIndex(compileResistor(swapped))), 'string')
  })
})
