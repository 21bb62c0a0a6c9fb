// Sparse symmetric matrix (CSR, both triangles) filled through HessianSink, and preconditioned
// conjugate gradients on it. A lattice Hessian has ~5 entries per row, so one CG iteration costs
// O(N), where the band Cholesky of the same matrix costs O(N b^2) = O(N^2) (b ~ sqrt(N)).
import type { HessianSink } from './band.ts'

/**
 * Symmetric matrix assembled from add() calls. The models write their Hessian in the same order on
 * every call, so the call sequence is logged and replayed into a fixed CSR pattern; a changed
 * sequence (a nudge switched on, say) rebuilds the pattern.
 */
export class SparseSymMatrix implements HessianSink {
  private ci: Int32Array
  private cj: Int32Array
  private cv: Float64Array
  private calls = 0
  private patternCalls = -1
  private changed = true
  /** CSR over both triangles; every row holds its diagonal */
  rowStart: Int32Array
  col: Int32Array
  val: Float64Array
  diagPos: Int32Array
  /** value positions of the k-th logged add: (i, j) and (j, i) */
  private posA: Int32Array
  private posB: Int32Array

  constructor(readonly n: number) {
    this.ci = new Int32Array(4 * n + 16).fill(-1)
    this.cj = new Int32Array(4 * n + 16).fill(-1)
    this.cv = new Float64Array(4 * n + 16)
    this.rowStart = new Int32Array(n + 1)
    this.col = new Int32Array(0)
    this.val = new Float64Array(0)
    this.diagPos = new Int32Array(n)
    this.posA = new Int32Array(0)
    this.posB = new Int32Array(0)
  }

  zero(): void { this.calls = 0 }

  add(i: number, j: number, v: number): void {
    const k = this.calls++
    if (k === this.ci.length) this.grow()
    if (this.ci[k] !== i || this.cj[k] !== j) { this.ci[k] = i; this.cj[k] = j; this.changed = true }
    this.cv[k] = v
  }

  private grow(): void {
    const cap = this.ci.length * 2
    const ci = new Int32Array(cap).fill(-1), cj = new Int32Array(cap).fill(-1), cv = new Float64Array(cap)
    ci.set(this.ci); cj.set(this.cj); cv.set(this.cv)
    this.ci = ci; this.cj = cj; this.cv = cv
  }

  /** Stored entries (both triangles, diagonal included). */
  get nnz(): number { return this.rowStart[this.n] }

  /** Sums the adds since zero() into the CSR values (rebuilding the pattern when the calls changed). */
  assemble(): void {
    if (this.changed || this.calls !== this.patternCalls) this.buildPattern()
    const { val, posA, posB, cv } = this
    val.fill(0)
    for (let k = 0, c = this.calls; k < c; k++) {
      const a = posA[k], b = posB[k]
      val[a] += cv[k]
      if (b !== a) val[b] += cv[k]
    }
  }

  /**
   * Builds the CSR pattern from the logged calls with typed arrays only (count, fill, sort and
   * deduplicate each short row): a phase switch (free to nudged and back) rebuilds it twice per
   * training step, and a build by Sets of boxed numbers cost 10-40 Hessians on an 80x80 lattice.
   */
  private buildPattern(): void {
    const n = this.n, c = this.calls, { ci, cj } = this
    // every row holds its diagonal, plus both ends of every off-diagonal call (duplicates for now)
    const cnt = new Int32Array(n + 1)
    for (let i = 0; i < n; i++) cnt[i + 1] = 1
    for (let k = 0; k < c; k++) { const i = ci[k], j = cj[k]; if (i !== j) { cnt[i + 1]++; cnt[j + 1]++ } }
    for (let i = 0; i < n; i++) cnt[i + 1] += cnt[i]
    const raw = new Int32Array(cnt[n]), fill = cnt.slice(0, n)
    for (let i = 0; i < n; i++) raw[fill[i]++] = i
    for (let k = 0; k < c; k++) { const i = ci[k], j = cj[k]; if (i !== j) { raw[fill[i]++] = j; raw[fill[j]++] = i } }
    const rs = new Int32Array(n + 1)
    let m = 0
    for (let i = 0; i < n; i++) {
      const a = cnt[i], e = cnt[i + 1]
      for (let p = a + 1; p < e; p++) { const v = raw[p]; let q = p - 1; while (q >= a && raw[q] > v) { raw[q + 1] = raw[q]; q-- } raw[q + 1] = v }
      for (let p = a; p < e; p++) if (p === a || raw[p] !== raw[p - 1]) raw[m++] = raw[p]
      rs[i + 1] = m
    }
    const col = raw.slice(0, m)
    for (let i = 0; i < n; i++) {
      for (let p = rs[i]; p < rs[i + 1]; p++) if (col[p] === i) { this.diagPos[i] = p; break }
    }
    this.rowStart = rs
    this.col = col
    this.val = new Float64Array(m)
    this.posA = new Int32Array(c)
    this.posB = new Int32Array(c)
    for (let k = 0; k < c; k++) {
      this.posA[k] = this.find(ci[k], cj[k])
      this.posB[k] = ci[k] === cj[k] ? this.posA[k] : this.find(cj[k], ci[k])
    }
    // stale log entries past the end would match a later, longer sequence by accident
    for (let k = c; k < ci.length; k++) { ci[k] = -1; cj[k] = -1 }
    this.patternCalls = c
    this.changed = false
  }

  private find(i: number, j: number): number {
    let lo = this.rowStart[i], hi = this.rowStart[i + 1] - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, v = this.col[mid]
      if (v === j) return mid
      if (v < j) lo = mid + 1
      else hi = mid - 1
    }
    throw new Error(`SparseSymMatrix: (${i}, ${j}) missing from its own pattern`)
  }

  /** y = (A + shift I) x. */
  multiply(shift: number, x: Float64Array, y: Float64Array): void {
    const { n, rowStart, col, val } = this
    for (let i = 0; i < n; i++) {
      let s = shift * x[i]
      for (let p = rowStart[i], e = rowStart[i + 1]; p < e; p++) s += val[p] * x[col[p]]
      y[i] = s
    }
  }
}

/** Scratch and settings of pcgSolve. */
export interface PcgWork {
  readonly r: Float64Array
  readonly z: Float64Array
  readonly p: Float64Array
  readonly q: Float64Array
  readonly d: Float64Array
  /** square roots of d */
  readonly sq: Float64Array
  /** iterations over all solves so far (for benchmarks) */
  iterations: number
}

/** Allocates PCG scratch for n unknowns. */
export function createPcgWork(n: number): PcgWork {
  const a = () => new Float64Array(n)
  return { r: a(), z: a(), p: a(), q: a(), d: a(), sq: a(), iterations: 0 }
}

/**
 * Solves (A + shift I) x = b by conjugate gradients with the symmetric Gauss-Seidel preconditioner
 * M = (D + L) D^-1 (D + U), from x = 0, writing x into b. Returns false when A + shift I shows a
 * non-positive diagonal or curvature (not positive definite) or the iterations ran out.
 *
 * CG runs on the split system C^-1 A C^-T y = C^-1 b with C = (D + L) D^-1/2 (the same iterates as
 * PCG with M), and Eisenstat's trick applies that operator with one sweep over each triangle:
 * since A = (D + L) + (D + U) - D, (D + L)^-1 A t = t + (D + L)^-1 (v - D t) for t = (D + U)^-1 v.
 * One iteration then reads the matrix once instead of twice (a product plus two sweeps). It stops
 * when the residual in the M^-1 norm has fallen to rtol times its start.
 */
export function pcgSolve(A: SparseSymMatrix, shift: number, b: Float64Array, w: PcgWork, rtol: number, maxIter: number): boolean {
  const { n, rowStart, col, val, diagPos } = A
  const { r, z, p, q, d, sq } = w
  for (let i = 0; i < n; i++) {
    const di = val[diagPos[i]] + shift
    if (!(di > 0)) return false
    d[i] = di
    sq[i] = Math.sqrt(di)
  }
  // r = C^-1 b = D^1/2 (D + L)^-1 b; columns are sorted within a row, so the strict lower part
  // of row i ends at its diagonal and the upper part starts after it
  let rr = 0
  for (let i = 0; i < n; i++) {
    let s = b[i]
    for (let k = rowStart[i], e = diagPos[i]; k < e; k++) s -= val[k] * z[col[k]]
    z[i] = s / d[i]
    const ri = sq[i] * z[i]
    r[i] = ri
    p[i] = ri
    rr += ri * ri
  }
  b.fill(0) // b now accumulates y, the split system's unknown
  let ok = rr === 0
  const stop = rtol * rtol * rr
  for (let it = 0; it < maxIter && !ok; it++) {
    w.iterations++
    // q = C^-1 A C^-T p: t = (D + U)^-1 D^1/2 p (into z), then (D + L)^-1 (D^1/2 p - D t) (into q)
    for (let i = n - 1; i >= 0; i--) {
      let s = sq[i] * p[i]
      for (let k = diagPos[i] + 1, e = rowStart[i + 1]; k < e; k++) s -= val[k] * z[col[k]]
      z[i] = s / d[i]
    }
    let pq = 0
    for (let i = 0; i < n; i++) {
      let s = sq[i] * p[i] - d[i] * z[i]
      for (let k = rowStart[i], e = diagPos[i]; k < e; k++) s -= val[k] * q[col[k]]
      q[i] = s / d[i]
    }
    for (let i = 0; i < n; i++) {
      const qi = sq[i] * (z[i] + q[i])
      q[i] = qi
      pq += p[i] * qi
    }
    if (!(pq > 0)) return false
    const alpha = rr / pq
    let rrNew = 0
    for (let i = 0; i < n; i++) { b[i] += alpha * p[i]; const ri = r[i] - alpha * q[i]; r[i] = ri; rrNew += ri * ri }
    if (rrNew <= stop) { ok = true; break }
    const beta = rrNew / rr
    rr = rrNew
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i]
  }
  if (!ok) return false
  // x = C^-T y = (D + U)^-1 D^1/2 y
  for (let i = n - 1; i >= 0; i--) {
    let s = sq[i] * b[i]
    for (let k = diagPos[i] + 1, e = rowStart[i + 1]; k < e; k++) s -= val[k] * b[col[k]]
    b[i] = s / d[i]
  }
  return true
}
