import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileXy } from '../../../src/core/physics/xy.ts'
import { XySystem } from '../../../src/core/physics/xy-system.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { BandMatrix, createRelaxWorkspace, DEFAULT_SOLVE, relaxWith, SOLVER_NAMES, type SolverName } from '../../../src/core/solvers/index.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'
import { smallNetworks } from '../../support/networks.ts'
import { circleDistance } from '../../support/networks.ts'

/** Largest phase difference between two states, measured on the circle (rad). */
function randomStart(net: ReturnType<typeof compileXy>, rng: Rng): Float64Array {
  const x = Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI))
  for (const i of net.inputs) x[i] = rng.uniform(-Math.PI / 2, Math.PI / 2)
  return x
}

describe('BandMatrix', () => {
  it('solves a random symmetric positive definite band system like a dense solver', () => {
    const rng = new Rng(3), n = 12, b = 3
    const M = new BandMatrix(n, b)
    const dense = Array.from({ length: n }, () => new Float64Array(n))
    for (let i = 0; i < n; i++) {
      for (let j = Math.max(0, i - b); j < i; j++) { const v = rng.uniform(-1, 1); M.add(i, j, v); dense[i][j] = dense[j][i] = v }
      M.add(i, i, 2 * b + 1); dense[i][i] = 2 * b + 1
    }
    const x = Float64Array.from({ length: n }, () => rng.normal())
    const r = new Float64Array(n)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) r[i] += dense[i][j] * x[j]
    assert.ok(M.cholesky())
    M.solveInPlace(r)
    for (let i = 0; i < n; i++) assert.ok(Math.abs(r[i] - x[i]) < 1e-12)
  })

  it('reports a matrix that is not positive definite', () => {
    const M = new BandMatrix(2, 1)
    M.add(0, 0, 1); M.add(1, 1, 1); M.add(0, 1, 2)
    assert.equal(M.cholesky(), false)
  })
})

describe('relaxation solvers', () => {
  for (const { name, net: desc } of smallNetworks(21)) {
    it(`every solver settles to max|force| < 1e-6 on ${name}`, () => {
      const net = compileXy(desc)
      const sys = new XySystem(net)
      const ws = createRelaxWorkspace(net.n, sys.bandwidth)
      const rng = new Rng(8)
      for (let s = 0; s < 5; s++) {
        const x0 = randomStart(net, rng)
        for (const solver of SOLVER_NAMES) {
          const x = x0.slice()
          const st = relaxWith(solver, sys, x, DEFAULT_SOLVE, ws)
          assert.ok(st.settled, `${solver} start ${s}: residual ${st.residual}`)
          const f = new Float64Array(net.n)
          assert.ok(sys.force(x, f) < 1e-6)
          for (const i of net.inputs) assert.equal(x[i], x0[i], 'clamped inputs never move')
        }
      }
    })
  }

  it('flow-newton follows the gradient flow (rk45) to the same minimum on >= 90% of random starts, with >= 5x fewer force evaluations', () => {
    const cases = [
      buildNetwork({ kind: 'lattice', rows: 5, cols: 5, weightStd: 1, bias: 'random' }, { inputs: 2, outputs: 1 }, 1),
      buildNetwork({ kind: 'all-to-all', nodes: 8, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1),
    ]
    let same = 0, total = 0, evalsRef = 0, evalsFast = 0
    const rng = new Rng(4)
    for (const desc of cases) {
      const net = compileXy(desc)
      const sys = new XySystem(net)
      const ws = createRelaxWorkspace(net.n, sys.bandwidth)
      const tight = { ...DEFAULT_SOLVE, tol: 1e-9 }
      for (let s = 0; s < 15; s++) {
        const x0 = randomStart(net, rng)
        const a = x0.slice(), b = x0.slice()
        evalsRef += relaxWith('rk45', sys, a, DEFAULT_SOLVE, ws).forceEvals
        evalsFast += relaxWith('flow-newton', sys, b, DEFAULT_SOLVE, ws).forceEvals
        // polish both to the exact minimum they sit in, then compare minima
        relaxWith('fire-newton', sys, a, tight, ws)
        relaxWith('fire-newton', sys, b, tight, ws)
        total++
        if (circleDistance(a, b) < 1e-6) same++
      }
    }
    assert.ok(same >= 0.9 * total, `same minimum on ${same}/${total}`)
    assert.ok(evalsRef >= 5 * evalsFast, `rk45 ${evalsRef} vs flow-newton ${evalsFast} force evaluations`)
  })

  it('all solvers reach the same nudged equilibrium from a free equilibrium', () => {
    const desc = buildNetwork({ kind: 'lattice', rows: 4, cols: 4, weightStd: 1, bias: 'random' }, { inputs: 2, outputs: 1 }, 2)
    const net = compileXy(desc)
    const sys = new XySystem(net)
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    const rng = new Rng(9)
    for (let s = 0; s < 5; s++) {
      const free = randomStart(net, rng)
      relaxWith('fire-newton', sys.setFree(), free, { ...DEFAULT_SOLVE, tol: 1e-10 }, ws)
      sys.beta = 0.05
      sys.tau = Float64Array.of(free[net.outputs[0]] + 0.5)
      const out = new Map<SolverName, Float64Array>()
      for (const solver of SOLVER_NAMES) {
        const x = free.slice()
        const st = relaxWith(solver, sys, x, DEFAULT_SOLVE, ws)
        assert.ok(st.settled, `${solver} start ${s}: residual ${st.residual}`)
        out.set(solver, x)
      }
      for (const solver of SOLVER_NAMES) assert.ok(circleDistance(out.get(solver)!, out.get('rk45')!) < 1e-4, `${solver} start ${s}`)
      sys.setFree()
    }
  })

  it('stops, unsettled, when a nudge drives an output into the log-cos singularity', () => {
    const desc = buildNetwork({ kind: 'all-to-all', nodes: 4, weightStd: 0.5 }, { inputs: 1, outputs: 1 }, 3)
    const net = compileXy(desc)
    const sys = new XySystem(net)
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    const x = new Float64Array(net.n)
    const o = net.outputs[0]
    x[o] = 3.0
    sys.beta = -2 // pulls the output toward the antipode of its target, where the cost is -infinity
    sys.tau = Float64Array.of(0)
    for (const solver of SOLVER_NAMES) {
      const y = x.slice()
      const st = relaxWith(solver, sys, y, { ...DEFAULT_SOLVE, maxEvals: 20_000 }, ws)
      assert.equal(st.settled, false, solver)
      assert.ok(st.forceEvals <= 20_000 + 10)
    }
  })
})
