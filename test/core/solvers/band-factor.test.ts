import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BandMatrix } from '../../../src/core/solvers/band.ts'
import { bandCholeskyShifted, bandSolveFactored } from '../../../src/core/solvers/band-factor.ts'
import { Rng } from '../../../src/core/rng/rng.ts'

/** A random symmetric band matrix (half-bandwidth b) with diagonal `diag` plus the row sums of |off-diagonal| times `dominance`. */
function randomBand(n: number, b: number, rng: Rng, dominance: number): BandMatrix {
  const H = new BandMatrix(n, b)
  const rowAbs = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(0, i - b); j < i; j++) {
      const v = rng.uniform(-1, 1)
      H.add(i, j, v)
      rowAbs[i] += Math.abs(v)
      rowAbs[j] += Math.abs(v)
    }
  }
  for (let i = 0; i < n; i++) H.add(i, i, dominance * rowAbs[i] + rng.uniform(0, 0.1))
  return H
}

describe('bandCholeskyShifted / bandSolveFactored', () => {
  for (const [n, b] of [[1, 0], [6, 0], [25, 5], [30, 29], [40, 7]] as const) {
    it(`solves (H + s I) x = r as the BandMatrix Cholesky does (n ${n}, b ${b})`, () => {
      const rng = new Rng(n * 100 + b)
      const H = randomBand(n, b, rng, 1.05)
      const saved = H.a.slice()
      for (const shift of [0, 0.3, 50]) {
        const r = Float64Array.from({ length: n }, () => rng.uniform(-1, 1))
        // reference: the left-looking factor on a shifted copy
        const ref = new BandMatrix(n, b)
        ref.a.set(saved)
        for (let i = 0; i < n; i++) ref.a[i * ref.w + b] += shift
        assert.ok(ref.cholesky())
        const want = ref.solveInPlace(r.slice())
        const out = new Float64Array(saved.length), inv = new Float64Array(n)
        assert.ok(bandCholeskyShifted(saved, shift, n, b, out, inv))
        const got = bandSolveFactored(out, inv, n, b, r.slice())
        let scale = 0
        for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(want[i]))
        for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-12 * scale, `x[${i}] ${got[i]} vs ${want[i]}`)
        // and the residual of the original system is small
        for (let i = 0; i < n; i++) {
          let s = shift * got[i]
          for (let j = Math.max(0, i - b); j <= Math.min(n - 1, i + b); j++) s += H.get(i, j) * got[j]
          assert.ok(Math.abs(s - r[i]) < 1e-10, `row ${i}: residual ${s - r[i]}`)
        }
        assert.deepEqual(saved, H.a, 'the source matrix is left as it was')
      }
    })
  }

  it('reports a matrix that is not positive definite, and accepts it once the shift makes it so', () => {
    const n = 12, b = 3
    const H = randomBand(n, b, new Rng(4), 1.05)
    H.add(5, 5, -100)
    const out = new Float64Array(H.a.length), inv = new Float64Array(n)
    assert.equal(bandCholeskyShifted(H.a, 0, n, b, out, inv), false)
    assert.equal(bandCholeskyShifted(H.a, 200, n, b, out, inv), true)
    assert.equal(bandCholeskyShifted(H.a, Number.NaN, n, b, out, inv), false, 'NaN is not positive')
  })
})
