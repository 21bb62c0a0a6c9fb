// The coupling contrast of the phase models (XY, OIM): dE/dW_e = -(c_i c_j + s_i s_j) with per-node
// vectors (c, s) = (cos phi, sin phi) (an OIM's clamped input is (x, 0)). Summed over a batch, a dense
// layer block is a matrix product, G[a, b] += c * -(C_a^T C_b + S_a^T S_b) over the batch rows, which a
// DenseMatMul backend (TensorFlow.js WASM SIMD) computes far faster than scalar loops; without one
// the loops run edges outer, samples inner, so a block's gradient row stays in cache over the batch.
import { findDenseBlocks, WALK_MIN_EDGES, type DenseBlock } from '../physics/dense-blocks.ts'
import type { DenseMatMul } from '../physics/dense-xy.ts'

/** Smallest block (couplings) handed to a matrix-product backend: below, the call overhead dominates. */
export const CONTRAST_MATMUL_MIN_EDGES = 4096

/** An edge list with its dense blocks in edge order (blocks of at least WALK_MIN_EDGES edges). */
export interface ContrastTopology {
  readonly n: number
  readonly m: number
  readonly ei: Uint32Array
  readonly ej: Uint32Array
  readonly blocks?: readonly DenseBlock[]
}

/** The blocks of an edge list as the contrast walks them. */
export function contrastBlocks(net: Pick<ContrastTopology, 'm' | 'ei' | 'ej'>): DenseBlock[] {
  return findDenseBlocks(net, WALK_MIN_EDGES)
}

/** Per-batch scratch: trig rows [R, n] (filled by the caller) and the matrix-product operands. */
export class CosContrast {
  cs = new Float64Array(0)
  sn = new Float64Array(0)
  rows = new Int32Array(0)
  private xa = new Float64Array(0)
  private wb = new Float64Array(0)
  private out = new Float64Array(0)

  constructor(readonly topo: ContrastTopology) {}

  /** Makes room for B trig rows of n nodes. */
  reserve(B: number): void {
    const n = this.topo.n
    if (this.rows.length < B) { this.rows = new Int32Array(B); this.cs = new Float64Array(B * n); this.sn = new Float64Array(B * n) }
  }

  /**
   * g[k] += sum_p coefs[p] * sum_r -(cs_i cs_j + sn_i sn_j) over P phases of R trig rows each (phase p
   * in rows p R .. (p + 1) R - 1, row r of every phase the same sample). Loops give the bits of P
   * add() calls in phase order. A matrix-product block whose one side is the same in every phase (the
   * clamped inputs of a layered net) takes one product for all phases: sum_p c_p X_b^p is summed in
   * Float64 first, so the float32 product rounds the contrast, not each phase's large terms.
   */
  addPhases(R: number, coefs: readonly number[], g: Float64Array, mm: DenseMatMul | null = null): void {
    const { n, m, ei, ej } = this.topo
    const { cs, sn } = this
    const P = coefs.length
    const edges = (k0: number, k1: number) => {
      for (let k = k0; k < k1; k++) {
        const i = ei[k], j = ej[k]
        let v = g[k]
        for (let p = 0; p < P; p++) {
          const c = coefs[p]
          for (let r = 0, o = p * R * n; r < R; r++, o += n) v += c * -(cs[o + i] * cs[o + j] + sn[o + i] * sn[o + j])
        }
        g[k] = v
      }
    }
    let k = 0
    for (const blk of this.topo.blocks ?? []) {
      edges(k, blk.edgeOff)
      if (mm && mm.name !== 'typed-array' && R > 1 && blk.a * blk.b >= CONTRAST_MATMUL_MIN_EDGES) {
        const same = P > 1 ? this.sameSide(blk.aOff, blk.a, R, P) ? 'a' : this.sameSide(blk.bOff, blk.b, R, P) ? 'b' : null : null
        if (same) this.blockProductShared(blk, R, coefs, g, mm, same)
        else for (let p = 0; p < P; p++) this.blockProduct(blk, R, coefs[p], g, mm, p * R)
      } else for (let p = 0; p < P; p++) this.blockLoop(blk, R, coefs[p], g, p * R)
      k = blk.edgeOff + blk.a * blk.b
    }
    edges(k, m)
  }

  /** true when nodes off .. off + len hold the same trig in every phase, row by row. */
  private sameSide(off: number, len: number, R: number, P: number): boolean {
    const n = this.topo.n, { cs, sn } = this
    for (let p = 1; p < P; p++) {
      for (let r = 0; r < R; r++) {
        const o0 = r * n + off, op = (p * R + r) * n + off
        for (let t = 0; t < len; t++) if (cs[o0 + t] !== cs[op + t] || sn[o0 + t] !== sn[op + t]) return false
      }
    }
    return true
  }

  /** One product for all phases of a block whose `side` is the same in each: the other side's phases summed with their coefficients. */
  private blockProductShared(blk: DenseBlock, R: number, coefs: readonly number[], g: Float64Array, mm: DenseMatMul, side: 'a' | 'b'): void {
    const n = this.topo.n, { cs, sn } = this
    const { aOff, a, bOff, b, edgeOff } = blk
    const K = 2 * R, P = coefs.length
    if (this.xa.length < a * K) this.xa = new Float64Array(a * K)
    if (this.wb.length < K * b) this.wb = new Float64Array(K * b)
    if (this.out.length < a * b) this.out = new Float64Array(a * b)
    const { xa, wb, out } = this
    xa.fill(0, 0, a * K); wb.fill(0, 0, K * b)
    for (let r = 0; r < R; r++) {
      for (let p = 0; p < P; p++) {
        // the shared side from phase 0 only; the other summed over phases
        const o = (p * R + r) * n, c = side === 'a' ? coefs[p] : 1, cA = side === 'b' ? coefs[p] : 1
        if (side === 'b' || p === 0) for (let i = 0; i < a; i++) { xa[i * K + r] += cA * cs[o + aOff + i]; xa[i * K + R + r] += cA * sn[o + aOff + i] }
        if (side === 'a' || p === 0) {
          const w0 = r * b, w1 = (R + r) * b
          for (let j = 0; j < b; j++) { wb[w0 + j] += c * cs[o + bOff + j]; wb[w1 + j] += c * sn[o + bOff + j] }
        }
      }
    }
    const W = mm.weights(wb.subarray(0, K * b), K, b)
    try { W.mul(xa, a, out) } finally { W.dispose() }
    for (let t = 0, e = a * b; t < e; t++) g[edgeOff + t] -= out[t]
  }

  /**
   * g[k] += c * sum_r -(cs_i cs_j + sn_i sn_j) over the first R trig rows. With a float32 backend the
   * large blocks go through matrix products (float32 rounding, ~1e-7 relative per term); otherwise
   * every g[k] sums the rows in order, to the same bits as a per-sample loop.
   */
  add(R: number, c: number, g: Float64Array, mm: DenseMatMul | null = null): void {
    const { n, m, ei, ej } = this.topo
    const { cs, sn } = this
    const edges = (k0: number, k1: number) => {
      for (let k = k0; k < k1; k++) {
        const i = ei[k], j = ej[k]
        let v = g[k]
        for (let r = 0, o = 0; r < R; r++, o += n) v += c * -(cs[o + i] * cs[o + j] + sn[o + i] * sn[o + j])
        g[k] = v
      }
    }
    let k = 0
    for (const blk of this.topo.blocks ?? []) {
      edges(k, blk.edgeOff)
      if (mm && mm.name !== 'typed-array' && R > 1 && blk.a * blk.b >= CONTRAST_MATMUL_MIN_EDGES) this.blockProduct(blk, R, c, g, mm)
      else this.blockLoop(blk, R, c, g)
      k = blk.edgeOff + blk.a * blk.b
    }
    edges(k, m)
  }

  private blockLoop(blk: DenseBlock, R: number, c: number, g: Float64Array, row0 = 0): void {
    const n = this.topo.n, { cs, sn } = this
    const { aOff, a, bOff, b, edgeOff } = blk
    for (let i = 0; i < a; i++) {
      const row = edgeOff + i * b
      for (let r = 0, o = row0 * n; r < R; r++, o += n) {
        const ci = cs[o + aOff + i], si = sn[o + aOff + i], ob = o + bOff
        for (let j = 0; j < b; j++) g[row + j] += c * -(ci * cs[ob + j] + si * sn[ob + j])
      }
    }
  }

  /** [C_a^T | S_a^T] [a, 2R] times [C_b ; S_b] [2R, b]: one product per block for the whole batch. */
  private blockProduct(blk: DenseBlock, R: number, c: number, g: Float64Array, mm: DenseMatMul, row0 = 0): void {
    const n = this.topo.n, { cs, sn } = this
    const { aOff, a, bOff, b, edgeOff } = blk
    const K = 2 * R
    if (this.xa.length < a * K) this.xa = new Float64Array(a * K)
    if (this.wb.length < K * b) this.wb = new Float64Array(K * b)
    if (this.out.length < a * b) this.out = new Float64Array(a * b)
    const { xa, wb, out } = this
    for (let r = 0, o = row0 * n; r < R; r++, o += n) {
      for (let i = 0; i < a; i++) { xa[i * K + r] = cs[o + aOff + i]; xa[i * K + R + r] = sn[o + aOff + i] }
      wb.set(cs.subarray(o + bOff, o + bOff + b), r * b)
      wb.set(sn.subarray(o + bOff, o + bOff + b), (R + r) * b)
    }
    const W = mm.weights(wb.subarray(0, K * b), K, b)
    try { W.mul(xa, a, out) } finally { W.dispose() }
    for (let t = 0, e = a * b; t < e; t++) g[edgeOff + t] += c * -out[t]
  }
}
