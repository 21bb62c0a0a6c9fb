// The batched elimination (BatchElimination) of a three-layer XY network on its folded plan: the
// compact free nodes are one dense block W between the hidden layer (eliminated, A) and the outputs
// (kept, B), each with a per-sample bias field (bias + folded inputs). The passes over W run as f64x2
// WebAssembly kernels over the batch (xy-lockstep-wasm.ts); the kept side's few nodes (force, energy,
// nudge, the Newton system) stay in JS. The hidden side is carried as unit vectors (cos, sin) = z / |z|,
// so an alignment needs no trig: the phase (one atan2 per node) is taken once, for the final state.
import type { BatchElimination } from '../solvers/eliminate-lockstep.ts'
import type { DenseXyPlan } from './dense-xy.ts'
import { lockstepModule, type LockstepExports } from './xy-lockstep-wasm.ts'

const PAGE = 65536
const TWO_PI = 2 * Math.PI
/** cos of the output-target angle below which the log-cos nudge counts as singular (XySystem's ANTIPODE) */
const ANTIPODE = -Math.cos(1e-3)

/** The nudge of one relaxation batch on the kept side (per-sample rows). */
export interface LockstepNudge {
  /** log-cos cost strength and targets [B, nOut] (rad), or beta 0 */
  beta: number
  tau: Float64Array | null
  /** frozen torque on the kept nodes [B, nb], and the outputs' start phases [B, nOut] it slips from */
  ext: Float64Array | null
  slipRef: Float64Array | null
}

/** Byte addresses of the arrays in the kernels' memory. */
interface Layout { Wt: number; emask: number; hA: number; kcs: number; hid: number; eOut: number; fld: number; T: number; G: number; GU: number; list: number }

export class XyLockstep implements BatchElimination {
  readonly nb: number
  readonly na: number
  /** first compact id of the kept side and of the eliminated side (each side is contiguous) */
  readonly k0: number
  readonly a0: number
  /** kept index of each output */
  private readonly outK: Int32Array
  /** A side padded to a multiple of 4 nodes (two f64x2 lanes, unrolled twice) */
  private readonly NA: number
  private cap = 0
  private fn: LockstepExports | null = null
  private at: Layout | null = null
  private mem: ArrayBuffer | null = null
  private f64 = new Float64Array(0)
  private i32 = new Int32Array(0)
  private hxB = new Float64Array(0)
  private hyB = new Float64Array(0)
  private nudge: LockstepNudge = { beta: 0, tau: null, ext: null, slipRef: null }
  private B = 0

  private constructor(private readonly plan: DenseXyPlan, private readonly mod: WebAssembly.Module, kept: 'a' | 'b') {
    const s = plan.stepBlocks[0], { a, b } = s.blk
    this.k0 = kept === 'a' ? s.aL : s.bL
    this.a0 = kept === 'a' ? s.bL : s.aL
    this.nb = kept === 'a' ? a : b
    this.na = kept === 'a' ? b : a
    this.NA = 4 * Math.ceil(this.na / 4)
    this.outK = Int32Array.from(plan.compact.outputs, (o) => o - this.k0)
  }

  /**
   * The lockstep elimination of a plan, or why there is none: it needs exactly one free-free dense
   * block that holds every compact node and every coupling, with the outputs on one side (a layered
   * net with one hidden layer), and WebAssembly SIMD.
   */
  static build(plan: DenseXyPlan): XyLockstep | string {
    const c = plan.compact
    if (plan.stepBlocks.length !== 1) return `lockstep needs one free-free dense block (found ${plan.stepBlocks.length})`
    if (c.m !== 0) return `lockstep needs every free-free coupling in the dense block (${c.m} are not)`
    const s = plan.stepBlocks[0], { a, b } = s.blk
    if (a + b !== c.n) return 'lockstep needs every free node in the dense block'
    const inA = (o: number) => o >= s.aL && o < s.aL + a
    const outs = [...c.outputs]
    const kept = outs.every(inA) ? 'a' : outs.every((o) => !inA(o)) ? 'b' : null
    if (kept === null || outs.length === 0) return 'lockstep needs all outputs on one side of the dense block'
    const mod = lockstepModule()
    if (!mod) return 'this engine has no WebAssembly SIMD'
    return new XyLockstep(plan, mod, kept)
  }

  /** Grows the kernels' memory to B samples (a new memory and instance; views are re-made). */
  private ensure(B: number): void {
    if (B <= this.cap && this.fn) return
    const { nb, NA } = this, NA8 = 8 * NA, nbB = 8 * nb
    const r16 = (x: number) => 16 * Math.ceil(x / 16)
    let top = 0
    const take = (bytes: number) => { const at = top; top += r16(bytes); return at }
    const at: Layout = {
      Wt: take(nb * NA8), emask: take(NA8), hA: take(B * 2 * NA8), kcs: take(2 * B * 2 * nbB), hid: take(2 * B * 3 * NA8),
      eOut: take(2 * B * 8), fld: take(2 * B * 2 * nbB), T: take(B * nb * nbB), G: take(nb * NA8), GU: take(nb * NA8), list: take(2 * B * 8),
    }
    const pages = Math.ceil(top / PAGE)
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages })
    this.fn = new WebAssembly.Instance(this.mod, { env: { memory } }).exports as unknown as LockstepExports
    this.mem = memory.buffer
    this.f64 = new Float64Array(this.mem)
    this.i32 = new Int32Array(this.mem)
    this.at = at
    // padding nodes: a unit field and no couplings (finite, no force on anyone), no energy
    const em = new BigInt64Array(this.mem, at.emask, NA)
    for (let t = 0; t < NA; t++) em[t] = t < this.na ? -1n : 0n
    this.hxB = new Float64Array(B * nb)
    this.hyB = new Float64Array(B * nb)
    this.cap = B
  }

  /**
   * Takes the couplings and the per-sample fields of the plan's last fold (samples first .. first+B-1,
   * as rows 0 .. B-1) and their nudge (rows 0 .. B-1); call before relaxEliminateBatch.
   */
  load(B: number, nudge: LockstepNudge, first = 0): void {
    this.ensure(B)
    this.B = B
    this.nudge = nudge
    const at = this.at!, f = this.f64, { nb, na, NA, plan } = this
    const s = plan.stepBlocks[0], W = s.W, bb = s.blk.b, keptRows = this.k0 === s.aL
    const wt = at.Wt / 8
    for (let j = 0; j < nb; j++) {
      const o = wt + j * NA
      if (keptRows) for (let a = 0; a < na; a++) f[o + a] = W[j * bb + a]
      else for (let a = 0; a < na; a++) f[o + a] = W[a * bb + j]
      f.fill(0, o + na, o + NA)
    }
    for (let r = 0; r < B; r++) {
      const h = at.hA / 8 + r * 2 * NA
      this.splitField(first + r, h)
      f.fill(1, h + na, h + NA)
      f.fill(0, h + NA + na, h + 2 * NA)
      plan.sampleField(first + r, this.k0, nb, this.hxB, this.hyB, r * nb)
    }
  }

  /** Writes the A-side field of sample r of the fold as two rows (hx, then hy) at float offset h. */
  private splitField(r: number, h: number): void {
    const tmpX = this.scratchX(), tmpY = this.scratchY()
    this.plan.sampleField(r, this.a0, this.na, tmpX, tmpY, 0)
    this.f64.set(tmpX.subarray(0, this.na), h)
    this.f64.set(tmpY.subarray(0, this.na), h + this.NA)
  }

  private sx = new Float64Array(0)
  private sy = new Float64Array(0)
  private scratchX(): Float64Array { if (this.sx.length < this.na) this.sx = new Float64Array(this.na); return this.sx }
  private scratchY(): Float64Array { if (this.sy.length < this.na) this.sy = new Float64Array(this.na); return this.sy }

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
    const at = this.at!, f = this.f64, nb = this.nb
    for (let e = 0; e < count; e++) {
      const q = list[2 * e + 1], o = at.kcs / 8 + q * 2 * nb
      for (let j = 0; j < nb; j++) { const v = x[q * nb + j]; f[o + j] = Math.cos(v); f[o + nb + j] = Math.sin(v) }
    }
    this.fn!.align(this.putList(list, count), 8 * count, at.Wt, at.hA, at.kcs, at.hid, at.eOut, at.emask, 8 * this.NA, 8 * nb)
    for (let e = 0; e < count; e++) {
      const s = list[2 * e], q = list[2 * e + 1]
      E[q] = f[at.eOut / 8 + q] + this.keptEnergy(s, q, x)
    }
  }

  /** Energy terms of the kept nodes: their bias field, the frozen torque, the log-cos cost. */
  private keptEnergy(s: number, q: number, x: Float64Array): number {
    const nb = this.nb, f = this.f64, o = this.at!.kcs / 8 + q * 2 * nb, { hxB, hyB } = this
    let E = 0
    for (let j = 0; j < nb; j++) E -= hxB[s * nb + j] * f[o + j] + hyB[s * nb + j] * f[o + nb + j]
    const { ext, beta, tau } = this.nudge
    if (ext !== null) for (let j = 0; j < nb; j++) E -= ext[s * nb + j] * x[q * nb + j]
    if (beta !== 0 && tau !== null) {
      const outK = this.outK, nOut = outK.length
      for (let k = 0; k < nOut; k++) E -= beta * Math.log(1 + Math.cos(x[q * nb + outK[k]] - tau[s * nOut + k]))
    }
    return E
  }

  force(list: Int32Array, count: number, x: Float64Array, fo: Float64Array, res: Float64Array): void {
    const at = this.at!, f = this.f64, nb = this.nb
    this.fn!.field(this.putList(list, count), 8 * count, at.Wt, at.hid, at.fld, 8 * this.NA, 8 * nb)
    const { hxB, hyB, outK } = this, { ext, beta, tau, slipRef } = this.nudge, nOut = outK.length
    for (let e = 0; e < count; e++) {
      const s = list[2 * e], q = list[2 * e + 1], kc = at.kcs / 8 + q * 2 * nb, fl = at.fld / 8 + q * 2 * nb, fq = q * nb
      // dE/dphi_j = sin phi_j (hx_j + sum_a W c_a) - cos phi_j (hy_j + sum_a W s_a)
      for (let j = 0; j < nb; j++) {
        const bx = hxB[s * nb + j] + f[fl + j], by = hyB[s * nb + j] + f[fl + nb + j]
        fo[fq + j] = f[kc + nb + j] * bx - f[kc + j] * by
      }
      let singular = false
      if (beta !== 0 && tau !== null) {
        for (let k = 0; k < nOut; k++) {
          const dd = x[fq + outK[k]] - tau[s * nOut + k]
          // an output at the antipode of its target sits on the log-cos singularity
          if (Math.cos(dd) < ANTIPODE) singular = true
          fo[fq + outK[k]] += beta * Math.tan(0.5 * dd)
        }
      }
      if (ext !== null && slipRef !== null) {
        // a torque beyond an output's locking range: once it has turned by more than pi there is no equilibrium
        for (let k = 0; k < nOut; k++) { const dd = x[fq + outK[k]] - slipRef[s * nOut + k]; if (dd > Math.PI || dd < -Math.PI) singular = true }
      }
      let mx = 0
      for (let j = 0; j < nb; j++) {
        const v = -fo[fq + j] + (ext !== null ? ext[s * nb + j] : 0)
        fo[fq + j] = v
        const a = v < 0 ? -v : v
        if (a > mx) mx = a
      }
      res[q] = singular || mx !== mx ? Infinity : mx
    }
  }

  hessian(list: Int32Array, count: number, x: Float64Array, S: Float64Array): void {
    const at = this.at!, f = this.f64, nb = this.nb
    this.fn!.hessian(this.putList(list, count), 8 * count, at.Wt, at.hid, at.kcs, at.T, at.G, at.GU, 8 * this.NA, 8 * nb)
    const { hxB, hyB, outK } = this, { beta, tau } = this.nudge, nOut = outK.length
    for (let e = 0; e < count; e++) {
      const s = list[2 * e], q = list[2 * e + 1], kc = at.kcs / 8 + q * 2 * nb, fl = at.fld / 8 + q * 2 * nb
      const T = at.T / 8 + s * nb * nb, So = s * nb * nb
      for (let j = 0; j < nb; j++) {
        for (let k = 0; k < j; k++) S[So + j * nb + k] = -f[T + j * nb + k]
        // H_BB is diagonal (no coupling inside B): the kept node's field projected on its phase
        const bx = hxB[s * nb + j] + f[fl + j], by = hyB[s * nb + j] + f[fl + nb + j]
        S[So + j * nb + j] = f[kc + j] * bx + f[kc + nb + j] * by - f[T + j * nb + j]
      }
      if (beta !== 0 && tau !== null) {
        for (let k = 0; k < nOut; k++) {
          const j = outK[k]
          S[So + j * nb + j] += beta / (1 + Math.cos(x[q * nb + j] - tau[s * nOut + k]))
        }
      }
    }
  }

  alignKept(s: number, from: number, to: number, x: Float64Array): boolean {
    const { ext, beta, tau } = this.nudge
    if (ext !== null || (beta !== 0 && tau !== null)) return false
    const at = this.at!, f = this.f64, nb = this.nb, fl = at.fld / 8 + from * 2 * nb, { hxB, hyB } = this
    for (let j = 0; j < nb; j++) {
      const bx = hxB[s * nb + j] + f[fl + j], by = hyB[s * nb + j] + f[fl + nb + j]
      if (!(bx * bx + by * by > 1e-300)) return false
      const th = Math.atan2(by, bx)
      x[to * nb + j] = th + TWO_PI * Math.floor((x[from * nb + j] - th) / TWO_PI + 0.5)
    }
    return true
  }

  /**
   * Internal energy of the free nodes of sample s at slot q (last aligned there), without the nudge: the
   * hidden side's -sum |z_a| (its bias, folded inputs and couplings) plus the kept nodes' own bias field.
   * The compact network's energy (DenseXyPlan.energy less clampedEnergy), from the last alignment.
   */
  freeEnergy(s: number, q: number): number {
    const nb = this.nb, f = this.f64, at = this.at!, o = at.kcs / 8 + q * 2 * nb, { hxB, hyB } = this
    let E = f[at.eOut / 8 + q]
    for (let j = 0; j < nb; j++) E -= hxB[s * nb + j] * f[o + j] + hyB[s * nb + j] * f[o + nb + j]
    return E
  }

  /** The hidden phases of slot q into xc[a0 ..] (rad): each the image of its aligned angle nearest xc's current value. */
  hiddenPhases(q: number, xc: Float64Array): void {
    const at = this.at!, f = this.f64, NA = this.NA, hc = at.hid / 8 + q * 3 * NA, a0 = this.a0
    for (let a = 0; a < this.na; a++) {
      const th = Math.atan2(f[hc + NA + a], f[hc + a])
      xc[a0 + a] = th + TWO_PI * Math.floor((xc[a0 + a] - th) / TWO_PI + 0.5)
    }
  }
}
