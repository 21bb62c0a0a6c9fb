// Clamped OIM inputs folded into fields. An OIM input is not an oscillator: it holds a value x in
// [-1, 1] and enters every coupling as a spin with cos = x, sin = 0 (oim.ts), so a coupling J between
// input j and free node i contributes -J x_j cos phi_i to the energy: a first-harmonic field along
// phase 0, exactly like h_i. For one sample the inputs' field on free node i is the scalar
// sum_j J_ij x_j, added to h_i once per relaxation instead of looping over every input coupling in
// every force evaluation (a layered 784-100-10 net has 78,400 of its 79,400 couplings on inputs).
// What remains is a compact OIM of the free nodes only, with the same force, Hessian and stiffness
// bound as the full system restricted to the free nodes, and the same energy up to a constant.
import { oimEnergy, type OimNet } from './oim.ts'
import { OimSystem } from './oim-system.ts'
import { FOLD_BLOCK, oimFoldModule, type OimFoldExports } from './oim-fold-wasm.ts'

const PAGE = 65536

/** The free nodes of an OIM as a compact network, plus the input couplings to fold per sample. */
export class OimFoldPlan {
  /** full node id of each compact node */
  readonly free: Uint32Array
  /** compact id of each full node, -1 for clamped */
  readonly local: Int32Array
  /** the free nodes and their couplings among themselves; compact.h = h + this sample's folded field */
  readonly compact: OimNet
  /** input-free couplings: full edge, full input node, compact free node */
  private readonly foldEdge: Uint32Array
  private readonly foldIn: Uint32Array
  private readonly foldLoc: Uint32Array
  /** input-input couplings: a constant energy -J x_i x_j per sample */
  private readonly constEdge: Uint32Array
  /** energy of the input-input couplings for the current sample */
  private constE = 0
  /** full edge index of each compact edge */
  private readonly restEdge: Uint32Array
  /** h of each compact node without the folded field */
  private readonly baseH: Float64Array
  /** per compact node: 2 sum |J| + |h| + 2 |S| over the full network (OimSystem.stiffness's Gershgorin row) */
  readonly rowBound: Float64Array
  private readonly row: Float64Array
  /** input column (net.inputs order) of each fold edge's input node, and of both ends of a constant edge */
  private readonly foldCol: Uint32Array
  private readonly constColI: Uint32Array
  private readonly constColJ: Uint32Array
  /** folded fields of the last batch, node-major [nf, stride] (a sample is a column), and constant energies [rows] */
  private hT: Float64Array = new Float64Array(0)
  private stride = 0
  private constB = new Float64Array(0)
  /** inputs [rows, nIn] of the last batch fold (a nudged phase folds the free phase's batch again) */
  private lastIn = new Float64Array(0)
  private rows = 0
  private xT = new Float64Array(0)
  /** the fold as a wasm kernel (null: the JS loop): fold edges grouped by free node, each group in edge order */
  private readonly csr: { edge: Uint32Array; mod: WebAssembly.Module } | null
  private wasm: { fn: OimFoldExports; cap: number; stride: number; f64: Float64Array; wv: number; baseH: number; xT: number; hT: number; start: number; col: number } | null = null
  private wasmStale = true

  /** Plans the fold for a compiled OIM; throws when an output is clamped (it would have no compact id). */
  constructor(readonly full: OimNet) {
    const { n, m, ei, ej, clamped, outputs } = full
    for (const o of outputs) if (clamped[o]) throw new RangeError(`output ${o} is clamped: nothing to fold into`)
    const local = new Int32Array(n).fill(-1)
    const free: number[] = []
    for (let i = 0; i < n; i++) if (!clamped[i]) { local[i] = free.length; free.push(i) }
    this.free = Uint32Array.from(free)
    this.local = local
    const fk: number[] = [], fi: number[] = [], fl: number[] = [], rest: number[] = [], cc: number[] = []
    for (let k = 0; k < m; k++) {
      const i = ei[k], j = ej[k]
      if (clamped[i] && clamped[j]) { cc.push(k); continue } // a constant energy term, no force on anyone
      if (clamped[i] || clamped[j]) { fk.push(k); fi.push(clamped[i] ? i : j); fl.push(clamped[i] ? local[j] : local[i]) }
      else rest.push(k)
    }
    this.foldEdge = Uint32Array.from(fk)
    this.foldIn = Uint32Array.from(fi)
    this.foldLoc = Uint32Array.from(fl)
    this.restEdge = Uint32Array.from(rest)
    this.constEdge = Uint32Array.from(cc)
    const nf = free.length, mr = rest.length
    const cei = new Uint32Array(mr), cej = new Uint32Array(mr)
    for (let t = 0; t < mr; t++) { cei[t] = local[ei[rest[t]]]; cej[t] = local[ej[rest[t]]] }
    this.compact = {
      n: nf, m: mr, ei: cei, ej: cej, w: new Float64Array(mr), h: new Float64Array(nf), s: new Float64Array(nf),
      inputs: new Uint32Array(0), outputs: Uint32Array.from(outputs, (o) => local[o]), clamped: new Uint8Array(nf),
      cs: new Float64Array(nf), sn: new Float64Array(nf),
    }
    const col = new Int32Array(n).fill(-1)
    full.inputs.forEach((i, c) => { col[i] = c })
    this.foldCol = Uint32Array.from(fi, (i) => col[i])
    this.constColI = Uint32Array.from(cc, (k) => col[ei[k]])
    this.constColJ = Uint32Array.from(cc, (k) => col[ej[k]])
    this.baseH = new Float64Array(nf)
    this.rowBound = new Float64Array(nf)
    this.row = new Float64Array(n)
    const mod = fk.length > 0 ? oimFoldModule() : null
    if (mod) {
      // a stable counting sort by free node: each node's couplings keep their edge order
      const at = new Int32Array(nf + 1), order = new Uint32Array(fk.length)
      for (const t of fl) at[t + 1]++
      for (let t = 0; t < nf; t++) at[t + 1] += at[t]
      for (let k = 0; k < fk.length; k++) order[at[fl[k]]++] = k
      this.csr = { edge: order, mod }
    } else this.csr = null
    this.refresh()
  }

  /** Number of input-free couplings the fold takes out of every force evaluation. */
  get foldedCouplings(): number { return this.foldEdge.length }

  /** Re-reads J, h and S from the full network after a parameter change (the folded field goes stale). */
  refresh(): void {
    const f = this.full, c = this.compact
    for (let t = 0; t < this.restEdge.length; t++) c.w[t] = f.w[this.restEdge[t]]
    const row = this.row
    row.fill(0)
    for (let k = 0; k < f.m; k++) { const a = Math.abs(f.w[k]); row[f.ei[k]] += a; row[f.ej[k]] += a }
    for (let t = 0; t < this.free.length; t++) {
      const i = this.free[t]
      this.baseH[t] = f.h[i]
      c.h[t] = f.h[i]
      c.s[t] = f.s[i]
      this.rowBound[t] = 2 * row[i] + Math.abs(f.h[i]) + 2 * Math.abs(f.s[i])
    }
    this.rows = 0 // batch fields are stale
    this.wasmStale = true
  }

  /**
   * The kernel's memory for batches of up to B samples: grown on demand; couplings re-copied when stale.
   * The column offsets follow this batch's padded size, not the memory's: a small batch after a large one
   * (training steps after an evaluation of the whole test set) must not pay for the large one's columns.
   */
  private wasmFor(B: number): NonNullable<OimFoldPlan['wasm']> {
    const csr = this.csr!, nf = this.free.length, nIn = this.full.inputs.length, E = csr.edge.length
    let w = this.wasm
    if (!w || B > w.cap) {
      const cap = Math.max(B, 2 * (w?.cap ?? 0)), Bp = FOLD_BLOCK * Math.ceil(cap / FOLD_BLOCK)
      let top = 0
      const take = (bytes: number) => { const at = top; top += 16 * Math.ceil(bytes / 16); return at }
      const start = take(4 * (nf + 1)), col = take(4 * E), wv = take(8 * E), baseH = take(8 * nf), xT = take(8 * nIn * Bp), hT = take(8 * nf * Bp)
      const pages = Math.ceil(top / PAGE)
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages })
      const fn = new WebAssembly.Instance(csr.mod, { env: { memory } }).exports as unknown as OimFoldExports
      w = this.wasm = { fn, cap, stride: 0, f64: new Float64Array(memory.buffer), wv, baseH, xT, hT, start, col }
      const i32 = new Int32Array(memory.buffer), fl = this.foldLoc
      let e = 0
      for (let t = 0; t <= nf; t++) {
        while (e < E && fl[csr.edge[e]] < t) e++
        i32[start / 4 + t] = e
      }
      this.wasmStale = true
    }
    const S = FOLD_BLOCK * Math.ceil(B / FOLD_BLOCK)
    if (w.stride !== S) {
      const i32 = new Int32Array(w.f64.buffer), fc = this.foldCol, o = w.col / 4
      for (let k = 0; k < E; k++) i32[o + k] = fc[csr.edge[k]] * 8 * S
      w.stride = S
    }
    if (this.wasmStale) {
      const f = w.f64, ed = this.foldEdge, fw = this.full.w, o = w.wv / 8
      for (let k = 0; k < E; k++) f[o + k] = fw[ed[csr.edge[k]]]
      f.set(this.baseH, w.baseH / 8)
      this.wasmStale = false
    }
    return w
  }

  /**
   * Folds a whole batch: inputs [B, nIn] are the input values (in [-1, 1], net.inputs order). Same sums
   * in the same order as setSample, so the fields are bit-identical; but each coupling is read once per
   * batch and the samples run contiguously (node-major), instead of one scattered pass over all input
   * couplings per sample and phase (~60% of an OIM 784-500-10 training step with 'eliminate'). A
   * repeated fold of the same batch costs one comparison.
   */
  foldBatch(inputs: ArrayLike<number>, B: number): void {
    const nIn = this.full.inputs.length, nf = this.free.length
    if (this.rows === B && this.same(inputs, B * nIn)) return
    if (this.constB.length < B) this.constB = new Float64Array(B)
    const w = this.full.w
    let xT: Float64Array, S: number, xo0 = 0
    if (this.csr) {
      const k = this.wasmFor(B)
      S = k.stride
      xT = k.f64; xo0 = k.xT / 8
      for (let r = 0; r < B; r++) for (let c = 0; c < nIn; c++) xT[xo0 + c * S + r] = inputs[r * nIn + c]
      // the padding samples of the last block: zero inputs, finite fields, never read
      for (let c = 0; c < nIn; c++) xT.fill(0, xo0 + c * S + B, xo0 + (c + 1) * S)
      k.fn.fold(k.start, k.col, k.wv, k.baseH, k.xT, k.hT, nf, 8 * S)
      this.hT = k.f64.subarray(k.hT / 8, k.hT / 8 + nf * S)
    } else {
      S = B
      if (this.hT.length < nf * B) this.hT = new Float64Array(nf * B)
      if (this.xT.length < nIn * B) this.xT = new Float64Array(nIn * B)
      const hT = this.hT
      xT = this.xT
      for (let r = 0; r < B; r++) for (let c = 0; c < nIn; c++) xT[c * B + r] = inputs[r * nIn + c]
      for (let t = 0; t < nf; t++) hT.fill(this.baseH[t], t * B, (t + 1) * B)
      const fk = this.foldEdge, fc = this.foldCol, fl = this.foldLoc
      for (let t = 0; t < fk.length; t++) {
        const v = w[fk[t]], ho = fl[t] * B, xo = fc[t] * B
        for (let r = 0; r < B; r++) hT[ho + r] += v * xT[xo + r]
      }
    }
    this.stride = S
    const ce = this.constEdge, ci = this.constColI, cj = this.constColJ, constB = this.constB
    for (let r = 0; r < B; r++) {
      let e = 0
      for (let t = 0; t < ce.length; t++) e -= w[ce[t]] * xT[xo0 + ci[t] * S + r] * xT[xo0 + cj[t] * S + r]
      constB[r] = e
    }
    if (this.lastIn.length < B * nIn) this.lastIn = new Float64Array(B * nIn)
    for (let t = 0; t < B * nIn; t++) this.lastIn[t] = inputs[t]
    this.rows = B
  }

  private same(inputs: ArrayLike<number>, len: number): boolean {
    const l = this.lastIn
    for (let t = 0; t < len; t++) if (l[t] !== inputs[t]) return false
    return true
  }

  /** Points the compact network's field at sample b of the last foldBatch (as setSample would for it). */
  useSample(b: number): void {
    if (b >= this.rows) throw new RangeError(`sample ${b}: the last fold had ${this.rows} rows`)
    const h = this.compact.h, hT = this.hT, S = this.stride
    for (let t = 0; t < h.length; t++) h[t] = hT[t * S + b]
    this.constE = this.constB[b]
  }

  /** The field h (bias plus folded inputs) of compact node t for sample b of the last foldBatch. */
  fieldOf(t: number, b: number): number {
    if (b >= this.rows) throw new RangeError(`sample ${b}: the last fold had ${this.rows} rows`)
    return this.hT[t * this.stride + b]
  }

  /** The input-input couplings' energy (a constant of the free nodes) of sample b of the last foldBatch. */
  constEnergy(b: number): number {
    if (b >= this.rows) throw new RangeError(`sample ${b}: the last fold had ${this.rows} rows`)
    return this.constB[b]
  }

  /**
   * Folds one sample's inputs: compact.h[t] = h + sum_j J_tj x_j, with the input values x (in [-1, 1])
   * read from the full state x[xOff + input node].
   */
  setSample(x: Float64Array, xOff: number): void {
    const h = this.compact.h, w = this.full.w
    h.set(this.baseH)
    const fk = this.foldEdge, fi = this.foldIn, fl = this.foldLoc
    for (let t = 0; t < fk.length; t++) h[fl[t]] += w[fk[t]] * x[xOff + fi[t]]
    const { ei, ej } = this.full, ce = this.constEdge
    let e = 0
    for (let t = 0; t < ce.length; t++) { const k = ce[t]; e -= w[k] * x[xOff + ei[k]] * x[xOff + ej[k]] }
    this.constE = e
  }

  /** The full network's internal energy oimEnergy (dimensionless) of the current sample at compact state xc. */
  energy(xc: Float64Array): number {
    // folded input couplings are part of compact.h; only the input-input couplings are missing
    return oimEnergy(this.compact, xc, 0) + this.constE
  }

  /** xc[t] = x[xOff + free[t]]: full state (rad) to compact state. */
  gather(x: ArrayLike<number>, xOff: number, xc: Float64Array): void {
    const f = this.free
    for (let t = 0; t < f.length; t++) xc[t] = x[xOff + f[t]]
  }

  /** x[xOff + free[t]] = xc[t]: compact state back into a full state (clamped entries untouched). */
  scatter(xc: Float64Array, x: Float64Array, xOff: number): void {
    const f = this.free
    for (let t = 0; t < f.length; t++) x[xOff + f[t]] = xc[t]
  }
}

/**
 * OimSystem over plan.compact (call plan.setSample before relaxing a sample). Force, energy and
 * Hessian come from the compact network (the folded field is part of its h); the stiffness bound is
 * the full network's, so solver step sizes match the unfolded path.
 */
export class OimFoldSystem extends OimSystem {
  constructor(readonly plan: OimFoldPlan) {
    super(plan.compact)
  }

  /** The full network's Gershgorin bound (1/unit time^2 scale of the Hessian), as OimSystem computes it. */
  override stiffness(): number {
    const rb = this.plan.rowBound
    let mx = 0
    for (let i = 0; i < rb.length; i++) if (rb[i] > mx) mx = rb[i]
    return Math.max(mx + 2 * Math.abs(this.beta), 1e-3)
  }
}
