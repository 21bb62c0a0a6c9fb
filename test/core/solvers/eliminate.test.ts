// The 'eliminate' solver: a bipartite network's one side minimised in closed form, Newton on the other.
// It must end at true minima of the full energy, mostly the gradient flow's, agree with the other
// solvers where they meet, give the same reduced Hessian as the generic Schur complement, and be
// refused (naming why) where the network has no split.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ParallelSimSubstrate } from '../../../drivers/sim/parallel-sim.ts'
import { SimOimSubstrate } from '../../../drivers/sim/oim.ts'
import { SimXySubstrate } from '../../../drivers/sim/xy.ts'
import { DenseXyPlan, typedMatMul } from '../../../src/core/physics/dense-xy.ts'
import { DenseXySystem } from '../../../src/core/physics/dense-xy-system.ts'
import { compileXy, xyEdgeObservable, type XyNet } from '../../../src/core/physics/xy.ts'
import { XySystem } from '../../../src/core/physics/xy-system.ts'
import type { XyElimination } from '../../../src/core/physics/xy-elimination.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { BandMatrix, createRelaxWorkspace, DEFAULT_SOLVE, relaxWith, SchurSink, type RelaxSystem } from '../../../src/core/solvers/index.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'
import { EqpError } from '../../../src/errors.ts'
import { circleDistance, layeredNet as layered } from '../../support/networks.ts'

function randomStart(net: XyNet, rng: Rng): Float64Array {
  return Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI))
}

/** true when the Hessian of sys at x (clamped rows as identity) is positive definite. */
function hessianPd(sys: RelaxSystem, x: Float64Array): boolean {
  const H = new BandMatrix(sys.n, sys.n - 1)
  sys.hessian!(x, H)
  return H.cholesky()
}

const TIGHT = { ...DEFAULT_SOLVE, tol: 1e-10 }

describe('eliminate solver', () => {
  it('splits a layered net into hidden (eliminated) and outputs (kept), and finds no split with intra-layer couplings', () => {
    const sys = new XySystem(compileXy(layered([4, 8, 3], 1)))
    const el = sys.elimination()!
    assert.deepEqual([...el.a], [4, 5, 6, 7, 8, 9, 10, 11])
    assert.deepEqual([...el.b], [12, 13, 14])
    // 784-style deeper stack: hidden 2 is eliminated, hidden 1 and the outputs kept
    const deep = new XySystem(compileXy(layered([3, 5, 4, 2], 1))).elimination()!
    assert.deepEqual([...deep.a], [8, 9, 10, 11])
    const a2a = new XySystem(compileXy(buildNetwork({ kind: 'all-to-all', nodes: 6 }, { inputs: 2, outputs: 1 }, 1)))
    assert.equal(a2a.elimination(), null)
    assert.match(a2a.eliminationReason, /same class/)
    // a wide layer on the kept side: the dense reduced system would cost more than it saves
    const wide = new XySystem(compileXy(layered([2, 4, 130, 4, 2], 1)))
    assert.equal(wide.elimination(), null)
    assert.match(wide.eliminationReason, /132 nodes would be kept, more than 128/)
    const diag = new XySystem(compileXy(buildNetwork({ kind: 'lattice', rows: 4, cols: 5, neighbours: 8 }, { inputs: 2, outputs: 2 }, 1)))
    assert.equal(diag.elimination(), null)
  })

  it('ends at true minima (max|force| < tol, Hessian positive definite), mostly the gradient flow\'s, with a fraction of its force evaluations', () => {
    let same = 0, total = 0, evalsRef = 0, evalsElim = 0
    for (const sizes of [[4, 8, 3], [6, 10, 2]]) {
      const net = compileXy(layered(sizes, 1))
      const sys = new XySystem(net)
      const ws = createRelaxWorkspace(net.n, sys.bandwidth)
      const rng = new Rng(5)
      for (let s = 0; s < 20; s++) {
        const x0 = randomStart(net, rng)
        const a = x0.slice(), b = x0.slice()
        evalsRef += relaxWith('rk45', sys, a, DEFAULT_SOLVE, ws).forceEvals
        const st = relaxWith('eliminate', sys, b, DEFAULT_SOLVE, ws)
        evalsElim += st.forceEvals
        assert.ok(st.settled, `start ${s}: residual ${st.residual}`)
        const f = new Float64Array(net.n)
        assert.ok(sys.force(b, f) < 1e-6)
        assert.ok(hessianPd(sys, b), `start ${s}: a saddle`)
        for (const i of net.inputs) assert.equal(b[i], x0[i], 'clamped inputs never move')
        relaxWith('fire-newton', sys, a, TIGHT, ws)
        relaxWith('fire-newton', sys, b, TIGHT, ws)
        total++
        if (circleDistance(a, b) < 1e-6) same++
      }
    }
    // measured: 35 of 40 (fire-newton: 39 of 40) (the A side jumps to its minimiser at once, so some starts change basin)
    assert.ok(same >= 0.75 * total, `same minimum as rk45 on ${same}/${total}`)
    assert.ok(evalsRef >= 30 * evalsElim, `rk45 ${evalsRef} vs eliminate ${evalsElim} force evaluations`)
  })

  it('reaches the nudged equilibria of rk45 from a free equilibrium (log-cos cost and frozen torque), so EqProp contrasts agree', () => {
    const net = compileXy(layered([4, 8, 3], 2))
    const sys = new XySystem(net)
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    const rng = new Rng(9)
    const obsA = new Float64Array(net.m), obsB = new Float64Array(net.m), obs0 = new Float64Array(net.m)
    for (let s = 0; s < 5; s++) {
      const free = randomStart(net, rng)
      assert.ok(relaxWith('eliminate', sys.setFree(), free, DEFAULT_SOLVE, ws).settled)
      xyEdgeObservable(net, free, 0, obs0)
      for (const kind of ['cost', 'torque'] as const) {
        const beta = 0.1
        if (kind === 'cost') { sys.beta = beta; sys.tau = Float64Array.from(net.outputs, (o) => free[o] + 0.6) }
        else { sys.ext = new Float64Array(net.n); for (const o of net.outputs) sys.ext[o] = 0.2 * beta; sys.markSlipReference(free) }
        const a = free.slice(), b = free.slice()
        assert.ok(relaxWith('rk45', sys, a, DEFAULT_SOLVE, ws).settled)
        relaxWith('fire-newton', sys, a, TIGHT, ws) // rk45's step control stalls short of 1e-10
        const st = relaxWith('eliminate', sys, b, TIGHT, ws)
        assert.ok(st.settled, `${kind} start ${s}: residual ${st.residual}`)
        assert.ok(st.forceEvals <= 12, `${kind} start ${s}: ${st.forceEvals} force evaluations from next to the minimum`)
        assert.ok(circleDistance(a, b) < 1e-8, `${kind} start ${s}: ${circleDistance(a, b)}`)
        xyEdgeObservable(net, a, 0, obsA)
        xyEdgeObservable(net, b, 0, obsB)
        for (let k = 0; k < net.m; k++) assert.ok(Math.abs((obsA[k] - obs0[k]) / beta - (obsB[k] - obs0[k]) / beta) < 1e-6)
        sys.setFree()
      }
    }
  })

  it('computes the reduced Hessian of the folded dense path as the generic Schur complement of its Hessian', () => {
    const full = compileXy(layered([6, 12, 9, 3], 3))
    const plan = DenseXyPlan.build(full, 2)!
    const sys = new DenseXySystem(plan)
    const rng = new Rng(2)
    plan.fold(Float64Array.from({ length: 6 }, () => rng.uniform(0, 1.5)), 1, typedMatMul)
    plan.setSample(0)
    const el = sys.elimination() as XyElimination
    assert.ok(el, sys.eliminationReason)
    const x = randomStart(plan.compact, rng)
    sys.beta = 0.3
    sys.tau = Float64Array.from({ length: 3 }, (_, k) => 0.4 * k)
    el.align(x)
    const sink = new SchurSink(sys.n, el)
    sys.hessian(x, sink)
    assert.equal(sink.bad, false)
    assert.ok(sink.schur())
    const nb = el.b.length, S = new Float64Array(nb * nb)
    assert.ok(el.reducedHessian(x, S))
    for (let j = 0; j < nb; j++) for (let k = 0; k <= j; k++) assert.ok(Math.abs(S[j * nb + k] - sink.S[j * nb + k]) < 1e-12, `(${j}, ${k})`)
    // the energy from the alignment equals the system's up to one constant, across states and nudges
    const x2 = randomStart(plan.compact, rng)
    sys.ext = Float64Array.from({ length: sys.n }, (_, i) => 0.01 * (i % 3))
    sys.markSlipReference(x)
    const offsets: number[] = []
    for (const z of [x, x2]) {
      assert.ok(el.align(z))
      offsets.push(el.alignedEnergy() - sys.energy(z))
    }
    assert.ok(Math.abs(offsets[0] - offsets[1]) < 1e-10, `offsets ${offsets}`)
    sys.ext = null
    // after align the eliminated nodes feel no force
    const f = new Float64Array(sys.n)
    sys.setFree()
    el.align(x)
    sys.force(x, f)
    for (const i of el.a) assert.ok(Math.abs(f[i]) < 1e-13)
  })

  it('relaxes a dense layered network to the same bits on 1 and 2 threads, and is refused where no split exists', async () => {
    const net = buildNetwork({ kind: 'layered', sizes: [16, 32, 4], weightStd: 0.5, bias: 'random' }, { inputs: 16, outputs: 4 }, 7)
    const opts = { kernel: 'dense' as const, solver: 'eliminate' as const }
    const one = new SimXySubstrate(net, opts)
    const two = await ParallelSimSubstrate.create(net, opts, 2)
    try {
      const B = 6
      const inputs = Float64Array.from({ length: B * 16 }, (_, k) => Math.sin(0.7 * k))
      const req = { batch: B, inputs, phase: 'free' as const, start: { kind: 'random' as const, seed: 11 } }
      const a = await one.relax(req), b = await two.relax(req)
      assert.deepEqual([...b.states], [...a.states])
      assert.deepEqual([...a.settled], new Array(B).fill(1))
      const targets = Float64Array.from({ length: B * 4 }, (_, k) => (k % 4) * 0.5)
      const nudged = { batch: B, inputs, phase: 'nudged' as const, start: { kind: 'previous' as const }, nudge: { kind: 'cost' as const, beta: 0.1, targets, cost: 'log-cos' as const } }
      const an = await one.relax(nudged), bn = await two.relax(nudged)
      assert.deepEqual([...bn.states], [...an.states])
      assert.deepEqual([...an.settled], new Array(B).fill(1))
    } finally {
      await one.close()
      await two.close()
    }
    const a2a = buildNetwork({ kind: 'all-to-all', nodes: 6 }, { inputs: 2, outputs: 1 }, 1)
    assert.throws(() => new SimXySubstrate(a2a, { solver: 'eliminate' }), (e: unknown) => e instanceof EqpError && /solver: 'eliminate' needs free nodes that split/.test(e.message))
    assert.throws(() => new SimOimSubstrate({ ...a2a, model: 'oim' }, { solver: 'eliminate' }), (e: unknown) => e instanceof EqpError && /solver: 'eliminate' needs free nodes that split/.test(e.message))
    // reference dynamics run no solver: nothing to refuse
    await new SimXySubstrate(a2a, { solver: 'eliminate', dynamics: 'reference' }).close()
  })
})
