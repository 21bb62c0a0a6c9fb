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
import { sinCosInto } from './sincos.ts'
import { SinCosWasm } from './xy-wasm.ts'
import { xyBipartiteSplit } from './xy-elimination.ts'
import { subtractDiagonalSchur } from './schur-update.ts'

/** The nudge of the current sample (OimSystem's fields): a frozen torque ext, or the MSE-on-cos cost beta, y. */
export interface OimNudgeSource {
  readonly ext: Float64Array | null
  readonly extOff: number
  readonly beta: number
  readonly y: Float64Array | null
  readonly yOff: number
}

/** Rounds of minimiseOimNodes at most (a Newton step or a halving each); from a warm start 2-3 suffice. */
const NODE_MAX_ROUNDS = 200
/** Largest Newton step on one node (rad): beyond it the quadratic model of cos terms means little. */
const NODE_MAX_STEP = 0.5

/** One node's Newton step (radians) from slope g and curvature h: downhill at full length where h <= 0, clipped to NODE_MAX_STEP. */
function nodeStep(g: number, h: number): number {
  const dt = h > 0 ? -g / h : (g > 0 ? -NODE_MAX_STEP : NODE_MAX_STEP)
  return dt > NODE_MAX_STEP ? NODE_MAX_STEP : dt < -NODE_MAX_STEP ? -NODE_MAX_STEP : dt
}
/** A node counts as aligned when |f'| < this times its field scale (|z| + 2|S| + |e|). */
const NODE_GTOL = 1e-14

/** Splits an OIM's free nodes like xyBipartiteSplit (same graph rule, same limit on the kept side). */
export function oimBipartiteSplit(net: OimNet): { a: Uint32Array; b: Uint32Array } | string {
  return xyBipartiteSplit(net, [])
}

/** Scratch of minimiseOimNodes for up to `size` nodes. */
export class OimNodeScratch {
  readonly c: Float64Array; readonly s: Float64Array; readonly f: Float64Array; readonly d: Float64Array
  readonly p: Float64Array; readonly cp: Float64Array; readonly sp: Float64Array
  /** 0 = converged, 1 = needs a new step, 2 = a trial step pending */
  readonly state: Uint8Array
  constructor(readonly size: number) {
    const F = () => new Float64Array(size)
    this.c = F(); this.s = F(); this.f = F(); this.d = F(); this.p = F(); this.cp = F(); this.sp = F()
    this.state = new Uint8Array(size)
  }
}

/**
 * Moves each of N independent nodes to the minimum of its own basin of
 *   f_t(phi) = -zx_t cos phi - zy_t sin phi - (S_t/2) cos 2phi - e_t phi
 * starting from ph[t] (rad, in place), by Newton steps (a fixed step downhill where f'' <= 0, at most
 * NODE_MAX_STEP, halved until f does not rise). All nodes advance together so that the sines and
 * cosines of a round are one sinCosInto pass. The minimum values f_t land in w.f. False when some node
 * ends without a strict minimum (f'' <= 0) or runs out of rounds.
 */
export function minimiseOimNodes(N: number, ph: Float64Array, zx: Float64Array, zy: Float64Array, S: Float64Array, e: Float64Array | null, w: OimNodeScratch): boolean {
  const { c, s, f, d, p, cp, sp, state } = w
  sinCosInto(ph, 0, N, c, s)
  for (let t = 0; t < N; t++) {
    const et = e === null ? 0 : e[t]
    f[t] = -zx[t] * c[t] - zy[t] * s[t] - 0.5 * S[t] * (c[t] * c[t] - s[t] * s[t]) - et * ph[t]
    state[t] = 1
  }
  for (let round = 0; round < NODE_MAX_ROUNDS; round++) {
    let open = 0
    for (let t = 0; t < N; t++) {
      if (state[t] !== 1) continue
      const ct = c[t], st = s[t], St = S[t], et = e === null ? 0 : e[t]
      const g = zx[t] * st - zy[t] * ct + 2 * St * st * ct - et
      const h = zx[t] * ct + zy[t] * st + 2 * St * (ct * ct - st * st)
      const scale = Math.sqrt(zx[t] * zx[t] + zy[t] * zy[t]) + 2 * Math.abs(St) + Math.abs(et)
      if (!(scale > 1e-300)) return false
      if (Math.abs(g) <= NODE_GTOL * scale) {
        if (!(h > 0)) return false
        state[t] = 0
        continue
      }
      d[t] = nodeStep(g, h)
      state[t] = 2
    }
    for (let t = 0; t < N; t++) p[t] = state[t] === 2 ? ph[t] + d[t] : ph[t]
    sinCosInto(p, 0, N, cp, sp)
    for (let t = 0; t < N; t++) {
      if (state[t] !== 2) continue
      open++
      const et = e === null ? 0 : e[t], pc = cp[t], ps = sp[t]
      const fp = -zx[t] * pc - zy[t] * ps - 0.5 * S[t] * (pc * pc - ps * ps) - et * p[t]
      // rounding aside: next to the minimum f changes by ~g d / 2, below an ulp of f
      const slack = 4e-16 * (Math.abs(f[t]) + Math.abs(zx[t]) + Math.abs(zy[t]) + Math.abs(S[t]) + Math.abs(et))
      if (fp <= f[t] + slack || Math.abs(d[t]) < 1e-15) {
        ph[t] = p[t]; c[t] = pc; s[t] = ps; f[t] = fp
        state[t] = 1
      } else d[t] *= 0.5
    }
    if (open === 0) return true
  }
  return false
}

/** Scratch of minimiseOimNodeList: per-node arrays over `size` node ids, per-position arrays for the active list. */
export class OimNodeListScratch {
  readonly f: Float64Array; readonly d: Float64Array
  /** each node's field scale |z| + 2|S| (fixed while it iterates) */
  readonly scale: Float64Array
  /** f'' at each converged node's minimum (its H_aa) */
  readonly hh: Float64Array
  /** 0 = converged, 1 = needs a new step, 2 = a trial step pending, 3 = failed (no strict minimum, no field, out of rounds) */
  readonly state: Uint8Array
  readonly act: Int32Array; readonly P: Float64Array; readonly CP: Float64Array; readonly SP: Float64Array
  /** the trial phases' trig pass in WebAssembly (P, CP, SP are its views), or null: sinCosInto, the same bits */
  readonly trig: SinCosWasm | null
  /** wasm: use the f64x2 trig pass where WebAssembly SIMD is available */
  constructor(readonly size: number, wasm = false) {
    const F = () => new Float64Array(size)
    this.trig = wasm && size > 0 ? SinCosWasm.create(size) : null
    this.f = F(); this.d = F(); this.scale = F(); this.hh = F()
    if (this.trig) { this.P = this.trig.phi; this.CP = this.trig.cs; this.SP = this.trig.sn } else { this.P = F(); this.CP = F(); this.SP = F() }
    this.state = new Uint8Array(size)
    this.act = new Int32Array(size)
  }
}

/**
 * minimiseOimNodes (no torque) for the K nodes ids[0..K) of flat per-node arrays (ph, zx, zy, S and
 * c, sn = cos, sin of ph on entry): every node takes the same steps as there, so it ends with the
 * same bits. Two differences: only the nodes still iterating cost work in a round (the trial phases
 * are gathered for one sinCosInto pass), and a node that fails is marked (state 3) without stopping
 * the others. On exit ph, c, sn hold each minimum, w.f its value and w.hh its curvature. Returns the
 * number of failed nodes.
 */
export function minimiseOimNodeList(K: number, ids: Int32Array, ph: Float64Array, zx: Float64Array, zy: Float64Array, S: Float64Array, c: Float64Array, sn: Float64Array, w: OimNodeListScratch): number {
  const { f, d, hh, state, act, P, CP, SP, scale } = w
  for (let k = 0; k < K; k++) {
    const t = ids[k], ct = c[t], st = sn[t]
    f[t] = -zx[t] * ct - zy[t] * st - 0.5 * S[t] * (ct * ct - st * st)
    scale[t] = Math.sqrt(zx[t] * zx[t] + zy[t] * zy[t]) + 2 * Math.abs(S[t])
    state[t] = 1
    act[k] = t
  }
  let live = K, failed = 0
  for (let round = 0; round < NODE_MAX_ROUNDS && live > 0; round++) {
    // new steps where needed; every node still iterating goes to the trial list (act is compacted in place)
    let nt = 0
    for (let k = 0; k < live; k++) {
      const t = act[k]
      if (state[t] === 1) {
        const ct = c[t], st = sn[t], St = S[t]
        const g = zx[t] * st - zy[t] * ct + 2 * St * st * ct
        const h = zx[t] * ct + zy[t] * st + 2 * St * (ct * ct - st * st)
        const sc = scale[t]
        if (!(sc > 1e-300)) { state[t] = 3; failed++; continue }
        if (Math.abs(g) <= NODE_GTOL * sc) {
          if (h > 0) { state[t] = 0; hh[t] = h } else { state[t] = 3; failed++ }
          continue
        }
        d[t] = nodeStep(g, h)
        state[t] = 2
      }
      act[nt] = t
      P[nt] = ph[t] + d[t]
      nt++
    }
    if (w.trig) w.trig.run(nt)
    else sinCosInto(P, 0, nt, CP, SP)
    for (let k = 0; k < nt; k++) {
      const t = act[k], pc = CP[k], ps = SP[k]
      const fp = -zx[t] * pc - zy[t] * ps - 0.5 * S[t] * (pc * pc - ps * ps)
      const slack = 4e-16 * (Math.abs(f[t]) + Math.abs(zx[t]) + Math.abs(zy[t]) + Math.abs(S[t]))
      if (fp <= f[t] + slack || Math.abs(d[t]) < 1e-15) {
        ph[t] = P[k]; c[t] = pc; sn[t] = ps; f[t] = fp
        state[t] = 1
      } else d[t] *= 0.5
    }
    live = nt
  }
  for (let k = 0; k < live; k++) { state[act[k]] = 3; failed++ } // out of rounds
  return failed
}

/** The OIM single-node minimiser over a bipartite split of `net`'s free nodes. */
export class OimElimination implements Elimination {
  readonly a: Uint32Array
  readonly b: Uint32Array
  private readonly bIdx: Int32Array
  /**
   * A-B couplings as a dense matrix wab [na, nb] when they fill at least a quarter of it (a layered
   * 500-10 pair fills all of it): contiguous rows instead of index lookups per edge. abPos/abEdge say
   * where each edge goes, re-read by prepare() since the couplings change between relaxations.
   */
  private readonly wab: Float64Array | null
  private readonly abPos: Uint32Array
  private readonly abEdge: Uint32Array
  /** other edges with one A end (to a clamped input, or to B when not dense): A-index, other node, edge */
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
  /** phases, S and torques of the A nodes (and of the B nodes in alignKept), gathered */
  private readonly ph: Float64Array
  private readonly sv: Float64Array
  private readonly ev: Float64Array
  private readonly node: OimNodeScratch
  /** cos, sin of the kept nodes, gathered */
  private readonly bc: Float64Array
  private readonly bs: Float64Array
  /** H_AB transposed [nb, na], and it scaled by diag(H_AA)^-1 */
  private readonly hab: Float64Array
  private readonly hg: Float64Array
  private readonly dA: Float64Array
  private lastEnergy = NaN

  constructor(readonly net: OimNet, split: { a: Uint32Array; b: Uint32Array }, private readonly nudge: OimNudgeSource) {
    this.a = split.a
    this.b = split.b
    const n = net.n, na = split.a.length, nb = split.b.length
    const aIdx = new Int32Array(n).fill(-1)
    split.a.forEach((i, t) => { aIdx[i] = t })
    this.bIdx = new Int32Array(n).fill(-1)
    split.b.forEach((i, t) => { this.bIdx[i] = t })
    let nab = 0
    for (let k = 0; k < net.m; k++) {
      const i = net.ei[k], j = net.ej[k]
      if ((aIdx[i] >= 0 && this.bIdx[j] >= 0) || (aIdx[j] >= 0 && this.bIdx[i] >= 0)) nab++
    }
    const dense = nab > 0 && 4 * nab >= na * nb
    this.wab = dense ? new Float64Array(na * nb) : null
    const ea: number[] = [], eo: number[] = [], ek: number[] = [], cb: number[] = [], co: number[] = [], ck: number[] = [], ap: number[] = [], ae: number[] = []
    for (let k = 0; k < net.m; k++) {
      const i = net.ei[k], j = net.ej[k]
      for (const [u, v] of [[i, j], [j, i]]) {
        if (aIdx[u] >= 0) {
          if (dense && this.bIdx[v] >= 0) { ap.push(aIdx[u] * nb + this.bIdx[v]); ae.push(k) }
          else { ea.push(aIdx[u]); eo.push(v); ek.push(k) }
        }
        if (this.bIdx[u] >= 0 && net.clamped[v]) { cb.push(this.bIdx[u]); co.push(v); ck.push(k) }
      }
    }
    this.abPos = Uint32Array.from(ap); this.abEdge = Uint32Array.from(ae)
    this.eA = Int32Array.from(ea); this.eO = Uint32Array.from(eo); this.eK = Uint32Array.from(ek)
    this.cB = Int32Array.from(cb); this.cO = Uint32Array.from(co); this.cK = Uint32Array.from(ck)
    this.zx = new Float64Array(na); this.zy = new Float64Array(na)
    this.bx = new Float64Array(nb); this.by = new Float64Array(nb)
    this.bc = new Float64Array(nb); this.bs = new Float64Array(nb)
    this.cs = new Float64Array(n); this.sn = new Float64Array(n)
    const nm = Math.max(na, nb)
    this.ph = new Float64Array(nm); this.sv = new Float64Array(nm); this.ev = new Float64Array(nm)
    this.node = new OimNodeScratch(nm)
    this.hab = new Float64Array(na * nb); this.hg = new Float64Array(na * nb)
    this.dA = new Float64Array(na)
    this.prepare()
  }

  /** Re-reads the A-B couplings into the dense matrix (the network's couplings change between relaxations). */
  prepare(): void {
    const W = this.wab
    if (W === null) return
    W.fill(0)
    const pos = this.abPos, ed = this.abEdge, w = this.net.w
    for (let t = 0; t < pos.length; t++) W[pos[t]] += w[ed[t]]
  }

  /** cs, sn of every node at x; zx, zy of every A node: h plus the couplings' pull. */
  private aFields(x: Float64Array): void {
    const { net, a, b, zx, zy, cs, sn, eA, eO, eK, bc, bs } = this
    oimVectorsInto(net, x, 0, cs, sn)
    const w = net.w, na = a.length, nb = b.length
    for (let t = 0; t < na; t++) { zx[t] = net.h[a[t]]; zy[t] = 0 }
    for (let t = 0; t < eA.length; t++) { const v = w[eK[t]], o = eO[t]; zx[eA[t]] += v * cs[o]; zy[eA[t]] += v * sn[o] }
    const W = this.wab
    if (W === null) return
    for (let j = 0; j < nb; j++) { bc[j] = cs[b[j]]; bs[j] = sn[b[j]] }
    for (let t = 0; t < na; t++) {
      const o = t * nb
      let sx = 0, sy = 0
      for (let j = 0; j < nb; j++) { const v = W[o + j]; sx += v * bc[j]; sy += v * bs[j] }
      zx[t] += sx; zy[t] += sy
    }
  }

  /** bx, by of every kept node at x (cs, sn filled): the couplings' pull, without h. */
  private bFields(): void {
    const { net, a, bIdx, bx, by, cs, sn, eA, eO, eK, cB, cO, cK } = this
    const w = net.w, na = a.length, nb = this.b.length
    bx.fill(0); by.fill(0)
    for (let t = 0; t < eA.length; t++) {
      const tb = bIdx[eO[t]]
      if (tb >= 0) { const v = w[eK[t]], ia = a[eA[t]]; bx[tb] += v * cs[ia]; by[tb] += v * sn[ia] }
    }
    for (let t = 0; t < cB.length; t++) { const v = w[cK[t]], o = cO[t]; bx[cB[t]] += v * cs[o]; by[cB[t]] += v * sn[o] }
    const W = this.wab
    if (W === null) return
    for (let t = 0; t < na; t++) {
      const o = t * nb, c = cs[a[t]], s = sn[a[t]]
      for (let j = 0; j < nb; j++) { const v = W[o + j]; bx[j] += v * c; by[j] += v * s }
    }
  }

  align(x: Float64Array): boolean {
    this.aFields(x)
    const { net, a, zx, zy, ph, sv, ev, node } = this
    const ext = this.nudge.ext, eo = this.nudge.extOff, na = a.length
    for (let t = 0; t < na; t++) { const i = a[t]; ph[t] = x[i]; sv[t] = net.s[i]; ev[t] = ext !== null ? ext[eo + i] : 0 }
    if (!minimiseOimNodes(na, ph, zx, zy, sv, ext !== null ? ev : null, node)) return false
    let E = 0
    for (let t = 0; t < na; t++) { x[a[t]] = ph[t]; E += node.f[t] }
    // kept-node terms (cs, sn still hold the kept nodes, which align does not move): the A-B couplings
    // are inside the A nodes' terms; the B-clamped ones are not
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
    const { net, b, bx, by, ph, sv, node } = this
    const nb = b.length
    for (let t = 0; t < nb; t++) { const i = b[t]; ph[t] = x[i]; sv[t] = net.s[i]; bx[t] += net.h[i] }
    if (!minimiseOimNodes(nb, ph, bx, by, sv, null, node)) return false
    for (let t = 0; t < nb; t++) x[b[t]] = ph[t]
    return true
  }

  /**
   * The Hessian of the reduced energy over the kept nodes at x (A aligned) into the lower triangle of
   * S [nb, nb]: H_BB - H_BA diag(H_AA)^-1 H_AB. False when some H_aa <= 0.
   */
  reducedHessian(x: Float64Array, S: Float64Array): boolean {
    this.aFields(x)
    this.bFields()
    const { net, a, b, bIdx, zx, zy, bx, by, hab, hg, dA, cs, sn, eA, eO, eK, bc, bs } = this
    const na = a.length, nb = b.length, w = net.w
    hab.fill(0)
    for (let t = 0; t < eA.length; t++) {
      const tb = bIdx[eO[t]]
      if (tb < 0) continue
      const ta = eA[t], ia = a[ta], o = eO[t]
      hab[tb * na + ta] -= w[eK[t]] * (cs[ia] * cs[o] + sn[ia] * sn[o])
    }
    const W = this.wab
    if (W !== null) {
      for (let t = 0; t < na; t++) {
        const o = t * nb, c = cs[a[t]], s = sn[a[t]]
        for (let j = 0; j < nb; j++) hab[j * na + t] -= W[o + j] * (c * bc[j] + s * bs[j])
      }
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
    subtractDiagonalSchur(hab, dA, hg, S, na, nb)
    return true
  }
}
