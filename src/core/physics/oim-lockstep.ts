// The batched elimination (BatchElimination) of a one-hidden-layer OIM on its folded plan: the compact
// free nodes split into an eliminated side A (the hidden layer) and a kept side B (the outputs), with
// every coupling in one dense block W between them. The products over W are the XY lockstep's f64x2
// WebAssembly kernels (xy-lockstep-wasm.ts), because the OIM couples phases exactly as XY does: the
// A side's field z, the A side's pull on B, and the Schur complement's H_BA diag(H_AA)^-1 H_AB. What
// differs is the A side's minimiser: the second-harmonic locking makes each hidden node's energy
// -z.(cos, sin) - (S/2) cos 2phi, with no closed form, so every node of every listed row descends to
// its own basin's minimum by the safeguarded Newton of oim-elimination.ts, all of them in one list
// (minimiseOimNodeList), warm-started from the sample's other slot as the per-sample solver's trial
// state starts from its current one. The kept side's few nodes (force, energy, nudge) stay in JS.
import type { BatchElimination } from '../solvers/eliminate-lockstep.ts'
import { minimiseOimNodeList, minimiseOimNodes, oimBipartiteSplit, OimNodeListScratch, OimNodeScratch } from './oim-elimination.ts'
import type { OimFoldPlan } from './oim-fold.ts'
import { sinCosInto } from './sincos.ts'
import { lockstepModule, type LockstepExports } from './xy-lockstep-wasm.ts'

const PAGE = 65536

/** The nudge of one relaxation batch on the kept side (per-sample rows). */
export interface OimLockstepNudge {
  /** MSE-on-cos strength and target values [B, nOut], or beta 0 */
  beta: number
  y: Float64Array | null
  /** frozen torque on the kept nodes [B, nb] (none on the hidden side: the caller relaxes such a batch per sample) */
  ext: Float64Array | null
}

/** Byte addresses of the arrays in the kernels' memory. */
interface Layout { Wt: number; hA: number; kcs: number; hid: number; z: number; fld: number; T: number; G: number; GU: number; list: number }

export class OimLockstep implements BatchElimination {
  readonly nb: number
  readonly na: number
  /** compact ids of the eliminated and the kept nodes */
  readonly a: Uint32Array
  readonly b: Uint32Array
  /** A side padded to a multiple of 4 nodes (two f64x2 lanes, unrolled twice) */
  private readonly NA: number
  /** kept index of each output */
  private readonly outK: Int32Array
  /** per compact edge: its place in Wt (kept-major [nb, NA]) */
  private readonly wPos: Uint32Array
  private cap = 0
  private B = 0
  private fn: LockstepExports | null = null
  private at: Layout | null = null
  private f64 = new Float64Array(0)
  private i32 = new Int32Array(0)
  private nudge: OimLockstepNudge = { beta: 0, y: null, ext: null }
  /** per slot [2B, NA]: hidden phases, their cos and sin, fields z; S per hidden node repeated per slot */
  private ph = new Float64Array(0)
  private hc = new Float64Array(0)
  private hs = new Float64Array(0)
  private zx = new Float64Array(0)
  private zy = new Float64Array(0)
  private sv = new Float64Array(0)
  private ids = new Int32Array(0)
  private nodes = new OimNodeListScratch(0)
  /** per sample: kept-side bias fields [B, nb]; whether its first alignment (from the start phases) is done */
  private hB = new Float64Array(0)
  private started = new Uint8Array(0)
  /** per slot: the free nodes' internal energy at the last alignment (no nudge, no torque) */
  private eFree = new Float64Array(0)
  /** cos, sin of one row's kept phases; the kept side's Newton (a sweep) */
  private readonly kc: Float64Array
  private readonly ks: Float64Array
  private readonly kNode: OimNodeScratch
  private readonly kPh: Float64Array
  private readonly kZx: Float64Array
  private readonly kZy: Float64Array
  private readonly kS: Float64Array

  private constructor(private readonly plan: OimFoldPlan, split: { a: Uint32Array; b: Uint32Array }, private readonly mod: WebAssembly.Module) {
    const c = plan.compact
    this.a = split.a; this.b = split.b
    this.na = split.a.length; this.nb = split.b.length
    this.NA = 4 * Math.ceil(this.na / 4)
    const aIdx = new Int32Array(c.n).fill(-1), bIdx = new Int32Array(c.n).fill(-1)
    split.a.forEach((i, t) => { aIdx[i] = t })
    split.b.forEach((i, t) => { bIdx[i] = t })
    this.outK = Int32Array.from(c.outputs, (o) => bIdx[o])
    this.wPos = Uint32Array.from(c.ei, (i, k) => {
      const j = c.ej[k]
      return aIdx[i] >= 0 ? bIdx[j] * this.NA + aIdx[i] : bIdx[i] * this.NA + aIdx[j]
    })
    const nb = this.nb
    this.kc = new Float64Array(nb); this.ks = new Float64Array(nb)
    this.kNode = new OimNodeScratch(nb)
    this.kPh = new Float64Array(nb); this.kZx = new Float64Array(nb); this.kZy = new Float64Array(nb); this.kS = new Float64Array(nb)
  }

  /**
   * The lockstep elimination of a folded OIM plan, or why there is none: its free nodes must split into
   * two sides with every coupling between them, filling at least a quarter of the dense block (a
   * layered net with one hidden layer fills all of it), the outputs on the kept side, and WebAssembly SIMD.
   */
  static build(plan: OimFoldPlan): OimLockstep | string {
    const c = plan.compact
    const split = oimBipartiteSplit(c)
    if (typeof split === 'string') return split
    const na = split.a.length, nb = split.b.length
    if (na === 0 || nb === 0) return 'lockstep needs free nodes on both sides of the split'
    if (4 * c.m < na * nb) return `lockstep needs a dense block: ${c.m} couplings fill less than a quarter of ${na} x ${nb}`
    const inB = new Uint8Array(c.n)
    for (const i of split.b) inB[i] = 1
    for (const o of c.outputs) if (!inB[o]) return 'lockstep needs every output on the kept side'
    const mod = lockstepModule()
    if (!mod) return 'this engine has no WebAssembly SIMD'
    return new OimLockstep(plan, split, mod)
  }

  /** Grows the kernels' memory and the node arrays to B samples. */
  private ensure(B: number): void {
    if (B <= this.cap && this.fn) return
    const { nb, NA } = this, NA8 = 8 * NA, nbB = 8 * nb
    const r16 = (x: number) => 16 * Math.ceil(x / 16)
    let top = 0
    const take = (bytes: number) => { const at = top; top += r16(bytes); return at }
    const at: Layout = {
      Wt: take(nb * NA8), hA: take(B * 2 * NA8), kcs: take(2 * B * 2 * nbB), hid: take(2 * B * 3 * NA8), z: take(2 * B * 3 * NA8),
      fld: take(2 * B * 2 * nbB), T: take(B * nb * nbB), G: take(nb * NA8), GU: take(nb * NA8), list: take(2 * B * 8),
    }
    const pages = Math.ceil(top / PAGE)
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages })
    this.fn = new WebAssembly.Instance(this.mod, { env: { memory } }).exports as unknown as LockstepExports
    this.f64 = new Float64Array(memory.buffer)
    this.i32 = new Int32Array(memory.buffer)
    this.at = at
    // padding nodes of the hidden side: unit vectors with no couplings and no curvature term (finite, inert)
    for (let q = 0; q < 2 * B; q++) {
      const h = at.hid / 8 + q * 3 * NA
      this.f64.fill(1, h + this.na, h + NA)
      this.f64.fill(0, h + NA + this.na, h + 2 * NA)
      this.f64.fill(0, h + 2 * NA + this.na, h + 3 * NA)
    }
    const N = 2 * B * NA
    this.ph = new Float64Array(N); this.hc = new Float64Array(N); this.hs = new Float64Array(N)
    this.zx = new Float64Array(N); this.zy = new Float64Array(N); this.sv = new Float64Array(N)
    this.ids = new Int32Array(N)
    this.nodes = new OimNodeListScratch(N, true)
    this.hB = new Float64Array(B * nb)
    this.started = new Uint8Array(B)
    this.eFree = new Float64Array(2 * B)
    this.cap = B
  }

  /**
   * Takes the couplings, the per-sample fields of the plan's last foldBatch (samples first .. first+B-1
   * as rows 0 .. B-1), the hidden nodes' start phases (from compact start states, row r at
   * start[r * startStride ..], rad) and the nudge; call before relaxEliminateBatch.
   */
  load(B: number, nudge: OimLockstepNudge, first: number, start: Float64Array, startStride: number): void {
    this.ensure(B)
    this.B = B
    this.nudge = nudge
    const at = this.at!, f = this.f64, { nb, na, NA, plan, a, b } = this, c = plan.compact
    const wt = at.Wt / 8
    f.fill(0, wt, wt + nb * NA)
    for (let k = 0; k < c.m; k++) f[wt + this.wPos[k]] += c.w[k]
    for (let r = 0; r < B; r++) {
      const h = at.hA / 8 + r * 2 * NA
      for (let t = 0; t < na; t++) f[h + t] = plan.fieldOf(a[t], first + r)
      f.fill(1, h + na, h + NA)
      f.fill(0, h + NA, h + 2 * NA)
      for (let j = 0; j < nb; j++) this.hB[r * nb + j] = plan.fieldOf(b[j], first + r)
      for (let t = 0; t < na; t++) this.ph[r * NA + t] = start[r * startStride + a[t]]
      this.started[r] = 0
    }
    for (let q = 0; q < 2 * B; q++) for (let t = 0; t < na; t++) this.sv[q * NA + t] = c.s[a[t]]
  }

  reserve(B: number): void {
    if (B > this.cap || B !== this.B) throw new RangeError(`load(${B}) before relaxing ${B} samples (loaded ${this.B})`)
  }

  /** Copies a (sample, slot) list into the kernels' memory; returns its byte address. */
  private putList(list: Int32Array, count: number): number {
    const at = this.at!.list
    this.i32.set(list.subarray(0, 2 * count), at / 4)
    return at
  }

  align(list: Int32Array, count: number, x: Float64Array, E: Float64Array): void {
    const at = this.at!, f = this.f64, { nb, na, NA, B, ph, hc, hs, zx, zy, ids } = this
    for (let e = 0; e < count; e++) {
      const s = list[2 * e], q = list[2 * e + 1], o = at.kcs / 8 + q * 2 * nb
      sinCosInto(x, q * nb, nb, this.kc, this.ks)
      for (let j = 0; j < nb; j++) { f[o + j] = this.kc[j]; f[o + nb + j] = this.ks[j] }
      const qo = q * NA
      if (this.started[s]) {
        // warm start: the sample's other slot holds its current (aligned) state
        const src = (q === s ? B + s : s) * NA
        ph.copyWithin(qo, src, src + na); hc.copyWithin(qo, src, src + na); hs.copyWithin(qo, src, src + na)
      } else {
        this.started[s] = 1
        const { CP, SP } = this.nodes
        sinCosInto(ph, qo, na, CP, SP)
        for (let t = 0; t < na; t++) { hc[qo + t] = CP[t]; hs[qo + t] = SP[t] }
      }
    }
    this.fn!.zfield(this.putList(list, count), 8 * count, at.Wt, at.hA, at.kcs, at.z, 0, 0, 8 * NA, 8 * nb)
    let K = 0
    for (let e = 0; e < count; e++) {
      const q = list[2 * e + 1], zo = at.z / 8 + q * 3 * NA, qo = q * NA
      for (let t = 0; t < na; t++) { zx[qo + t] = f[zo + t]; zy[qo + t] = f[zo + NA + t]; ids[K++] = qo + t }
    }
    const w = this.nodes
    minimiseOimNodeList(K, ids, ph, zx, zy, this.sv, hc, hs, w)
    const { beta, y, ext } = this.nudge, c = this.plan.compact, outK = this.outK, nOut = outK.length
    for (let e = 0; e < count; e++) {
      const s = list[2 * e], q = list[2 * e + 1], qo = q * NA, hd = at.hid / 8 + q * 3 * NA, ko = at.kcs / 8 + q * 2 * nb
      let Ea = 0, bad = false
      for (let t = 0; t < na; t++) {
        const id = qo + t
        if (w.state[id] !== 0) bad = true
        Ea += w.f[id]
        f[hd + t] = hc[id]; f[hd + NA + t] = hs[id]; f[hd + 2 * NA + t] = 1 / w.hh[id]
      }
      // the kept nodes' own terms: their field (bias and folded inputs) and second-harmonic injection
      for (let j = 0; j < nb; j++) {
        const cj = f[ko + j], sj = f[ko + nb + j]
        Ea -= this.hB[s * nb + j] * cj + 0.5 * c.s[this.b[j]] * (cj * cj - sj * sj)
      }
      this.eFree[q] = Ea
      let En = Ea
      if (ext !== null) for (let j = 0; j < nb; j++) En -= ext[s * nb + j] * x[q * nb + j]
      if (beta !== 0 && y !== null) {
        for (let k = 0; k < nOut; k++) { const d = Math.cos(x[q * nb + outK[k]]) - y[s * nOut + k]; En += 0.5 * beta * d * d }
      }
      E[q] = bad ? NaN : En
    }
  }

  force(list: Int32Array, count: number, x: Float64Array, fo: Float64Array, res: Float64Array): void {
    const at = this.at!, f = this.f64, nb = this.nb, c = this.plan.compact
    this.fn!.field(this.putList(list, count), 8 * count, at.Wt, at.hid, at.fld, 8 * this.NA, 8 * nb)
    const { hB, outK, b } = this, { beta, y, ext } = this.nudge, nOut = outK.length
    for (let e = 0; e < count; e++) {
      const s = list[2 * e], q = list[2 * e + 1], kc = at.kcs / 8 + q * 2 * nb, fl = at.fld / 8 + q * 2 * nb, fq = q * nb
      // dE/dphi_j = sin phi_j (h_j + 2 S_j cos phi_j) + sin phi_j Fx_j - cos phi_j Fy_j, F = sum_a W_aj (c_a, s_a)
      for (let j = 0; j < nb; j++) {
        const cj = f[kc + j], sj = f[kc + nb + j]
        fo[fq + j] = sj * (hB[s * nb + j] + 2 * c.s[b[j]] * cj) + sj * f[fl + j] - cj * f[fl + nb + j]
      }
      if (beta !== 0 && y !== null) {
        for (let k = 0; k < nOut; k++) {
          const p = x[fq + outK[k]]
          fo[fq + outK[k]] -= beta * (Math.cos(p) - y[s * nOut + k]) * Math.sin(p)
        }
      }
      let mx = 0
      for (let j = 0; j < nb; j++) {
        const v = -fo[fq + j] + (ext !== null ? ext[s * nb + j] : 0)
        fo[fq + j] = v
        const a = v < 0 ? -v : v
        if (a > mx) mx = a
      }
      res[q] = mx === mx ? mx : Infinity
    }
  }

  hessian(list: Int32Array, count: number, x: Float64Array, S: Float64Array): void {
    const at = this.at!, f = this.f64, nb = this.nb, c = this.plan.compact
    this.fn!.hessian(this.putList(list, count), 8 * count, at.Wt, at.hid, at.kcs, at.T, at.G, at.GU, 8 * this.NA, 8 * nb)
    const { hB, outK, b } = this, { beta, y } = this.nudge, nOut = outK.length
    for (let e = 0; e < count; e++) {
      const s = list[2 * e], q = list[2 * e + 1], kc = at.kcs / 8 + q * 2 * nb, fl = at.fld / 8 + q * 2 * nb
      const T = at.T / 8 + s * nb * nb, So = s * nb * nb
      for (let j = 0; j < nb; j++) {
        for (let k = 0; k < j; k++) S[So + j * nb + k] = -f[T + j * nb + k]
        // H_BB is diagonal (no coupling inside B): the kept node's field projected on its phase, plus its locking curvature
        const cj = f[kc + j], sj = f[kc + nb + j]
        S[So + j * nb + j] = cj * (f[fl + j] + hB[s * nb + j]) + sj * f[fl + nb + j] + 2 * c.s[b[j]] * (cj * cj - sj * sj) - f[T + j * nb + j]
      }
      if (beta !== 0 && y !== null) {
        for (let k = 0; k < nOut; k++) {
          const j = outK[k], cj = f[kc + j], sj = f[kc + nb + j]
          S[So + j * nb + j] += beta * (sj * sj - (cj - y[s * nOut + k]) * cj)
        }
      }
    }
  }

  alignKept(s: number, from: number, to: number, x: Float64Array): boolean {
    const { ext, beta, y } = this.nudge
    if (ext !== null || (beta !== 0 && y !== null)) return false
    const at = this.at!, f = this.f64, nb = this.nb, fl = at.fld / 8 + from * 2 * nb, c = this.plan.compact
    const { kPh, kZx, kZy, kS } = this
    for (let j = 0; j < nb; j++) {
      kPh[j] = x[from * nb + j]; kZx[j] = f[fl + j] + this.hB[s * nb + j]; kZy[j] = f[fl + nb + j]; kS[j] = c.s[this.b[j]]
    }
    if (!minimiseOimNodes(nb, kPh, kZx, kZy, kS, null, this.kNode)) return false
    for (let j = 0; j < nb; j++) x[to * nb + j] = kPh[j]
    return true
  }

  /** Internal energy (dimensionless) of the free nodes at slot q as last aligned, without nudge or torque; plus the plan's constEnergy it is the full network's. */
  freeEnergy(q: number): number {
    return this.eFree[q]
  }

  /** The free nodes of slot q into a compact state xc (rad): kept phases from x, hidden phases as aligned. */
  compactState(q: number, x: Float64Array, xc: Float64Array): void {
    const { a, b, na, nb, NA, ph } = this
    for (let j = 0; j < nb; j++) xc[b[j]] = x[q * nb + j]
    for (let t = 0; t < na; t++) xc[a[t]] = ph[q * NA + t]
  }
}
