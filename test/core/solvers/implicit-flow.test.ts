import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimXySubstrate } from '../../../drivers/sim/xy.ts'
import type { Network } from '../../../src/core/network/network.ts'
import { compileOim } from '../../../src/core/physics/oim.ts'
import { OimSystem } from '../../../src/core/physics/oim-system.ts'
import { compileXy } from '../../../src/core/physics/xy.ts'
import { XySystem } from '../../../src/core/physics/xy-system.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import {
  createPcgWork, createRelaxWorkspace, DEFAULT_SOLVE, pcgSolve, relaxReference, relaxWith, SparseSymMatrix,
  type RelaxSystem, type SolveOptions,
} from '../../../src/core/solvers/index.ts'
import { buildNetwork, parseBuilderString } from '../../../src/core/topology/index.ts'
import { bandAndSparse } from '../../support/hessians.ts'
import { circleDistance } from '../../support/networks.ts'

/** Largest phase difference between two states, measured on the circle (rad). */
/** Random phases, and clamped inputs within +-inputMax (XY: phases; OIM: values in [-1, 1]). */
function randomStart(n: number, inputs: ArrayLike<number>, rng: Rng, inputMax = Math.PI / 2): Float64Array {
  const x = Float64Array.from({ length: n }, () => rng.uniform(-Math.PI, Math.PI))
  for (let k = 0; k < inputs.length; k++) x[inputs[k]] = rng.uniform(-inputMax, inputMax)
  return x
}

/** Relaxes each start with rk45 and implicit-flow; counts starts that end in the same minimum, and the evaluations. */
function compareWithRk45(sys: RelaxSystem, n: number, inputs: ArrayLike<number>, starts: number, seed: number, inputMax?: number, o: Partial<SolveOptions> = {}) {
  const ws = createRelaxWorkspace(n, sys.bandwidth)
  const rng = new Rng(seed), polish = { ...DEFAULT_SOLVE, tol: 1e-10 }
  let same = 0, rkEvals = 0, evals = 0, hevals = 0
  for (let s = 0; s < starts; s++) {
    const x0 = randomStart(n, inputs, rng, inputMax)
    const a = x0.slice(), b = x0.slice()
    rkEvals += relaxWith('rk45', sys, a, DEFAULT_SOLVE, ws).forceEvals
    const st = relaxWith('implicit-flow', sys, b, { ...DEFAULT_SOLVE, ...o }, ws)
    assert.ok(st.settled, `start ${s}: residual ${st.residual}`)
    evals += st.forceEvals
    hevals += st.hessianEvals
    for (let k = 0; k < inputs.length; k++) assert.equal(b[inputs[k]], x0[inputs[k]], 'clamped inputs never move')
    // compare the minima each run sits in, not where each stopped
    relaxWith('fire-newton', sys, a, polish, ws)
    relaxWith('fire-newton', sys, b, polish, ws)
    if (circleDistance(a, b) < 1e-4) same++
  }
  return { same, rkEvals, evals, hevals }
}

describe('implicit-flow', () => {
  const xyCases: { name: string; net: Network }[] = [
    { name: 'all-to-all 8', net: buildNetwork({ kind: 'all-to-all', nodes: 8, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1) },
    { name: 'layered 2-10-2', net: buildNetwork({ kind: 'layered', sizes: [2, 10, 2], weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 2 }, 1) },
    { name: 'lattice 6x6', net: buildNetwork({ kind: 'lattice', rows: 6, cols: 6, weightStd: 1, bias: 'random' }, { inputs: 2, outputs: 1 }, 1) },
  ]
  for (const { name, net: desc } of xyCases) {
    it(`ends in the rk45 minimum on >= 9 of 10 starts on XY ${name}, with <= 1/5 of its force evaluations`, () => {
      const net = compileXy(desc)
      const r = compareWithRk45(new XySystem(net), net.n, net.inputs, 10, 5)
      assert.ok(r.same >= 9, `same minimum on ${r.same}/10`)
      assert.ok(5 * r.evals <= r.rkEvals, `implicit-flow ${r.evals} vs rk45 ${r.rkEvals} force evaluations`)
      assert.ok(r.hevals > 0 && r.hevals <= r.evals, `${r.hevals} Hessian evaluations`)
    })
  }

  for (const { name, net: desc } of xyCases) {
    it(`ends in the rk45 minimum on >= 9 of 10 starts on OIM ${name}, with <= 1/5 of its force evaluations`, () => {
      const net = compileOim({ ...desc, model: 'oim' })
      const r = compareWithRk45(new OimSystem(net), net.n, net.inputs, 10, 6, 1)
      assert.ok(r.same >= 9, `same minimum on ${r.same}/10`)
      assert.ok(5 * r.evals <= r.rkEvals, `implicit-flow ${r.evals} vs rk45 ${r.rkEvals} force evaluations`)
    })
  }

  it('reaches the same minima with PCG solves as with Cholesky solves (lattice 8x8)', () => {
    const net = compileXy(buildNetwork({ kind: 'lattice', rows: 8, cols: 8, weightStd: 1, bias: 'random' }, { inputs: 2, outputs: 1 }, 3))
    const sys = new XySystem(net)
    const wsC = createRelaxWorkspace(net.n, sys.bandwidth), wsP = createRelaxWorkspace(net.n, sys.bandwidth)
    const rng = new Rng(7)
    for (let s = 0; s < 4; s++) {
      const x0 = randomStart(net.n, net.inputs, rng)
      const a = x0.slice(), b = x0.slice()
      assert.ok(relaxWith('implicit-flow', sys, a, { ...DEFAULT_SOLVE, linear: 'cholesky' }, wsC).settled)
      assert.ok(relaxWith('implicit-flow', sys, b, { ...DEFAULT_SOLVE, linear: 'pcg' }, wsP).settled)
      assert.ok(circleDistance(a, b) < 1e-4, `start ${s}: ${circleDistance(a, b)}`)
    }
    assert.equal(wsC.linear?.pcg, undefined)
    assert.ok(wsP.linear?.pcg && wsP.linear.pcg.work.iterations > 0, 'the PCG run solved by conjugate gradients')
  })

  it('settles through the simulator on the dense (folded) path, at the rk45 equilibrium', async () => {
    const net = buildNetwork({ kind: 'layered', sizes: [4, 12, 2], weightStd: 0.8, bias: 'random' }, { inputs: 4, outputs: 2 }, 4)
    const req = { batch: 3, inputs: Float64Array.from({ length: 12 }, (_, k) => Math.sin(k)), phase: 'free' as const, start: { kind: 'random' as const, seed: 9 } }
    const ref = await new SimXySubstrate(net, { solver: 'rk45', kernel: 'dense' }).relax(req)
    const imp = await new SimXySubstrate(net, { solver: 'implicit-flow', kernel: 'dense' }).relax(req)
    assert.deepEqual([...imp.settled], [1, 1, 1])
    assert.ok(circleDistance(ref.states, imp.states) < 1e-4, `${circleDistance(ref.states, imp.states)}`)
  })
})

describe('PCG on a sparse Hessian', () => {
  it('solves (H + s I) z = r like the band Cholesky, to 1e-8', () => {
    const net = compileXy(buildNetwork({ kind: 'lattice', rows: 7, cols: 9, weightStd: 1, bias: 'random' }, { inputs: 2, outputs: 1 }, 5))
    const sys = new XySystem(net)
    const rng = new Rng(11)
    const x = randomStart(net.n, net.inputs, rng)
    // a minimum, where H is positive definite, and a random state with a shift that makes it so
    relaxWith('fire-newton', sys, x, { ...DEFAULT_SOLVE, tol: 1e-10 }, createRelaxWorkspace(net.n, sys.bandwidth))
    for (const [state, shift] of [[x, 0], [randomStart(net.n, net.inputs, rng), 4 * sys.stiffness()]] as const) {
      const { band, sparse, factored } = bandAndSparse(sys, net.n, state, shift)
      assert.ok(factored)
      const r = Float64Array.from({ length: net.n }, (_, i) => (net.clamped[i] ? 0 : rng.normal()))
      const zc = band.solveInPlace(r.slice()), zp = r.slice()
      assert.ok(pcgSolve(sparse, shift, zp, createPcgWork(net.n), 1e-12, 1000))
      let d = 0, m = 0
      for (let i = 0; i < net.n; i++) { d = Math.max(d, Math.abs(zc[i] - zp[i])); m = Math.max(m, Math.abs(zc[i])) }
      assert.ok(d <= 1e-8 * m, `max difference ${d} against max |z| ${m}`)
    }
  })

  it('reports a matrix that is not positive definite instead of returning garbage', () => {
    const A = new SparseSymMatrix(2)
    A.zero(); A.add(0, 0, 1); A.add(1, 1, 1); A.add(0, 1, 2); A.assemble()
    assert.equal(pcgSolve(A, 0, Float64Array.of(1, -1), createPcgWork(2), 1e-10, 50), false)
  })

  it('rebuilds its pattern when the sequence of entries changes', () => {
    const A = new SparseSymMatrix(3)
    A.zero(); A.add(0, 0, 2); A.add(1, 1, 2); A.add(2, 2, 2); A.assemble()
    A.zero(); A.add(0, 0, 2); A.add(1, 1, 2); A.add(2, 2, 2); A.add(0, 2, 1); A.assemble()
    const y = new Float64Array(3)
    A.multiply(0, Float64Array.of(1, 1, 1), y)
    assert.deepEqual([...y], [3, 2, 3])
  })
})

describe('reference dynamics', () => {
  const desc = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 6)
  const net = compileXy(desc)
  const sys = new XySystem(net)

  /** Classical RK4 with a fixed step to time T: the plain integration the reference must match. */
  function rk4(x: Float64Array, T: number, steps: number): void {
    const n = net.n, h = T / steps, k = Array.from({ length: 4 }, () => new Float64Array(n)), y = new Float64Array(n)
    for (let s = 0; s < steps; s++) {
      sys.force(x, k[0])
      for (let i = 0; i < n; i++) y[i] = x[i] + 0.5 * h * k[0][i]
      sys.force(y, k[1])
      for (let i = 0; i < n; i++) y[i] = x[i] + 0.5 * h * k[1][i]
      sys.force(y, k[2])
      for (let i = 0; i < n; i++) y[i] = x[i] + h * k[2][i]
      sys.force(y, k[3])
      for (let i = 0; i < n; i++) x[i] += (h / 6) * (k[0][i] + 2 * k[1][i] + 2 * k[2][i] + k[3][i])
    }
  }

  it('matches a fixed-step RK4 integration to T, and runs to T even when it settled long before', () => {
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    const rng = new Rng(12)
    for (const T of [3, 60]) {
      const x0 = randomStart(net.n, net.inputs, rng)
      const a = x0.slice(), b = x0.slice()
      const st = relaxReference(sys, a, T, { ...DEFAULT_SOLVE, maxEvals: 1e6 }, ws)
      rk4(b, T, 100 * T)
      assert.equal(st.steps, T, 'integrated to T')
      assert.ok(circleDistance(a, b) < 1e-6, `T ${T}: ${circleDistance(a, b)}`)
      const converged = relaxWith('rk45', sys, x0.slice(), DEFAULT_SOLVE, ws)
      if (T === 60) {
        // the converged run stops once settled; the reference keeps integrating (more evaluations, same T)
        assert.ok(converged.steps < T && st.forceEvals > converged.forceEvals, `converged at t ${converged.steps}, ${converged.forceEvals} vs ${st.forceEvals} evaluations`)
        assert.ok(st.settled, `residual ${st.residual}`)
      } else {
        assert.ok(!st.settled && st.residual > DEFAULT_SOLVE.tol, 'still moving at T = 3: not settled')
      }
    }
  })

  it('reports unsettled when the budget ends before T', () => {
    const x = randomStart(net.n, net.inputs, new Rng(13))
    const st = relaxReference(sys, x, 100, { ...DEFAULT_SOLVE, maxEvals: 50 }, createRelaxWorkspace(net.n, sys.bandwidth))
    assert.ok(st.steps < 100 && !st.settled)
  })

  it('runs through the simulator option dynamics: reference, from the request start', async () => {
    const req = { batch: 2, inputs: Float64Array.of(0.3, -0.4, 1, 0.2), phase: 'free' as const, start: { kind: 'random' as const, seed: 3 } }
    const r = await new SimXySubstrate(desc, { dynamics: 'reference', dynamicsT: 3 }).relax(req)
    for (let b = 0; b < 2; b++) {
      const x = randomStart(net.n, [], new Rng(3 + b))
      x[net.inputs[0]] = req.inputs[2 * b]; x[net.inputs[1]] = req.inputs[2 * b + 1]
      rk4(x, 3, 300)
      assert.ok(circleDistance(r.states.subarray(b * net.n, (b + 1) * net.n), x) < 1e-6)
      assert.equal(r.settled[b], 0)
    }
  })

})

describe('implicit-flow under a frozen torque', () => {
  it('stops at a frozen-torque slip as soon as an accepted step has turned the output past pi, and settles under a torque within the locking range', () => {
    const net = compileXy(buildNetwork(parseBuilderString('lattice:5x5:in=1,1;1,3:out=3,2'), { inputs: 2, outputs: 1 }, 0))
    const sys = new XySystem(net), ws = createRelaxWorkspace(net.n, sys.bandwidth), out = net.outputs[0]
    const rng = new Rng(3)
    for (const torque of [0.05, 0.6, 1, 2, 4]) {
      const free = Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI))
      assert.ok(relaxWith('implicit-flow', sys, free, DEFAULT_SOLVE, ws).settled)
      const ext = new Float64Array(net.n)
      ext[out] = torque
      const run = (solver: 'implicit-flow' | 'rk45') => {
        const x = free.slice()
        sys.ext = ext
        sys.markSlipReference(x)
        const st = relaxWith(solver, sys, x, DEFAULT_SOLVE, ws)
        assert.equal(sys.escapeInForce, true, 'the force reports escapes again after the relaxation')
        // compare the equilibria each run sits at, not where each stopped
        if (st.settled) relaxWith('fire-newton', sys, x, { ...DEFAULT_SOLVE, tol: 1e-10 }, ws)
        sys.setFree()
        return { st, x }
      }
      const a = run('implicit-flow')
      if (torque < 0.1) {
        assert.ok(a.st.settled, `torque ${torque}: residual ${a.st.residual}`)
        const b = run('rk45')
        assert.ok(circleDistance(a.x, b.x) < 1e-6, `torque ${torque}: ${circleDistance(a.x, b.x)} from the rk45 equilibrium`)
      } else {
        assert.equal(a.st.settled, false)
        assert.equal(a.st.residual, Infinity)
        assert.ok(Math.abs(a.x[out] - free[out]) > Math.PI, `torque ${torque}: the output turned by ${a.x[out] - free[out]}`)
        // a crossing rejected as an error would creep up to pi: 117-178 evaluations on these starts
        assert.ok(a.st.forceEvals <= 60, `torque ${torque}: ${a.st.forceEvals} force evaluations`)
      }
    }
  })
})
