// The 'eliminate' split for OIM networks. A node's energy given the rest is
//   f(phi) = -zx cos phi - zy sin phi - (S/2) cos 2phi - e phi
// with z = (h + sum_j J_j cos phi_j, sum_j J_j sin phi_j) (a clamped input enters as cos = x, sin = 0),
// S its second-harmonic injection and e a frozen torque. Unlike XY's, this single-node function can have
// two minima (the locking term pulls towards 0 and pi), so there is no closed form: each node descends
// to the minimum of its own basin by safeguarded Newton steps from its current phase. The chosen branch
// is then a smooth function of the kept nodes (H_aa > 0), and every state the solver accepts is a state
// of the full network with a lower energy, so it ends at a true minimum of the full energy.
import type { Elimination } from '../solvers/eliminate.ts'
import { oimVectorsInto, type OimNet } from './oim.ts'
import { xyBipartiteSplit } from './xy-elimination.ts'

/** The nudge of the current sample (OimSystem's fields): a frozen torque ext, or the MSE-on-cos cost beta, y. */
export interface OimNudgeSource {
  readonly ext: Float64Array | null
  readonly extOff: number
  readonly beta: number
  readonly y: Float64Array | null
  readonly yOff: number
}

/** Newton iterations per node at most; from a warm start 2-3 suffice (quadratic convergence). */
const NODE_MAX_ITERS = 60
/** Largest Newton step on one node (rad): beyond it the quadratic model of cos terms means little. */
const NODE_MAX_STEP = 0.5
/** A node counts as aligned when |f'| < this times its field scale (|z| + 2|S| + |e|). */
const NODE_GTOL = 1e-14

/** Splits an OIM's free nodes like xyBipartiteSplit (same graph rule, same limit on the kept side). */
export function oimBipartiteSplit(net: OimNet): { a: Uint32Array; b: Uint32Array } | string {
  return xyBipartiteSplit(net, [])
}

/**
 * Minimises f(phi) = -zx cos phi - zy sin phi - (S/2) cos 2phi - e phi from phi0 (rad) by Newton steps
 * with a descent check; writes the minimiser and its f into out[0], out[1]. False when no strict
 * minimum was reached (f'' <= 0 there, or the iterations ran out).
 */
export function minimiseOimNode(zx: number, zy: number, S: number, e: number, phi0: number, out: Float64Array): boolean {
  const scale = Math.sqrt(zx * zx + zy * zy) + 2 * Math.abs(S) + Math.abs(e)
  if (!(scale > 1e-300)) return false
  const gtol = NODE_GTOL * scale
  let phi = phi0, c = Math.cos(phi), s = Math.sin(phi)
  let f = -zx * c - zy * s - 0.5 * S * (c * c - s * s) - e * phi
  for (let it = 0; it < NODE_MAX_ITERS; it++) {
    const g = zx * s - zy * c + 2 * S * s * c - e
    const h = zx * c + zy * s + 2 * S * (c * c - s * s)
    if (Math.abs(g) <= gtol) {
      if (!(h > 0)) return false
      out[0] = phi; out[1] = f
      return true
    }
    // Newton where the node's function is convex, otherwise a fixed step downhill
    let d = h > 0 ? -g / h : (g > 0 ? -NODE_MAX_STEP : NODE_MAX_STEP)
    if (d > NODE_MAX_STEP) d = NODE_MAX_STEP
    else if (d < -NODE_MAX_STEP) d = -NODE_MAX_STEP
    // halve until f does not rise (rounding aside: near the minimum f changes by ~g d / 2 < ulp)
    const slack = 4e-16 * (Math.abs(f) + scale)
    for (let k = 0; ; k++) {
      const p = phi + d, cp = Math.cos(p), sp = Math.sin(p)
      const fp = -zx * cp - zy * sp - 0.5 * S * (cp * cp - sp * sp) - e * p
      if (fp <= f + slack || k >= 40) { phi = p; c = cp; s = sp; f = fp; break }
      d *= 0.5
    }
  }
  return false
}

/** The OIM single-node minimiser over a bipartite split of `net`'s free nodes (edge list only). */
export class OimElimination implements Elimination {
  readonly a: Uint32Array
  readonly b: Uint32Array
  private readonly aIdx: Int32Array
  private readonly bIdx: Int32Array
  /** edges with one A end: that end's A-index, the other node (kept or clamped), the edge */
  private readonly eA: Int32Array
  private readonly eO: Uint32Array
  private readonly eK: Uint32Array
  /** edges between a kept node and a clamped input: B-index, the input, the edge */
  private readonly cB: Int32Array
  private readonly cO: Uint32Array
  private readonly cK: Uint32Array
  private readonly zx: Float64Array
  private readonly zy: Float64Array
  private readonly bx: Float64Array
  private readonly by: Float64Array
  private readonly cs: Float64Array
  private readonly sn: Float64Array
  /** H_AB transposed [nb, na], and it scaled by diag(H_AA)^-1 */
  private readonly hab: Float64Array
  private readonly hg: Float64Array
  private readonly dA: Float64Array
  private readonly one = new Float64Array(2)
  private lastEnergy = NaN

  constructor(readonly net: OimNet, split: { a: Uint32Array; b: Uint32Array }, private readonly nudge: OimNudgeSource) {
    this.a = split.a
    this.b = split.b
    const n = net.n, na = split.a.length, nb = split.b.length
    this.aIdx = new Int32Array(n).fill(-1)
    split.a.forEach((i, t) => { this.aIdx[i] = t })
    this.bIdx = new Int32Array(n).fill(-1)
    split.b.forEach((i, t) => { this.bIdx[i] = t })
    const ea: number[] = [], eo: number[] = [], ek: number[] = [], cb: number[] = [], co: number[] = [], ck: number[] = []
    for (let k = 0; k < net.m; k++) {
      const i = net.ei[k], j = net.ej[k]
      if (this.aIdx[i] >= 0) { ea.push(this.aIdx[i]); eo.push(j); ek.push(k) }
      if (this.aIdx[j] >= 0) { ea.push(this.aIdx[j]); eo.push(i); ek.push(k) }
      if (this.bIdx[i] >= 0 && net.clamped[j]) { cb.push(this.bIdx[i]); co.push(j); ck.push(k) }
      if (this.bIdx[j] >= 0 && net.clamped[i]) { cb.push(this.bIdx[j]); co.push(i); ck.push(k) }
    }
    this.eA = Int32Array.from(ea); this.eO = Uint32Array.from(eo); this.eK = Uint32Array.from(ek)
    this.cB = Int32Array.from(cb); this.cO = Uint32Array.from(co); this.cK = Uint32Array.from(ck)
    this.zx = new Float64Array(na); this.zy = new Float64Array(na)
    this.bx = new Float64Array(nb); this.by = new Float64Array(nb)
    this.cs = new Float64Array(n); this.sn = new Float64Array(n)
    this.hab = new Float64Array(na * nb); this.hg = new Float64Array(na * nb)
    this.dA = new Float64Array(na)
  }

  /** zx, zy of every A node at x (cs, sn filled): h plus the couplings' pull. */
  private aFields(x: Float64Array): void {
    const { net, a, zx, zy, cs, sn, eA, eO, eK } = this
    oimVectorsInto(net, x, 0, cs, sn)
    const w = net.w
    for (let t = 0; t < a.length; t++) { zx[t] = net.h[a[t]]; zy[t] = 0 }
    for (let t = 0; t < eA.length; t++) { const v = w[eK[t]], o = eO[t]; zx[eA[t]] += v * cs[o]; zy[eA[t]] += v * sn[o] }
  }

  /** bx, by of every kept node at x (cs, sn filled): the couplings' pull, without h. */
  private bFields(): void {
    const { net, a, bIdx, bx, by, cs, sn, eA, eO, eK, cB, cO, cK } = this
    const w = net.w
    bx.fill(0); by.fill(0)
    for (let t = 0; t < eA.length; t++) {
      const tb = bIdx[eO[t]]
      if (tb >= 0) { const v = w[eK[t]], ia = a[eA[t]]; bx[tb] += v * cs[ia]; by[tb] += v * sn[ia] }
    }
    for (let t = 0; t < cB.length; t++) { const v = w[cK[t]], o = cO[t]; bx[cB[t]] += v * cs[o]; by[cB[t]] += v * sn[o] }
  }

  align(x: Float64Array): boolean {
    this.aFields(x)
    const { net, a, zx, zy, one } = this
    const ext = this.nudge.ext, eo = this.nudge.extOff
    let E = 0
    for (let t = 0; t < a.length; t++) {
      const i = a[t]
      if (!minimiseOimNode(zx[t], zy[t], net.s[i], ext !== null ? ext[eo + i] : 0, x[i], one)) return false
      x[i] = one[0]
      E += one[1]
    }
    // kept-node terms (cs, sn still hold the kept nodes, which align does not move): the A-B couplings are inside the A nodes' terms; the B-clamped ones are not
    const { b, cs, sn, cB, cO, cK } = this
    for (let t = 0; t < b.length; t++) { const i = b[t], c = cs[i], s = sn[i]; E -= net.h[i] * c + 0.5 * net.s[i] * (c * c - s * s) }
    for (let t = 0; t < cB.length; t++) { const i = b[cB[t]]; E -= net.w[cK[t]] * cs[i] * cs[cO[t]] }
    if (ext !== null) for (let t = 0; t < b.length; t++) E -= ext[eo + b[t]] * x[b[t]]
    const { beta, y, yOff } = this.nudge
    if (beta !== 0 && y !== null) {
      const out = net.outputs
      for (let k = 0; k < out.length; k++) { const d = Math.cos(x[out[k]]) - y[yOff + k]; E += 0.5 * beta * d * d }
    }
    this.lastEnergy = E
    return true
  }

  /** The energy of the state last passed to align (clamped-only terms left out). Valid until the next align. */
  alignedEnergy(): number { return this.lastEnergy }

  /**
   * Moves every kept node to the minimum of its own basin given the eliminated ones (a block
   * coordinate-descent sweep). Free phase only, as for XY: false under a nudge, or when a node fails.
   */
  alignKept(x: Float64Array): boolean {
    const { ext, beta, y } = this.nudge
    if (ext !== null || (beta !== 0 && y !== null)) return false
    oimVectorsInto(this.net, x, 0, this.cs, this.sn)
    this.bFields()
    const { net, b, bx, by, one } = this
    for (let t = 0; t < b.length; t++) {
      const i = b[t]
      if (!minimiseOimNode(net.h[i] + bx[t], by[t], net.s[i], 0, x[i], one)) return false
      x[i] = one[0]
    }
    return true
  }

  /**
   * The Hessian of the reduced energy over the kept nodes at x (A aligned) into the lower triangle of
   * S [nb, nb]: H_BB - H_BA diag(H_AA)^-1 H_AB. False when some H_aa <= 0.
   */
  reducedHessian(x: Float64Array, S: Float64Array): boolean {
    this.aFields(x)
    this.bFields()
    const { net, a, b, bIdx, zx, zy, bx, by, hab, hg, dA, cs, sn, eA, eO, eK } = this
    const na = a.length, nb = b.length, w = net.w
    hab.fill(0)
    for (let t = 0; t < eA.length; t++) {
      const tb = bIdx[eO[t]]
      if (tb < 0) continue
      const ta = eA[t], ia = a[ta], o = eO[t]
      hab[tb * na + ta] -= w[eK[t]] * (cs[ia] * cs[o] + sn[ia] * sn[o])
    }
    S.fill(0, 0, nb * nb)
    for (let t = 0; t < nb; t++) {
      const i = b[t], c = cs[i], s = sn[i]
      S[t * nb + t] = c * (bx[t] + net.h[i]) + s * by[t] + 2 * net.s[i] * (c * c - s * s)
    }
    const { beta, y, yOff } = this.nudge
    if (beta !== 0 && y !== null) {
      const out = net.outputs
      for (let k = 0; k < out.length; k++) {
        const tb = bIdx[out[k]]
        if (tb < 0) continue
        const c = cs[out[k]], s = sn[out[k]]
        S[tb * nb + tb] += beta * (s * s - (c - y[yOff + k]) * c)
      }
    }
    for (let t = 0; t < na; t++) {
      const i = a[t], c = cs[i], s = sn[i]
      const d = c * zx[t] + s * zy[t] + 2 * net.s[i] * (c * c - s * s)
      if (!(d > 0)) return false
      dA[t] = 1 / d
    }
    for (let j = 0; j < nb; j++) { const o = j * na; for (let t = 0; t < na; t++) hg[o + t] = hab[o + t] * dA[t] }
    for (let j = 0; j < nb; j++) {
      const oj = j * na
      for (let k = 0; k <= j; k++) {
        const ok = k * na
        let acc = 0
        for (let t = 0; t < na; t++) acc += hab[oj + t] * hg[ok + t]
        S[j * nb + k] -= acc
      }
    }
    return true
  }
}
