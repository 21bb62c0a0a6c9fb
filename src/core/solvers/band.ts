// Symmetric band matrix with in-place Cholesky: a lattice Hessian has bandwidth ~ cols, so a Newton
// step costs n*b^2 instead of n^3; an all-to-all network simply has b = n - 1.

/** Where a model writes its Hessian: symmetric entries added one at a time (band, envelope or sparse storage). */
export interface HessianSink {
  readonly n: number
  /** Clears every entry (called first by every hessian()). */
  zero(): void
  /** Adds v to entry (i, j) and, by symmetry, (j, i). */
  add(i: number, j: number, v: number): void
}

/** Lower band storage of a symmetric n x n matrix with half-bandwidth b. */
export class BandMatrix implements HessianSink {
  readonly a: Float64Array
  readonly w: number

  constructor(readonly n: number, readonly b: number) {
    this.w = b + 1
    this.a = new Float64Array(n * this.w)
  }

  zero(): void { this.a.fill(0) }

  /** Adds v to entry (i, j) (and, by symmetry, (j, i)); |i - j| must be <= b. */
  add(i: number, j: number, v: number): void {
    if (j > i) { const t = i; i = j; j = t }
    this.a[i * this.w + (j - i + this.b)] += v
  }

  get(i: number, j: number): number {
    if (j > i) { const t = i; i = j; j = t }
    if (i - j > this.b) return 0
    return this.a[i * this.w + (j - i + this.b)]
  }

  /** In-place Cholesky L L^T; returns false (matrix left garbled) when it is not positive definite. */
  cholesky(): boolean {
    const { n, b, w, a } = this
    for (let i = 0; i < n; i++) {
      const j0 = i - b > 0 ? i - b : 0
      const ri = i * w - i + b // a[ri + j] is entry (i, j)
      for (let j = j0; j <= i; j++) {
        const rj = j * w - j + b
        const k0 = j - b > j0 ? j - b : j0
        let s = a[ri + j]
        for (let k = k0; k < j; k++) s -= a[ri + k] * a[rj + k]
        if (j === i) {
          if (!(s > 0)) return false
          a[ri + i] = Math.sqrt(s)
        } else {
          a[ri + j] = s / a[rj + j]
        }
      }
    }
    return true
  }

  /** Solves (L L^T) x = r after cholesky(); writes x into r. */
  solveInPlace(r: Float64Array): Float64Array {
    const { n, b, w, a } = this
    for (let i = 0; i < n; i++) {
      const ri = i * w - i + b
      let s = r[i]
      for (let k = i - b > 0 ? i - b : 0; k < i; k++) s -= a[ri + k] * r[k]
      r[i] = s / a[ri + i]
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = r[i]
      const kmax = i + b < n - 1 ? i + b : n - 1
      for (let k = i + 1; k <= kmax; k++) s -= a[k * w - k + b + i] * r[k]
      r[i] = s / a[i * w - i + b + i]
    }
    return r
  }
}

/** Half-bandwidth of the coupling graph among nodes that move (clamped nodes decouple in the Hessian). */
export function bandwidth(n: number, ei: Uint32Array, ej: Uint32Array, clamped: Uint8Array): number {
  let b = 0
  for (let k = 0; k < ei.length; k++) {
    const i = ei[k], j = ej[k]
    if (clamped[i] || clamped[j]) continue
    const d = i > j ? i - j : j - i
    if (d > b) b = d
  }
  return Math.min(b, Math.max(n - 1, 0))
}
