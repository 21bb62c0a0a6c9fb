// Envelope (skyline) Cholesky over band storage. A Cholesky factor has no fill to the left of the
// first nonzero of each row, so rows that couple only to later nodes cost O(1). The free nodes of a
// layered network (hidden layer, then outputs) have an arrow-shaped Hessian: band storage needs
// b = n - 1, but the envelope factorisation costs O(n k^2) for k outputs instead of O(n b^2).
// The envelope is recorded as entries are added, so zeroing, factorising and solving never scan the
// empty band (an O(n b) pass would cost more than the arrow's factorisation itself).
import { BandMatrix } from './band.ts'

/** BandMatrix whose zero(), cholesky() and solveInPlace() touch only each row's envelope. */
export class EnvelopeMatrix extends BandMatrix {
  /** first column of each row's envelope (i when the row holds only its diagonal) */
  private readonly first: Int32Array

  constructor(n: number, b: number) {
    super(n, b)
    this.first = Int32Array.from({ length: n }, (_, i) => i)
  }

  override zero(): void {
    const { n, b, w, a, first } = this
    for (let i = 0; i < n; i++) {
      const ri = i * w - i + b
      a.fill(0, ri + first[i], ri + i + 1)
      first[i] = i
    }
  }

  override add(i: number, j: number, v: number): void {
    if (j > i) { const t = i; i = j; j = t }
    if (j < this.first[i]) this.first[i] = j
    this.a[i * this.w + (j - i + this.b)] += v
  }

  /** In-place Cholesky L L^T (same contract as BandMatrix.cholesky). */
  override cholesky(): boolean {
    const { n, b, w, a } = this
    const first = this.first
    for (let i = 0; i < n; i++) {
      const ri = i * w - i + b // a[ri + j] is entry (i, j)
      const fi = first[i]
      for (let j = fi; j <= i; j++) {
        const rj = j * w - j + b
        const k0 = first[j] > fi ? first[j] : fi
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

  /**
   * Solves (L L^T) x = r after cholesky(), over the envelope only: the back substitution runs by rows
   * (x_i, then r_k -= L_ik x_i for k in the row's envelope), so an arrow costs O(n k), not O(n b).
   */
  override solveInPlace(r: Float64Array): Float64Array {
    const { n, b, w, a } = this
    const first = this.first
    for (let i = 0; i < n; i++) {
      const ri = i * w - i + b
      let s = r[i]
      for (let k = first[i]; k < i; k++) s -= a[ri + k] * r[k]
      r[i] = s / a[ri + i]
    }
    for (let i = n - 1; i >= 0; i--) {
      const ri = i * w - i + b
      const xi = r[i] / a[ri + i]
      r[i] = xi
      for (let k = first[i]; k < i; k++) r[k] -= a[ri + k] * xi
    }
    return r
  }
}
