// Eigen-decomposition of a dense symmetric matrix by cyclic Jacobi rotations: simple, unconditionally
// stable and accurate to rounding for the few hundred free nodes of an analysed network (O(n^3) per
// sweep, ~10 sweeps). Used for Hessian spectra at equilibria, where the smallest eigenvalues (the soft
// modes) matter and must be accurate in absolute terms.

/** Eigenvalues (ascending) and unit eigenvectors (vectors[k*n .. k*n+n) belongs to values[k]). */
export interface SymmetricEigen { n: number; values: Float64Array; vectors: Float64Array }

/** Decomposes the symmetric n x n matrix A (row-major; only read, never written). */
export function symmetricEigen(A: ArrayLike<number>, n: number, maxSweeps = 60): SymmetricEigen {
  const a = Float64Array.from(A as ArrayLike<number>)
  if (a.length !== n * n) throw new RangeError(`matrix: ${a.length} entries for ${n} x ${n}`)
  const v = new Float64Array(n * n)
  for (let i = 0; i < n; i++) v[i * n + i] = 1
  let scale = 0
  for (let t = 0; t < n * n; t++) scale = Math.max(scale, Math.abs(a[t]))
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off = Math.max(off, Math.abs(a[p * n + q]))
    if (off <= 1e-15 * Math.max(scale, 1e-300)) break
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]
        if (apq === 0) continue
        const app = a[p * n + p], aqq = a[q * n + q]
        // the rotation angle that zeroes a[p][q], in the stable form (smaller root of t^2 + 2 theta t - 1)
        const theta = (aqq - app) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1), s = t * c
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q]
          a[k * n + p] = c * akp - s * akq
          a[k * n + q] = s * akp + c * akq
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k]
          a[p * n + k] = c * apk - s * aqk
          a[q * n + k] = s * apk + c * aqk
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q]
          v[k * n + p] = c * vkp - s * vkq
          v[k * n + q] = s * vkp + c * vkq
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j])
  const values = Float64Array.from(order, (i) => a[i * n + i])
  const vectors = new Float64Array(n * n)
  order.forEach((col, k) => { for (let i = 0; i < n; i++) vectors[k * n + i] = v[i * n + col] })
  return { n, values, vectors }
}
