// Envelope (skyline) Cholesky over band storage. A Cholesky factor has no fill to the left of the
// first nonzero of each row, so rows that couple only to later nodes cost O(1). The free nodes of a
// layered network (hidden layer, then outputs) have an arrow-shaped Hessian: band storage needs
// b = n - 1, but the envelope factorisation costs O(n k^2) for k outputs instead of O(n b^2).
import { BandMatrix } from './band.ts'

/** BandMatrix whose cholesky() skips the zeros left of each row's first nonzero. */
export class EnvelopeMatrix extends BandMatrix {
  private readonly first: Int32Array

  constructor(n: number, b: number) {
    super(n, b)
    this.first = new Int32Array(n)
  }

  /** In-place Cholesky L L^T (same contract as BandMatrix.cholesky). */
  override cholesky(): boolean {
    const { n, b, w, a } = this
    const first = this.first
    for (let i = 0; i < n; i++) {
      const j0 = i - b > 0 ? i - b : 0
      const ri = i * w - i + b // a[ri + j] is entry (i, j)
      let fi = j0
      while (fi < i && a[ri + fi] === 0) fi++
      first[i] = fi
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
}
