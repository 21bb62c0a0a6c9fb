// The folded OIM path (clamped inputs as per-sample fields, only free nodes relaxed) against the
// per-edge path over the full network: same landscape on the free nodes, same equilibria.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimOimSubstrate } from '../../../drivers/sim/oim.ts'
import type { RelaxRequest } from '../../../drivers/substrate.ts'
import type { Network } from '../../../src/core/network/network.ts'
import { compileOim, oimEnergy } from '../../../src/core/physics/oim.ts'
import { OimFoldPlan, OimFoldSystem } from '../../../src/core/physics/oim-fold.ts'
import { OimSystem } from '../../../src/core/physics/oim-system.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { BandMatrix } from '../../../src/core/solvers/band.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'
import { substrateContract } from '../../contracts/substrate.contract.ts'

/** A builder network as an OIM with random h and S on every node (seeded). */
function asOim(net: Network, seed: number): Network {
  const rng = new Rng(seed)
  return {
    ...net, model: 'oim',
    bias: { h: Array.from({ length: net.nodes }, () => rng.uniform(-0.5, 0.5)), psi: new Array<number>(net.nodes).fill(0) },
    shil: Array.from({ length: net.nodes }, () => rng.uniform(-0.4, 0.4)),
  }
}

const layered = (sizes: number[], seed: number): Network =>
  asOim(buildNetwork({ kind: 'layered', sizes, weightStd: 0.6, bias: 'random' }, { inputs: sizes[0], outputs: sizes[sizes.length - 1] }, seed), seed + 100)

const SHAPES: { name: string; net: Network }[] = [
  { name: 'layered 6-8-3', net: layered([6, 8, 3], 1) },
  { name: 'layered 12-5-4', net: layered([12, 5, 4], 2) },
  { name: 'layered 20-10-6-2', net: layered([20, 10, 6, 2], 3) },
  // inputs coupled to each other and to every free node: the fold also carries an input-input constant
  { name: 'all-to-all 9 (3 inputs)', net: asOim(buildNetwork({ kind: 'all-to-all', nodes: 9, weightStd: 0.5, bias: 'random' }, { inputs: 3, outputs: 2 }, 4), 104) },
]

// the folded path honours every Substrate rule (starts, budgets, batching, nudges) on the network the
// per-edge contract in test/drivers/sim-oim.test.ts uses (builder h, S = 0)
const contractNet: Network = (() => {
  const net = buildNetwork({ kind: 'layered', sizes: [3, 5, 2], weightStd: 0.8, bias: 'random' }, { inputs: 3, outputs: 2 }, 5)
  return { ...net, model: 'oim', bias: { h: net.bias?.h ?? new Array<number>(net.nodes).fill(0), psi: new Array<number>(net.nodes).fill(0) } }
})()
substrateContract('simulated OIM, inputs folded (kernel dense), layered 3-5-2', async () => new SimOimSubstrate(contractNet, { kernel: 'dense' }), { targets: 'cos' })

/** Phase difference wrapped to (-pi, pi]. */
const dphi = (a: number, b: number) => Math.atan2(Math.sin(a - b), Math.cos(a - b))

describe('OIM input fold: landscape', () => {
  for (const { name, net: desc } of SHAPES) {
    it(`${name}: force, Hessian, stiffness and energy equal the full system's on the free nodes`, () => {
      const net = compileOim(desc), plan = new OimFoldPlan(net)
      const full = new OimSystem(net), fold = new OimFoldSystem(plan)
      const rng = new Rng(11)
      const x = Float64Array.from({ length: net.n }, (_, i) => (net.clamped[i] ? rng.uniform(-1, 1) : rng.uniform(-Math.PI, Math.PI)))
      const y = Float64Array.from(net.outputs, () => rng.uniform(-1, 1))
      for (const beta of [0, 0.7]) {
        full.setFree(); fold.setFree()
        if (beta) { full.beta = fold.beta = beta; full.y = fold.y = y }
        plan.setSample(x, 0)
        const xc = new Float64Array(plan.compact.n)
        plan.gather(x, 0, xc)
        const ff = new Float64Array(net.n), fc = new Float64Array(plan.compact.n)
        const rf = full.force(x, ff), rc = fold.force(xc, fc)
        assert.ok(Math.abs(rf - rc) < 1e-12, `max force ${rf} vs ${rc}`)
        plan.free.forEach((i, t) => assert.ok(Math.abs(ff[i] - fc[t]) < 1e-12, `force on ${i}: ${ff[i]} vs ${fc[t]}`))
        assert.equal(fold.stiffness(), full.stiffness())
        const Hf = new BandMatrix(net.n, net.n - 1), Hc = new BandMatrix(plan.compact.n, fold.bandwidth)
        full.hessian(x, Hf); fold.hessian(xc, Hc)
        plan.free.forEach((i, t) => plan.free.forEach((j, u) => assert.ok(Math.abs(Hf.get(i, j) - Hc.get(t, u)) < 1e-12, `H(${i}, ${j})`)))
        // the internal energy (no nudge) of the full network, from the compact state
        assert.ok(Math.abs(plan.energy(xc) - oimEnergy(net, x, 0)) < 1e-12, `energy ${plan.energy(xc)} vs ${oimEnergy(net, x, 0)}`)
      }
    })
  }

  it('foldBatch gives every sample the bits setSample gives it, and refolds after new inputs or couplings', () => {
    for (const { net: desc } of SHAPES) {
      const net = compileOim(desc), plan = new OimFoldPlan(net)
      const rng = new Rng(4), B = 3, nIn = net.inputs.length
      const inputs = Float64Array.from({ length: B * nIn }, () => rng.uniform(-1, 1))
      const xs = Array.from({ length: B }, (_, r) => {
        const x = new Float64Array(net.n)
        net.inputs.forEach((i, c) => { x[i] = inputs[r * nIn + c] })
        return x
      })
      const check = (): void => {
        plan.foldBatch(inputs, B)
        const xc = new Float64Array(plan.compact.n)
        for (let r = 0; r < B; r++) {
          plan.useSample(r)
          const hb = plan.compact.h.slice(), eb = plan.energy(xc)
          plan.setSample(xs[r], 0)
          assert.deepEqual([...hb], [...plan.compact.h])
          assert.equal(eb, plan.energy(xc))
        }
      }
      check()
      inputs[1] = -inputs[1]
      xs[0][net.inputs[1]] = inputs[1]
      check()
      for (let k = 0; k < net.m; k++) net.w[k] *= 0.7
      plan.refresh()
      check()
      // a large batch grows the kernel's memory; the small batch after it folds with its own column stride
      plan.foldBatch(Float64Array.from({ length: 40 * nIn }, () => rng.uniform(-1, 1)), 40)
      check()
      assert.throws(() => plan.useSample(B), RangeError)
    }
  })

  it('refresh() picks up new couplings, h and S (the folded field follows J)', () => {
    const net = compileOim(SHAPES[0].net), plan = new OimFoldPlan(net)
    const rng = new Rng(3)
    const x = Float64Array.from({ length: net.n }, (_, i) => (net.clamped[i] ? rng.uniform(-1, 1) : rng.uniform(-Math.PI, Math.PI)))
    for (let k = 0; k < net.m; k++) net.w[k] *= -1.5
    for (let i = 0; i < net.n; i++) { net.h[i] += 0.3; net.s[i] -= 0.2 }
    plan.refresh()
    plan.setSample(x, 0)
    const xc = new Float64Array(plan.compact.n)
    plan.gather(x, 0, xc)
    const ff = new Float64Array(net.n), fc = new Float64Array(plan.compact.n)
    new OimSystem(net).force(x, ff)
    const fold = new OimFoldSystem(plan)
    fold.force(xc, fc)
    plan.free.forEach((i, t) => assert.ok(Math.abs(ff[i] - fc[t]) < 1e-12))
    assert.equal(fold.stiffness(), new OimSystem(net).stiffness())
  })
})

describe('OIM input fold: SimOimSubstrate kernel dense vs typed', () => {
  const B = 3
  for (const { name, net } of SHAPES) {
    for (const solver of ['fire-newton', 'flow-newton'] as const) {
      it(`${name}, ${solver}: same free and nudged equilibria (1e-6 rad) and energies`, async () => {
        // tight tolerance: both paths stop at |force| < 1e-10, so equal minima agree far below 1e-6 rad
        const opts = { solver, tol: 1e-10 }
        const typed = new SimOimSubstrate(net, { ...opts, kernel: 'typed' }), dense = new SimOimSubstrate(net, { ...opts, kernel: 'dense' })
        assert.equal(typed.kernelInUse().kernel, 'typed')
        assert.equal(dense.kernelInUse().kernel, 'dense')
        const rng = new Rng(21)
        const nIn = net.inputs.length, nOut = net.outputs.length
        const inputs = Float64Array.from({ length: B * nIn }, () => rng.uniform(-1, 1))
        const targets = Float64Array.from({ length: B * nOut }, () => (rng.uniform(0, 1) < 0.5 ? -1 : 1))
        const compare = async (req: RelaxRequest, what: string) => {
          const a = await typed.relax(req), b = await dense.relax(req)
          let worst = 0
          for (let i = 0; i < a.states.length; i++) worst = Math.max(worst, Math.abs(dphi(a.states[i], b.states[i])))
          assert.ok(worst < 1e-6, `${what}: max phase difference ${worst}`)
          for (let s = 0; s < B; s++) {
            assert.equal(a.settled[s], 1, `${what}: typed sample ${s} settled`)
            assert.equal(b.settled[s], 1, `${what}: dense sample ${s} settled`)
            assert.ok(Math.abs(a.energy[s] - b.energy[s]) < 1e-9, `${what}: energy ${a.energy[s]} vs ${b.energy[s]}`)
            net.inputs.forEach((node, k) => assert.equal(b.states[s * net.nodes + node], inputs[s * nIn + k]))
          }
          return a
        }
        const free = await compare({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 5 } }, 'free')
        const given = { kind: 'given' as const, states: free.states }
        await compare({ batch: B, inputs, phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta: 0.5, targets }, start: given }, 'cost nudge')
        const force = Float64Array.from({ length: B * net.nodes }, () => rng.uniform(-0.05, 0.05))
        await compare({ batch: B, inputs, phase: 'nudged', nudge: { kind: 'force', force }, start: given }, 'force nudge')
      })
    }
  }

  it('follows parameter writes and reaches the same equilibria after updateParams', async () => {
    const net = SHAPES[1].net
    const typed = new SimOimSubstrate(net, { tol: 1e-10, kernel: 'typed' }), dense = new SimOimSubstrate(net, { tol: 1e-10, kernel: 'dense' })
    const rng = new Rng(8)
    const d = { weights: Float64Array.from({ length: net.edges.length }, () => rng.uniform(-0.3, 0.3)), h: Float64Array.from({ length: net.nodes }, () => rng.uniform(-0.2, 0.2)), s: Float64Array.from({ length: net.nodes }, () => rng.uniform(-0.2, 0.2)) }
    await typed.updateParams(d); await dense.updateParams(d)
    const inputs = Float64Array.from({ length: 2 * net.inputs.length }, () => rng.uniform(-1, 1))
    const req: RelaxRequest = { batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 2 } }
    const a = await typed.relax(req), b = await dense.relax(req)
    for (let i = 0; i < a.states.length; i++) assert.ok(Math.abs(dphi(a.states[i], b.states[i])) < 1e-6, `node ${i}`)
  })

  it('draws the same Langevin noise stream on the free nodes (noisy states agree to 1e-9)', async () => {
    const net = SHAPES[0].net
    const o = { noise: { sigma: 0.05, time: 5 }, noiseSeed: 3 }
    const typed = new SimOimSubstrate(net, { ...o, kernel: 'typed' }), dense = new SimOimSubstrate(net, { ...o, kernel: 'dense' })
    const inputs = Float64Array.from({ length: 2 * net.inputs.length }, (_, k) => Math.sin(k))
    const req: RelaxRequest = { batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 7 } }
    const a = await typed.relax(req), b = await dense.relax(req)
    let worst = 0
    for (let i = 0; i < a.states.length; i++) worst = Math.max(worst, Math.abs(dphi(a.states[i], b.states[i])))
    assert.ok(worst < 1e-9, `max phase difference ${worst}`)
  })

  it("kernel 'auto' folds from 4096 input couplings and keeps smaller networks on the per-edge path", () => {
    assert.equal(new SimOimSubstrate(SHAPES[0].net).kernelInUse().kernel, 'typed')
    assert.equal(new SimOimSubstrate(layered([64, 70, 2], 9)).kernelInUse().kernel, 'dense')
    assert.equal(new SimOimSubstrate(layered([64, 70, 2], 9), { kernel: 'typed' }).kernelInUse().kernel, 'typed')
  })
})
