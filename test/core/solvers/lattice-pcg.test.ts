// The implicit flow's sparse path on lattices (Eisenstat-form PCG with inexact solves, predictive
// step control): solves agree with the band Cholesky, relaxations end in the minima of the Cholesky
// path and of rk45, and the same start gives the same bits.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileXy } from '../../../src/core/physics/xy.ts'
import { XySystem } from '../../../src/core/physics/xy-system.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import {
  createPcgWork, createRelaxWorkspace, DEFAULT_SOLVE, PCG_RTOL, pcgSolve, relaxWith, SparseSymMatrix,
} from '../../../src/core/solvers/index.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'
import { bandAndSparse } from '../../support/hessians.ts'
import { circleDistance } from '../../support/networks.ts'

/** Largest phase difference between two states, measured on the circle (rad). */
function latticeSystem(rows: number, cols: number, seed: number) {
  const net = compileXy(buildNetwork({ kind: 'lattice', rows, cols, weightStd: 1, bias: 'random' }, { inputs: 2, outputs: 1 }, seed))
  return { net, sys: new XySystem(net) }
}

function randomStart(n: number, inputs: ArrayLike<number>, rng: Rng): Float64Array {
  const x = Float64Array.from({ length: n }, () => rng.uniform(-Math.PI, Math.PI))
  for (let k = 0; k < inputs.length; k++) x[inputs[k]] = rng.uniform(-Math.PI / 2, Math.PI / 2)
  return x
}

describe('sparse implicit flow on lattices', () => {
  it('PCG at the flow\'s forcing term leaves a small residual, in fewer iterations than a tight solve', () => {
    const { net, sys } = latticeSystem(12, 12, 2)
    const rng = new Rng(21)
    const x = randomStart(net.n, net.inputs, rng)
    relaxWith('fire-newton', sys, x, { ...DEFAULT_SOLVE, tol: 1e-10 }, createRelaxWorkspace(net.n, sys.bandwidth))
    const A = new SparseSymMatrix(net.n)
    sys.hessian(x, A)
    A.assemble()
    const shift = 1e-3, b = Float64Array.from({ length: net.n }, (_, i) => (net.clamped[i] ? 0 : rng.normal()))
    const loose = createPcgWork(net.n), tight = createPcgWork(net.n)
    const zl = b.slice(), zt = b.slice()
    assert.ok(pcgSolve(A, shift, zl, loose, PCG_RTOL, 1000))
    assert.ok(pcgSolve(A, shift, zt, tight, 1e-10, 1000))
    const r = new Float64Array(net.n)
    A.multiply(shift, zl, r)
    let rr = 0, bb = 0
    for (let i = 0; i < net.n; i++) { rr += (b[i] - r[i]) ** 2; bb += b[i] ** 2 }
    assert.ok(Math.sqrt(rr / bb) < 0.1, `relative residual ${Math.sqrt(rr / bb)}`)
    assert.ok(loose.iterations < tight.iterations / 2, `${loose.iterations} vs ${tight.iterations} iterations`)
  })

  it('solves an indefinite-but-shifted Hessian like the band Cholesky at a random state (lattice 10x6)', () => {
    const { net, sys } = latticeSystem(10, 6, 8)
    const rng = new Rng(22)
    const x = randomStart(net.n, net.inputs, rng)
    const shift = 2 * sys.stiffness()
    const { band, sparse: A, factored } = bandAndSparse(sys, net.n, x, shift)
    assert.ok(factored)
    const b = Float64Array.from({ length: net.n }, () => rng.normal())
    const zc = band.solveInPlace(b.slice()), zp = b.slice()
    assert.ok(pcgSolve(A, shift, zp, createPcgWork(net.n), 1e-13, 500))
    for (let i = 0; i < net.n; i++) assert.ok(Math.abs(zc[i] - zp[i]) <= 1e-9 * (1 + Math.abs(zc[i])), `node ${i}: ${zc[i]} vs ${zp[i]}`)
  })

  it('ends in the same minima as the Cholesky path and as rk45 (lattice 14x14, 4 starts)', () => {
    const { net, sys } = latticeSystem(14, 14, 4)
    const wsP = createRelaxWorkspace(net.n, sys.bandwidth), wsC = createRelaxWorkspace(net.n, sys.bandwidth)
    const rng = new Rng(23), polish = { ...DEFAULT_SOLVE, tol: 1e-10 }
    let sameRk = 0
    for (let s = 0; s < 4; s++) {
      const x0 = randomStart(net.n, net.inputs, rng)
      const p = x0.slice(), c = x0.slice(), r = x0.slice()
      const st = relaxWith('implicit-flow', sys, p, { ...DEFAULT_SOLVE, linear: 'pcg' }, wsP)
      assert.ok(st.settled && st.residual < 1e-6, `start ${s}: residual ${st.residual}`)
      assert.ok(relaxWith('implicit-flow', sys, c, { ...DEFAULT_SOLVE, linear: 'cholesky' }, wsC).settled)
      relaxWith('rk45', sys, r, DEFAULT_SOLVE, wsC)
      for (const v of [p, c, r]) relaxWith('fire-newton', sys, v, polish, wsC)
      assert.ok(circleDistance(p, c) < 1e-4, `start ${s}: PCG vs Cholesky ${circleDistance(p, c)}`)
      if (circleDistance(p, r) < 1e-4) sameRk++
    }
    assert.ok(wsP.linear?.pcg && wsP.linear.pcg.work.iterations > 0)
    assert.ok(sameRk >= 3, `rk45 minimum in ${sameRk}/4 starts`)
  })

  it('auto picks PCG on a 24x24 lattice and gives the same bits for the same start, in a fresh or a used workspace', () => {
    const { net, sys } = latticeSystem(24, 24, 5)
    const x0 = randomStart(net.n, net.inputs, new Rng(24))
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    const a = x0.slice(), b = x0.slice(), c = x0.slice()
    const sa = relaxWith('auto', sys, a, DEFAULT_SOLVE, ws)
    assert.equal(ws.linear?.auto, 'pcg')
    assert.ok(sa.settled, `residual ${sa.residual}`)
    const sb = relaxWith('auto', sys, b, DEFAULT_SOLVE, ws)
    const sc = relaxWith('auto', sys, c, DEFAULT_SOLVE, createRelaxWorkspace(net.n, sys.bandwidth))
    assert.deepEqual(Buffer.from(b.buffer), Buffer.from(a.buffer))
    assert.deepEqual(Buffer.from(c.buffer), Buffer.from(a.buffer))
    // a used workspace has resolved 'auto' already (one Hessian fewer); the flow itself is the same
    assert.equal(sb.forceEvals, sa.forceEvals)
    assert.equal(sb.hessianEvals, sa.hessianEvals - 1)
    assert.deepEqual([sc.forceEvals, sc.hessianEvals], [sa.forceEvals, sa.hessianEvals])
  })
})
