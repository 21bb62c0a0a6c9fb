// The 'eliminate' solver on OIM networks: the hidden nodes' single-node minimisation (with the
// second-harmonic locking term) by Newton steps, Newton on the outputs with the reduced Hessian. Its
// end points must be minima of the full OIM energy, fire-newton's minima must be its fixed points, and
// its reduced Hessian and aligned energy must match the full system's.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ParallelSimSubstrate } from '../../../drivers/sim/parallel-sim.ts'
import { SimOimSubstrate } from '../../../drivers/sim/oim.ts'
import type { Network } from '../../../src/core/network/network.ts'
import { compileOim, type OimNet } from '../../../src/core/physics/oim.ts'
import { minimiseOimNodes, OimElimination, OimNodeScratch } from '../../../src/core/physics/oim-elimination.ts'
import { OimFoldPlan, OimFoldSystem } from '../../../src/core/physics/oim-fold.ts'
import { OimSystem } from '../../../src/core/physics/oim-system.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { BandMatrix, createRelaxWorkspace, DEFAULT_SOLVE, relaxWith, SchurSink, type RelaxSystem } from '../../../src/core/solvers/index.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'
import { EqpError } from '../../../src/errors.ts'
import { circleDistance } from '../../support/networks.ts'

/** A layered builder network as an OIM with random h and S (|S| <= 0.4: two minima per node are common). */
function layeredOim(sizes: number[], seed: number): Network {
  const net = buildNetwork({ kind: 'layered', sizes, weightStd: 0.8, bias: 'random' }, { inputs: sizes[0], outputs: sizes[sizes.length - 1] }, seed)
  const rng = new Rng(seed + 100)
  return {
    ...net, model: 'oim',
    bias: { h: Array.from({ length: net.nodes }, () => rng.uniform(-0.5, 0.5)), psi: new Array<number>(net.nodes).fill(0) },
    shil: Array.from({ length: net.nodes }, () => rng.uniform(-0.4, 0.4)),
  }
}

/** Random phases on free nodes, input values in [-1, 1] on clamped ones. */
function randomStart(net: OimNet, rng: Rng): Float64Array {
  return Float64Array.from({ length: net.n }, (_, i) => (net.clamped[i] ? rng.uniform(-1, 1) : rng.uniform(-Math.PI, Math.PI)))
}

function hessianPd(sys: RelaxSystem, x: Float64Array): boolean {
  const H = new BandMatrix(sys.n, sys.n - 1)
  sys.hessian!(x, H)
  return H.cholesky()
}

const TIGHT = { ...DEFAULT_SOLVE, tol: 1e-10 }

describe('eliminate solver on OIM networks', () => {
  it('moves each node to the minimum of its own basin of -z.(cos, sin) - S/2 cos 2phi - e phi', () => {
    const rng = new Rng(3), N = 200
    const zx = new Float64Array(N), zy = new Float64Array(N), S = new Float64Array(N), e = new Float64Array(N), ph = new Float64Array(N)
    for (let t = 0; t < N; t++) {
      zx[t] = rng.uniform(-1, 1); zy[t] = rng.uniform(-1, 1); S[t] = rng.uniform(-1.5, 1.5); ph[t] = rng.uniform(-Math.PI, Math.PI)
      // a torque below r - |S| leaves f' a zero crossing upwards (f' >= r - |S| - |e| at phi - arg z = pi/2)
      const r = Math.hypot(zx[t], zy[t])
      e[t] = r > Math.abs(S[t]) ? 0.9 * (r - Math.abs(S[t])) * rng.uniform(-1, 1) : 0
    }
    const start = ph.slice(), w = new OimNodeScratch(N)
    assert.ok(minimiseOimNodes(N, ph, zx, zy, S, e, w))
    const f = (t: number, p: number) => -zx[t] * Math.cos(p) - zy[t] * Math.sin(p) - 0.5 * S[t] * Math.cos(2 * p) - e[t] * p
    for (let t = 0; t < N; t++) {
      const p = ph[t]
      const g = zx[t] * Math.sin(p) - zy[t] * Math.cos(p) + S[t] * Math.sin(2 * p) - e[t]
      const h = zx[t] * Math.cos(p) + zy[t] * Math.sin(p) + 2 * S[t] * Math.cos(2 * p)
      assert.ok(Math.abs(g) < 1e-12, `node ${t}: f' = ${g}`)
      assert.ok(h > 0, `node ${t}: f'' = ${h}`)
      assert.ok(Math.abs(w.f[t] - f(t, p)) < 1e-12)
      // a descent: never above the start, and the minimum of its neighbourhood
      assert.ok(f(t, p) <= f(t, start[t]) + 1e-12, `node ${t} rose`)
      for (const dp of [-1e-3, 1e-3]) assert.ok(f(t, p + dp) >= f(t, p))
    }
    // a torque beyond the node's whole restoring range (|z| + |S|) makes it slip: no minimum
    assert.equal(minimiseOimNodes(1, new Float64Array([0.3]), new Float64Array([0.5]), new Float64Array(1), new Float64Array([0.2]), new Float64Array([0.8]), w), false)
    // a node with no field at all has no strict minimum
    assert.equal(minimiseOimNodes(1, new Float64Array([0.3]), new Float64Array(1), new Float64Array(1), new Float64Array(1), null, w), false)
  })

  it('ends at minima of the full OIM energy (max|force| < 1e-6, Hessian positive definite), with fire-newton\'s minima as fixed points', () => {
    let sameAsFire = 0, total = 0, evalsFire = 0, evalsElim = 0
    for (const sizes of [[4, 8, 3], [6, 10, 2]]) {
      const net = compileOim(layeredOim(sizes, 1))
      const sys = new OimSystem(net)
      assert.ok(sys.elimination(), sys.eliminationReason)
      const ws = createRelaxWorkspace(net.n, sys.bandwidth)
      const rng = new Rng(5), f = new Float64Array(net.n)
      for (let s = 0; s < 15; s++) {
        const x0 = randomStart(net, rng)
        const a = x0.slice(), b = x0.slice()
        evalsFire += relaxWith('fire-newton', sys, a, DEFAULT_SOLVE, ws).forceEvals
        const st = relaxWith('eliminate', sys, b, DEFAULT_SOLVE, ws)
        evalsElim += st.forceEvals
        assert.ok(st.settled, `start ${s}: residual ${st.residual}`)
        assert.ok(sys.force(b, f) < 1e-6)
        assert.ok(hessianPd(sys, b), `start ${s}: not a minimum`)
        for (const i of net.inputs) assert.equal(b[i], x0[i], 'clamped inputs never move')
        // fire-newton's minimum, tightened, is a fixed point of eliminate
        relaxWith('fire-newton', sys, a, TIGHT, ws)
        const c = a.slice()
        const st2 = relaxWith('eliminate', sys, c, TIGHT, ws)
        assert.ok(st2.settled && circleDistance(a, c) < 1e-8, `start ${s}: moved ${circleDistance(a, c)} from fire-newton's minimum`)
        relaxWith('fire-newton', sys, b, TIGHT, ws)
        total++
        if (circleDistance(a, b) < 1e-6) sameAsFire++
      }
    }
    // measured: 17 of 30 starts in fire-newton's minimum (the hidden nodes reach their own minima at
    // once, so some starts change basin; the locking term gives each node two minima to choose from)
    assert.ok(sameAsFire >= 0.45 * total, `same minimum as fire-newton on ${sameAsFire}/${total}`)
    assert.ok(evalsFire >= 2.5 * evalsElim, `fire-newton ${evalsFire} vs eliminate ${evalsElim} force evaluations`)
  })

  it('reaches the nudged equilibria of fire-newton from a free equilibrium (MSE cost and frozen torque)', () => {
    const net = compileOim(layeredOim([4, 8, 3], 2))
    const sys = new OimSystem(net)
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    const rng = new Rng(9)
    for (let s = 0; s < 4; s++) {
      const free = randomStart(net, rng)
      assert.ok(relaxWith('eliminate', sys.setFree(), free, TIGHT, ws).settled)
      for (const kind of ['cost', 'torque'] as const) {
        if (kind === 'cost') { sys.beta = 0.2; sys.y = Float64Array.from(net.outputs, () => rng.uniform(-1, 1)) }
        else { sys.ext = new Float64Array(net.n); for (const o of net.outputs) sys.ext[o] = 0.02 }
        const a = free.slice(), b = free.slice()
        assert.ok(relaxWith('fire-newton', sys, a, TIGHT, ws).settled)
        const st = relaxWith('eliminate', sys, b, TIGHT, ws)
        assert.ok(st.settled, `${kind} start ${s}: residual ${st.residual}`)
        assert.ok(circleDistance(a, b) < 1e-8, `${kind} start ${s}: ${circleDistance(a, b)}`)
        sys.setFree()
      }
    }
  })

  it('computes the reduced Hessian as the generic Schur complement, and the aligned energy as the system\'s up to one constant', () => {
    for (const sizes of [[5, 9, 3], [6, 12, 9, 3]]) {
      const full = compileOim(layeredOim(sizes, 3))
      const plan = new OimFoldPlan(full), sys = new OimFoldSystem(plan)
      const rng = new Rng(2)
      plan.foldBatch(Float64Array.from({ length: sizes[0] }, () => rng.uniform(-1, 1)), 1)
      plan.useSample(0)
      const el = sys.elimination() as OimElimination
      assert.ok(el, sys.eliminationReason)
      sys.beta = 0.3
      sys.y = Float64Array.from({ length: 3 }, (_, k) => 0.4 * k - 0.5)
      const x = randomStart(plan.compact, rng)
      assert.ok(el.align(x))
      const sink = new SchurSink(sys.n, el)
      sys.hessian(x, sink)
      assert.equal(sink.bad, false)
      assert.ok(sink.schur())
      const nb = el.b.length, S = new Float64Array(nb * nb)
      assert.ok(el.reducedHessian(x, S))
      for (let j = 0; j < nb; j++) for (let k = 0; k <= j; k++) assert.ok(Math.abs(S[j * nb + k] - sink.S[j * nb + k]) < 1e-12, `(${j}, ${k})`)
      // after align the eliminated nodes feel no force
      const f = new Float64Array(sys.n)
      sys.force(x, f)
      for (const i of el.a) assert.ok(Math.abs(f[i]) < 1e-12, `force ${f[i]} on eliminated node ${i}`)
      sys.ext = Float64Array.from({ length: sys.n }, (_, i) => 0.01 * (i % 3))
      const offsets: number[] = []
      for (const z of [x, randomStart(plan.compact, rng)]) {
        assert.ok(el.align(z))
        offsets.push(el.alignedEnergy() - sys.energy(z))
      }
      assert.ok(Math.abs(offsets[0] - offsets[1]) < 1e-10, `offsets ${offsets}`)
      sys.setFree()
      // new couplings reach the dense A-B matrix at the next relaxation (prepare)
      for (let k = 0; k < full.m; k++) full.w[k] *= -0.8
      plan.refresh()
      el.prepare()
      const z = randomStart(plan.compact, rng)
      assert.ok(el.align(z))
      sys.force(z, f)
      for (const i of el.a) assert.ok(Math.abs(f[i]) < 1e-12)
    }
  })

  it('the OIM simulator relaxes a folded layered network with eliminate (free and nudged phases settle, same bits on 2 threads) and refuses it without a split', async () => {
    const net = layeredOim([16, 24, 4], 7)
    const opts = { solver: 'eliminate' as const, kernel: 'dense' as const }
    const sub = new SimOimSubstrate(net, opts)
    const two = await ParallelSimSubstrate.create(net, opts, 2)
    try {
      const B = 5, rng = new Rng(1)
      const inputs = Float64Array.from({ length: B * 16 }, () => rng.uniform(-1, 1))
      const freeReq = { batch: B, inputs, phase: 'free' as const, start: { kind: 'random' as const, seed: 11 } }
      const free = await sub.relax(freeReq)
      assert.deepEqual([...free.settled], new Array(B).fill(1))
      const targets = Float64Array.from({ length: B * 4 }, (_, k) => (k % 4 === 0 ? 1 : -1))
      const nudgedReq = { batch: B, inputs, phase: 'nudged' as const, start: { kind: 'previous' as const }, nudge: { kind: 'cost' as const, beta: 0.1, targets, cost: 'log-cos' as const } }
      const nudged = await sub.relax(nudgedReq)
      assert.deepEqual([...nudged.settled], new Array(B).fill(1))
      // the same bits on 2 worker threads (each folds and relaxes its own part of the batch)
      assert.deepEqual([...(await two.relax(freeReq)).states], [...free.states])
      assert.deepEqual([...(await two.relax(nudgedReq)).states], [...nudged.states])
    } finally {
      await sub.close()
      await two.close()
    }
    const a2a = { ...buildNetwork({ kind: 'all-to-all', nodes: 6 }, { inputs: 2, outputs: 1 }, 1), model: 'oim' as const }
    assert.throws(() => new SimOimSubstrate(a2a, { solver: 'eliminate' }), (e: unknown) => e instanceof EqpError && /solver: 'eliminate' needs free nodes that split/.test(e.message))
  })
})
