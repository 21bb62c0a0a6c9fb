// Dense kernels for layered XY networks. A layer pair (a of size A fully coupled to b of size B,
// couplings W [A, B]) turns the per-edge force loop into matrix products over (cos phi, sin phi):
// with E = -sum W_ij cos(phi_i - phi_j),
//   dE/dphi_j (b side) = sin phi_j (C_a W)_j - cos phi_j (S_a W)_j
//   dE/dphi_i (a side) = sin phi_i (W C_b)_i - cos phi_i (W S_b)_i
// where C = cos phi, S = sin phi (rows = samples of a batch). The matrix products go through a
// pluggable DenseMatMul: plain Float64 loops here (core imports no third-party code), TensorFlow.js
// in drivers/sim/tf-dense.ts.
import { xyEnergy, type XyNet } from './xy.ts'
import { sinCosInto } from './sincos.ts'
import { findDenseBlocks, type DenseBlock } from './dense-blocks.ts'

export { findDenseBlocks, type DenseBlock }

/** Names of the matrix-product backends, as /health reports them. */
export type DenseBackendName = 'node' | 'wasm' | 'cpu' | 'typed-array'

/** One weight matrix W [a, b] (row-major) held by a backend. */
export interface DenseWeights {
  /** out[r*b + j] = sum_i x[r*a + i] W_ij for r < rows (x and out dimensionless). */
  mul(x: Float64Array, rows: number, out: Float64Array): void
  /** out[r*a + i] = sum_j y[r*b + j] W_ij for r < rows. */
  mulT(y: Float64Array, rows: number, out: Float64Array): void
  /** Replaces the values of W (after a parameter update); same shape. */
  update(w: Float64Array): void
  /** Frees backend memory (tensors). */
  dispose(): void
}

/** A matrix-product backend. */
export interface DenseMatMul {
  readonly name: DenseBackendName
  /** true when products are computed in float32 (about 1e-7 relative rounding per product) */
  readonly float32: boolean
  /** Uploads W [a, b] (row-major copy of w). */
  weights(w: Float64Array, a: number, b: number): DenseWeights
}

/** Float64 matrix products in plain loops: exact to rounding, ~1 GFLOP/s. */
export const typedMatMul: DenseMatMul = {
  name: 'typed-array',
  float32: false,
  weights(w0: Float64Array, a: number, b: number): DenseWeights {
    const W = Float64Array.from(w0.subarray(0, a * b))
    return {
      mul(x, rows, out) {
        out.fill(0, 0, rows * b)
        for (let r = 0; r < rows; r++) {
          const xo = r * a, oo = r * b
          // i-j order: the inner loop streams one row of W and one row of out
          for (let i = 0; i < a; i++) {
            const v = x[xo + i]
            if (v === 0) continue
            const wo = i * b
            for (let j = 0; j < b; j++) out[oo + j] += v * W[wo + j]
          }
        }
      },
      mulT(y, rows, out) {
        for (let r = 0; r < rows; r++) {
          const yo = r * b, oo = r * a
          for (let i = 0; i < a; i++) {
            const wo = i * b
            let s = 0
            for (let j = 0; j < b; j++) s += y[yo + j] * W[wo + j]
            out[oo + i] = s
          }
        }
      },
      update(w) { W.set(w.subarray(0, a * b)) },
      dispose() {},
    }
  },
}

/** Copies the couplings of a block out of the edge weights into W [a, b]. */
function blockWeights(w: Float64Array, blk: DenseBlock, W: Float64Array): Float64Array {
  W.set(w.subarray(blk.edgeOff, blk.edgeOff + blk.a * blk.b))
  return W
}

/**
 * The XY force -dE/dphi (rad per unit time; zero on clamped nodes) for a whole batch of phases
 * [N, n], with every dense block of at least minBlock edges done by matrix products. Scratch grows
 * with the largest batch seen and is reused, so repeated calls allocate nothing in the loops here
 * (a TensorFlow.js backend still allocates its result arrays).
 */
export class DenseXyForce {
  readonly blocks: DenseBlock[]
  /** edges not inside a dense block, handled by the per-edge loop */
  private readonly rest: Uint32Array
  private weights: DenseWeights[]
  private cap = 0
  private C = new Float64Array(0)
  private S = new Float64Array(0)
  private xa = new Float64Array(0)
  private pa = new Float64Array(0)

  constructor(readonly net: XyNet, readonly mm: DenseMatMul, minBlock = 2) {
    this.blocks = findDenseBlocks(net, minBlock)
    const inBlock = new Uint8Array(net.m)
    for (const blk of this.blocks) inBlock.fill(1, blk.edgeOff, blk.edgeOff + blk.a * blk.b)
    const rest: number[] = []
    for (let k = 0; k < net.m; k++) if (!inBlock[k]) rest.push(k)
    this.rest = Uint32Array.from(rest)
    this.weights = this.blocks.map((blk) => mm.weights(blockWeights(net.w, blk, new Float64Array(blk.a * blk.b)), blk.a, blk.b))
  }

  /** Re-reads the couplings from net.w after a parameter change. */
  refresh(): void {
    this.blocks.forEach((blk, q) => this.weights[q].update(this.net.w.subarray(blk.edgeOff, blk.edgeOff + blk.a * blk.b)))
  }

  /** Frees the backend's weight tensors. */
  dispose(): void {
    for (const w of this.weights) w.dispose()
    this.weights = []
  }

  private ensure(N: number): void {
    if (N <= this.cap) return
    const n = this.net.n
    let big = 0
    for (const blk of this.blocks) big = Math.max(big, blk.a, blk.b)
    this.C = new Float64Array(N * n)
    this.S = new Float64Array(N * n)
    this.xa = new Float64Array(2 * N * big)
    this.pa = new Float64Array(2 * N * big)
    this.cap = N
  }

  /** out[N, n] = force on each sample of phi[N, n] (rad per unit time; zero on clamped nodes). */
  force(phi: Float64Array, N: number, out: Float64Array): void {
    this.ensure(N)
    const { n, hx, hy, hasBias, ei, ej, w, clamped } = this.net
    const { C, S, xa, pa } = this
    // trig in plain loops: cheaper than WASM elementwise sin/cos (STACK.md)
    for (let r = 0; r < N; r++) sinCosInto(phi, r * n, n, C.subarray(r * n), S.subarray(r * n))
    // out holds dE/dphi until the sign flip at the end
    for (let r = 0; r < N; r++) {
      const o = r * n
      if (hasBias) for (let i = 0; i < n; i++) out[o + i] = hx[i] * S[o + i] - hy[i] * C[o + i]
      else out.fill(0, o, o + n)
    }
    this.blocks.forEach((blk, q) => {
      const { aOff, a, bOff, b } = blk
      const W = this.weights[q]
      // [C_a; S_a] [2N, a] @ W -> [C_a W; S_a W] [2N, b]
      for (let r = 0; r < N; r++) {
        const o = r * n
        for (let i = 0; i < a; i++) { xa[r * a + i] = C[o + aOff + i]; xa[(N + r) * a + i] = S[o + aOff + i] }
      }
      W.mul(xa, 2 * N, pa)
      for (let r = 0; r < N; r++) {
        const o = r * n + bOff
        for (let j = 0; j < b; j++) out[o + j] += S[o + j] * pa[r * b + j] - C[o + j] * pa[(N + r) * b + j]
      }
      // [C_b; S_b] [2N, b] @ W^T -> [W C_b; W S_b] [2N, a]
      for (let r = 0; r < N; r++) {
        const o = r * n
        for (let j = 0; j < b; j++) { xa[r * b + j] = C[o + bOff + j]; xa[(N + r) * b + j] = S[o + bOff + j] }
      }
      W.mulT(xa, 2 * N, pa)
      for (let r = 0; r < N; r++) {
        const o = r * n + aOff
        for (let i = 0; i < a; i++) out[o + i] += S[o + i] * pa[r * a + i] - C[o + i] * pa[(N + r) * a + i]
      }
    })
    const rest = this.rest
    for (let r = 0; r < N; r++) {
      const o = r * n
      for (let t = 0; t < rest.length; t++) {
        const k = rest[t], i = o + ei[k], j = o + ej[k]
        const s = w[k] * (S[i] * C[j] - C[i] * S[j])
        out[i] += s
        out[j] -= s
      }
      for (let i = 0; i < n; i++) out[o + i] = clamped[i] ? 0 : -out[o + i]
    }
  }
}

/** A block whose clamped side contributes a constant field to its free side. */
interface FoldBlock { blk: DenseBlock; clampedSide: 'a' | 'b'; cols: Uint32Array; freeLocal: number; W: DenseWeights | null }
/** A block of free nodes on both sides, done per force evaluation in Float64 (compact ids). */
interface StepBlock { blk: DenseBlock; aL: number; bL: number; W: Float64Array }

/**
 * Clamped inputs folded into fields, over the free nodes only. For a sample with clamped phases x,
 * every coupling between a clamped node j and a free node i contributes W_ij cos(phi_i - x_j), which is
 * a bias field (sum_j W_ij cos x_j, sum_j W_ij sin x_j) on i: computed once per relaxation batch
 * instead of once per force evaluation. What remains is a compact network of the free nodes (ids
 * `free`), whose free-free dense blocks of at least minStep edges run as Float64 dense loops.
 */
export class DenseXyPlan {
  /** full node id of each compact node */
  readonly free: Uint32Array
  /** compact id of each full node, -1 for clamped */
  readonly local: Int32Array
  /** the free nodes with residual edges; hx/hy = bias + this sample's folded field (setSample) */
  readonly compact: XyNet
  readonly foldBlocks: FoldBlock[] = []
  readonly stepBlocks: StepBlock[] = []
  /** couplings clamped-free outside fold blocks: full edge, input column, compact node */
  private readonly sparseFold: { k: Uint32Array; col: Uint32Array; loc: Uint32Array }
  /** full edge index of each residual compact edge */
  private readonly restEdge: Uint32Array
  /** edges between two clamped nodes: constant energy that no free node feels */
  private readonly fixedEdge: Uint32Array
  /** input column of each clamped node (-1 elsewhere) */
  private readonly inputCol: Int32Array
  /** per compact node: 2 sum |W| + |h| over the full network (XySystem.stiffness's Gershgorin row) */
  readonly rowBound: Float64Array
  /** half-bandwidth of all free-free couplings in compact ids */
  readonly bandwidth: number
  private readonly baseHx: Float64Array
  private readonly baseHy: Float64Array
  private mm: DenseMatMul | null = null
  private fx = new Float64Array(0)
  private fy = new Float64Array(0)
  private xa = new Float64Array(0)
  private pa = new Float64Array(0)
  private rows = 0
  /** the inputs [rows, nIn] of the last fold, and its product: a nudged phase re-folds the free phase's batch */
  private lastIn = new Float64Array(0)
  private lastMm: DenseMatMul | null = null
  /** clampedEnergy of each sample of the last fold, once asked for (NaN: not yet) */
  private clampedE = new Float64Array(0)

  private constructor(readonly full: XyNet, blocks: DenseBlock[], minStep: number) {
    const { n, m, ei, ej, clamped, inputs } = full
    const local = new Int32Array(n).fill(-1)
    const free: number[] = []
    for (let i = 0; i < n; i++) if (!clamped[i]) { local[i] = free.length; free.push(i) }
    this.free = Uint32Array.from(free)
    this.local = local
    const col = new Int32Array(n).fill(-1)
    inputs.forEach((i, c) => { col[i] = c })
    this.inputCol = col
    const handled = new Uint8Array(m)
    const all = (off: number, len: number, v: number) => { for (let t = 0; t < len; t++) if (clamped[off + t] !== v) return false; return true }
    for (const blk of blocks) {
      const { aOff, a, bOff, b, edgeOff } = blk
      const aC = all(aOff, a, 1), bC = all(bOff, b, 1), aF = all(aOff, a, 0), bF = all(bOff, b, 0)
      if ((aC && bF) || (aF && bC)) {
        const side = aC ? 'a' : 'b'
        const off = side === 'a' ? aOff : bOff, len = side === 'a' ? a : b
        const cols = new Uint32Array(len)
        for (let t = 0; t < len; t++) cols[t] = col[off + t]
        this.foldBlocks.push({ blk, clampedSide: side, cols, freeLocal: local[side === 'a' ? bOff : aOff], W: null })
      } else if (aF && bF && a * b >= minStep) {
        this.stepBlocks.push({ blk, aL: local[aOff], bL: local[bOff], W: new Float64Array(a * b) })
      } else continue
      handled.fill(1, edgeOff, edgeOff + a * b)
    }
    const fk: number[] = [], fc: number[] = [], fl: number[] = [], rest: number[] = [], fixed: number[] = []
    for (let k = 0; k < m; k++) {
      if (handled[k]) continue
      const i = ei[k], j = ej[k]
      if (clamped[i] && clamped[j]) { fixed.push(k); continue } // constant energy, no force on anyone
      if (clamped[i] || clamped[j]) { fk.push(k); fc.push(clamped[i] ? col[i] : col[j]); fl.push(clamped[i] ? local[j] : local[i]) }
      else rest.push(k)
    }
    this.sparseFold = { k: Uint32Array.from(fk), col: Uint32Array.from(fc), loc: Uint32Array.from(fl) }
    this.restEdge = Uint32Array.from(rest)
    this.fixedEdge = Uint32Array.from(fixed)
    const nf = free.length, mr = rest.length
    const cei = new Uint32Array(mr), cej = new Uint32Array(mr)
    rest.forEach((k, t) => { cei[t] = local[ei[k]]; cej[t] = local[ej[k]] })
    this.compact = {
      n: nf, m: mr, ei: cei, ej: cej, w: new Float64Array(mr), h: new Float64Array(nf), psi: new Float64Array(nf),
      inputs: new Uint32Array(0), outputs: Uint32Array.from(full.outputs, (o) => local[o]), clamped: new Uint8Array(nf),
      // the folded field acts as a bias on (almost) every free node: keep the bias loop on
      hasBias: true, hx: new Float64Array(nf), hy: new Float64Array(nf), cs: new Float64Array(nf), sn: new Float64Array(nf),
    }
    this.baseHx = new Float64Array(nf)
    this.baseHy = new Float64Array(nf)
    this.rowBound = new Float64Array(nf)
    let bw = 0
    for (let k = 0; k < mr; k++) bw = Math.max(bw, Math.abs(cei[k] - cej[k]))
    for (const s of this.stepBlocks) {
      const { a, b } = s.blk
      bw = Math.max(bw, Math.abs(s.aL + a - 1 - s.bL), Math.abs(s.bL + b - 1 - s.aL))
    }
    this.bandwidth = Math.min(bw, Math.max(nf - 1, 0))
    this.refresh()
  }

  /**
   * The plan for a network, or null when it has no dense block of at least minBlock edges that
   * touches a free node, or an output is clamped (nothing to gain, or not a layered read-out).
   */
  static build(full: XyNet, minBlock: number): DenseXyPlan | null {
    for (const o of full.outputs) if (full.clamped[o]) return null
    const blocks = findDenseBlocks(full, Math.max(2, minBlock))
    if (blocks.length === 0) return null
    const p = new DenseXyPlan(full, blocks, minBlock)
    return p.foldBlocks.length + p.stepBlocks.length > 0 ? p : null
  }

  /** Re-reads couplings and bias from the full network after a parameter change. */
  refresh(): void {
    const f = this.full, c = this.compact
    for (let t = 0; t < this.restEdge.length; t++) c.w[t] = f.w[this.restEdge[t]]
    for (const s of this.stepBlocks) blockWeights(f.w, s.blk, s.W)
    for (const fb of this.foldBlocks) fb.W?.update(f.w.subarray(fb.blk.edgeOff, fb.blk.edgeOff + fb.blk.a * fb.blk.b))
    const row = new Float64Array(f.n)
    for (let k = 0; k < f.m; k++) { const a = Math.abs(f.w[k]); row[f.ei[k]] += a; row[f.ej[k]] += a }
    for (let t = 0; t < this.free.length; t++) {
      const i = this.free[t]
      c.h[t] = f.h[i]; c.psi[t] = f.psi[i]
      this.baseHx[t] = f.hx[i]; this.baseHy[t] = f.hy[i]
      this.rowBound[t] = 2 * row[i] + Math.abs(f.h[i])
    }
    this.rows = 0 // folded fields are stale
    this.clampedE.fill(NaN)
  }

  /** Frees backend weight tensors. */
  dispose(): void {
    for (const fb of this.foldBlocks) { fb.W?.dispose(); fb.W = null }
    this.mm = null
  }

  private use(mm: DenseMatMul): void {
    if (this.mm === mm) return
    this.dispose()
    this.mm = mm
    for (const fb of this.foldBlocks) {
      const { a, b, edgeOff } = fb.blk
      fb.W = mm.weights(this.full.w.subarray(edgeOff, edgeOff + a * b), a, b)
    }
  }

  /**
   * Computes the folded field of every sample of a batch: inputs[B, nIn] are the clamped phases (rad)
   * in net.inputs order. Dense fold blocks are one matrix product per block for the whole batch.
   */
  fold(inputs: ArrayLike<number>, B: number, mm: DenseMatMul): void {
    this.use(mm)
    const nf = this.free.length, nIn = this.full.inputs.length
    // the nudged phase of a training step folds the same batch again: one compare of B*nIn values
    // against a [2B, nIn] x [nIn, nf] product (0.24 ms per sample on 784-500-10)
    if (this.rows === B && this.lastMm === mm && this.sameInputs(inputs, B * nIn)) return
    if (this.fx.length < B * nf) { this.fx = new Float64Array(B * nf); this.fy = new Float64Array(B * nf) }
    const { fx, fy } = this
    fx.fill(0, 0, B * nf); fy.fill(0, 0, B * nf)
    for (const fb of this.foldBlocks) {
      const { a, b } = fb.blk
      const len = fb.clampedSide === 'a' ? a : b, outLen = fb.clampedSide === 'a' ? b : a
      const need = 2 * B * Math.max(len, outLen)
      if (this.xa.length < need) { this.xa = new Float64Array(need); this.pa = new Float64Array(need) }
      const { xa, pa } = this
      for (let r = 0; r < B; r++) {
        for (let t = 0; t < len; t++) {
          const x = inputs[r * nIn + fb.cols[t]]
          xa[r * len + t] = Math.cos(x)
          xa[(B + r) * len + t] = Math.sin(x)
        }
      }
      if (fb.clampedSide === 'a') fb.W!.mul(xa, 2 * B, pa)
      else fb.W!.mulT(xa, 2 * B, pa)
      for (let r = 0; r < B; r++) {
        const o = r * nf + fb.freeLocal
        for (let t = 0; t < outLen; t++) { fx[o + t] += pa[r * outLen + t]; fy[o + t] += pa[(B + r) * outLen + t] }
      }
    }
    const { k: sk, col, loc } = this.sparseFold, w = this.full.w
    for (let r = 0; r < B; r++) {
      for (let t = 0; t < sk.length; t++) {
        const x = inputs[r * nIn + col[t]], v = w[sk[t]]
        fx[r * nf + loc[t]] += v * Math.cos(x)
        fy[r * nf + loc[t]] += v * Math.sin(x)
      }
    }
    this.rows = B
    this.lastMm = mm
    if (this.clampedE.length < B) this.clampedE = new Float64Array(B)
    this.clampedE.fill(NaN)
    if (this.lastIn.length < B * nIn) this.lastIn = new Float64Array(B * nIn)
    for (let t = 0; t < B * nIn; t++) this.lastIn[t] = inputs[t]
  }

  private sameInputs(inputs: ArrayLike<number>, len: number): boolean {
    const l = this.lastIn
    for (let t = 0; t < len; t++) if (l[t] !== inputs[t]) return false
    return true
  }

  /** Points the compact network's field at sample b of the last fold (bias + folded inputs). */
  setSample(b: number): void {
    this.sampleField(b, 0, this.free.length, this.compact.hx, this.compact.hy, 0)
  }

  /**
   * The bias field (bias + folded inputs) of compact nodes i0 .. i0+len for sample b of the last fold
   * into hx[o ..], hy[o ..] (setSample(b) writes all of them into the compact network's field).
   */
  sampleField(b: number, i0: number, len: number, hx: Float64Array, hy: Float64Array, o: number): void {
    if (b >= this.rows) throw new RangeError(`sample ${b}: the last fold had ${this.rows} rows`)
    const r = b * this.free.length + i0
    for (let t = 0; t < len; t++) { hx[o + t] = this.baseHx[i0 + t] + this.fx[r + t]; hy[o + t] = this.baseHy[i0 + t] + this.fy[r + t] }
  }

  /**
   * Internal energy E of the full network for sample b of the last fold (after setSample(b)), from
   * its compact state xc and clamped phases inputs[B, nIn] (rad): the compact energy already holds the
   * free nodes' bias and every clamped-free coupling (the folded field); the clamped nodes' own bias and
   * clamped-clamped couplings are added here. Costs O(free nodes + step blocks), not O(all couplings).
   */
  energy(xc: Float64Array, inputs: ArrayLike<number>, b: number): number {
    const c = this.compact
    return xyEnergy(c, xc, 0) + stepBlockEnergy(this, c.cs, c.sn) + this.clampedEnergy(inputs, b)
  }

  /** The energy terms of sample b that no free node feels (clamped bias, clamped-clamped couplings); inputs = the last fold's. */
  clampedEnergy(inputs: ArrayLike<number>, b: number): number {
    // the inputs are the last fold's (both phases of a training step share them): once per sample and fold
    const cached = b < this.rows ? this.clampedE[b] : NaN
    if (cached === cached) return cached
    const e = this.clampedTerms(inputs, b)
    if (b < this.rows) this.clampedE[b] = e
    return e
  }

  private clampedTerms(inputs: ArrayLike<number>, b: number): number {
    const f = this.full
    let e = 0
    const nIn = f.inputs.length, o = b * nIn
    if (f.hasBias) {
      for (let t = 0; t < nIn; t++) {
        const i = f.inputs[t], x = inputs[o + t]
        e -= f.hx[i] * Math.cos(x) + f.hy[i] * Math.sin(x)
      }
    }
    const fe = this.fixedEdge
    if (fe.length > 0) {
      const col = this.inputCol
      for (let t = 0; t < fe.length; t++) {
        const k = fe[t]
        e -= f.w[k] * Math.cos(inputs[o + col[f.ei[k]]] - inputs[o + col[f.ej[k]]])
      }
    }
    return e
  }

  /** xc[t] = x[free[t]]: full state to compact state. */
  gather(x: Float64Array, xOff: number, xc: Float64Array): void {
    const f = this.free
    for (let t = 0; t < f.length; t++) xc[t] = x[xOff + f[t]]
  }

  /** x[free[t]] = xc[t]: compact state back into a full state (clamped entries untouched). */
  scatter(xc: Float64Array, x: Float64Array, xOff: number): void {
    const f = this.free
    for (let t = 0; t < f.length; t++) x[xOff + f[t]] = xc[t]
  }
}

/** Adds dE/dphi of the plan's free-free dense blocks (compact ids) to g, from the cached trig cs/sn. */
export function addStepBlockGrad(plan: DenseXyPlan, cs: Float64Array, sn: Float64Array, g: Float64Array): void {
  for (const s of plan.stepBlocks) {
    const { a, b } = s.blk, aL = s.aL, bL = s.bL, W = s.W
    for (let i = 0; i < a; i++) {
      const ci = cs[aL + i], si = sn[aL + i], wo = i * b
      let accC = 0, accS = 0
      // one pass over W row i: its own field sum and the contributions to every b node
      for (let j = 0; j < b; j++) {
        const v = W[wo + j], cj = cs[bL + j], sj = sn[bL + j]
        accC += v * cj
        accS += v * sj
        // dE/dphi_j += W_ij sin(phi_j - phi_i)
        g[bL + j] += v * (sj * ci - cj * si)
      }
      g[aL + i] += si * accC - ci * accS
    }
  }
}

/** Energy -sum W_ij cos(phi_i - phi_j) of the plan's free-free dense blocks, from cached trig. */
export function stepBlockEnergy(plan: DenseXyPlan, cs: Float64Array, sn: Float64Array): number {
  let e = 0
  for (const s of plan.stepBlocks) {
    const { a, b } = s.blk, aL = s.aL, bL = s.bL, W = s.W
    for (let i = 0; i < a; i++) {
      const ci = cs[aL + i], si = sn[aL + i], wo = i * b
      for (let j = 0; j < b; j++) e -= W[wo + j] * (ci * cs[bL + j] + si * sn[bL + j])
    }
  }
  return e
}
