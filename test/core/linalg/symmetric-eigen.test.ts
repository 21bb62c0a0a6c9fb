import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { symmetricEigen } from '../../../src/core/linalg/symmetric-eigen.ts'
import { Rng } from '../../../src/core/rng/rng.ts'

describe('symmetricEigen (Jacobi)', () => {
  it('finds the known spectrum of the path-graph Laplacian', () => {
    // tridiagonal (2, -1): eigenvalues 2 - 2 cos(k pi / (n + 1))
    const n = 12, A = new Float64Array(n * n)
    for (let i = 0; i < n; i++) { A[i * n + i] = 2; if (i + 1 < n) { A[i * n + i + 1] = -1; A[(i + 1) * n + i] = -1 } }
    const { values } = symmetricEigen(A, n)
    for (let k = 1; k <= n; k++) assert.ok(Math.abs(values[k - 1] - (2 - 2 * Math.cos((k * Math.PI) / (n + 1)))) < 1e-12)
  })

  it('returns orthonormal vectors with A v = lambda v on a random symmetric matrix', () => {
    const n = 20, rng = new Rng(3), A = new Float64Array(n * n)
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { const x = rng.normal(); A[i * n + j] = x; A[j * n + i] = x }
    const { values, vectors } = symmetricEigen(A, n)
    for (let k = 1; k < n; k++) assert.ok(values[k] >= values[k - 1])
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let av = 0
        for (let j = 0; j < n; j++) av += A[i * n + j] * vectors[k * n + j]
        assert.ok(Math.abs(av - values[k] * vectors[k * n + i]) < 1e-10)
      }
      for (let l = 0; l <= k; l++) {
        let d = 0
        for (let i = 0; i < n; i++) d += vectors[k * n + i] * vectors[l * n + i]
        assert.ok(Math.abs(d - (k === l ? 1 : 0)) < 1e-10)
      }
    }
  })
})
