// Right-looking band Cholesky of H + shift I and its solves, for the implicit flow, which factors a
// new shift on every step and solves three times per factor. On small bands (a 5x5 lattice has
// b = 5) the left-looking BandMatrix.cholesky and its column-wise back substitution are bound by
// chains of dependent operations (a dot product of <= b terms, then a division, row after row);
// here each column's updates are independent of each other, divisions become multiplications by
// the stored reciprocal of the diagonal, and both substitutions update rows instead of summing
// them. Same factor up to rounding; BandMatrix's own methods stay as they are for the solvers
// whose results are pinned bit for bit.

/**
 * Cholesky L L^T of S + shift I, S given in BandMatrix storage (n rows of b + 1, row i holding
 * columns i - b .. i) in `src`; L is written into `out` (same storage), 1 / L_ii into inv.
 * Returns false when S + shift I is not positive definite (out is then garbled).
 */
export function bandCholeskyShifted(src: Float64Array, shift: number, n: number, b: number, out: Float64Array, inv: Float64Array): boolean {
  const w = b + 1
  out.set(src)
  for (let i = 0; i < n; i++) out[i * w + b] += shift
  for (let j = 0; j < n; j++) {
    const rj = j * w - j + b // out[rj + k] is entry (j, k)
    const d = out[rj + j]
    if (!(d > 0)) return false
    const l = Math.sqrt(d), il = 1 / l
    out[rj + j] = l
    inv[j] = il
    const kmax = j + b < n - 1 ? j + b : n - 1
    for (let k = j + 1; k <= kmax; k++) {
      const rk = k * w - k + b
      const lkj = out[rk + j] * il
      out[rk + j] = lkj
      // trailing update of row k: entries (k, l) for j < l <= k, with L_lj already scaled
      for (let c = j + 1; c < k; c++) out[rk + c] -= lkj * out[c * w - c + b + j]
      out[rk + k] -= lkj * lkj
    }
  }
  return true
}

/** Solves (L L^T) x = r after bandCholeskyShifted (L in a, 1 / L_ii in inv); writes x into r. */
export function bandSolveFactored(a: Float64Array, inv: Float64Array, n: number, b: number, r: Float64Array): Float64Array {
  const w = b + 1
  // L y = r by columns: y_i final, then pushed into the rows below it
  for (let i = 0; i < n; i++) {
    const yi = r[i] * inv[i]
    r[i] = yi
    const kmax = i + b < n - 1 ? i + b : n - 1
    for (let k = i + 1; k <= kmax; k++) r[k] -= a[k * w - k + b + i] * yi
  }
  // L^T x = y by rows of L: x_i final, then pushed into the earlier rows it couples to
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * w - i + b
    const xi = r[i] * inv[i]
    r[i] = xi
    for (let k = i - b > 0 ? i - b : 0; k < i; k++) r[k] -= a[ri + k] * xi
  }
  return r
}
