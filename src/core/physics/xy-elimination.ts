// The bipartite split of an XY network's free nodes for the 'eliminate' solver, and the closed-form
// single-node minimiser. Node a's energy given the rest is -|z_a| cos(phi_a - arg z_a) - e_a phi_a
// with z_a = (its bias field) + sum_j W_aj e^{i phi_j} and e_a a frozen torque, so its minimiser is
// arg z_a + asin(e_a / |z_a|): one atan2 per node, and H_aa = sqrt(|z_a|^2 - e_a^2) > 0 there.
import { ELIMINATE_MAX_KEPT, type Elimination } from '../solvers/eliminate.ts'
import { sinCosInto } from './sincos.ts'
import type { XyNet } from './xy.ts'
import { subtractDiagonalSchur } from './schur-update.ts'

/** A dense block of free-free couplings W [a, b] between nodes aL.. and bL.. (ids of the system). */
export interface FreeBlock { readonly aL: number; readonly bL: number; readonly blk: { readonly a: number; readonly b: number }; readonly W: Float64Array }

/** The nudge of the current sample (XySystem's fields): a frozen torque ext, or a log-cos cost beta, tau. */
export interface NudgeSource {
  readonly ext: Float64Array | null
  readonly extOff: number
  readonly beta: number
  readonly tau: Float64Array | null
  readonly tauOff: number
}

const TWO_PI = 2 * Math.PI

/**
 * Splits the free nodes of `net` (plus the free-free dense `blocks`) into two classes with no
 * coupling inside either, by union-find with parity. Returns the split, or the reason there is none.
 * The outputs (which a nudge acts on) are kept; in a connected part without outputs the larger class
 * is eliminated.
 */
export function xyBipartiteSplit(net: Pick<XyNet, 'n' | 'm' | 'ei' | 'ej' | 'clamped' | 'outputs'>, blocks: readonly FreeBlock[]): { a: Uint32Array; b: Uint32Array } | string {
  const { n, m, ei, ej, clamped } = net
  // union-find with parity: par[i] = i's class relative to parent[i]; trees stay shallow by size
  const parent = new Int32Array(n), par = new Uint8Array(n), rank = new Int32Array(n).fill(1)
  for (let i = 0; i < n; i++) parent[i] = i
  const find = (i: number): number => { while (parent[i] !== i) i = parent[i]; return i }
  const parity = (i: number): number => { let p = 0; for (; parent[i] !== i; i = parent[i]) p ^= par[i]; return p }
  let clash: [number, number] | null = null
  const link = (i: number, j: number): void => {
    let ri = find(i), rj = find(j)
    const p = parity(i) ^ parity(j) ^ 1
    if (ri === rj) { if (p !== 0 && !clash) clash = [i, j]; return }
    if (rank[ri] > rank[rj]) { const t = ri; ri = rj; rj = t }
    parent[ri] = rj
    par[ri] = p
    rank[rj] += rank[ri]
  }
  for (let k = 0; k < m; k++) if (!clamped[ei[k]] && !clamped[ej[k]]) link(ei[k], ej[k])
  for (const s of blocks) {
    for (let i = 0; i < s.blk.a; i++) link(s.aL + i, s.bL)
    for (let j = 1; j < s.blk.b; j++) link(s.aL, s.bL + j)
  }
  if (clash) return `free nodes ${clash[0]} and ${clash[1]} are coupled but fall in the same class (an intra-layer, skip or odd-cycle coupling), so no side can be eliminated`
  // per component: which class holds outputs (1 << parity), and class sizes
  const outCls = new Uint8Array(n), size0 = new Int32Array(n), size1 = new Int32Array(n)
  for (const o of net.outputs) if (!clamped[o]) outCls[find(o)] |= 1 << parity(o)
  for (let i = 0; i < n; i++) {
    if (clamped[i]) continue
    if (parity(i) === 0) size0[find(i)]++
    else size1[find(i)]++
  }
  const a: number[] = [], b: number[] = []
  for (let i = 0; i < n; i++) {
    if (clamped[i]) continue
    const r = find(i), oc = outCls[r]
    if (oc === 3) return `outputs fall in both classes of the free-node graph, so the nudged side cannot be kept whole`
    // the kept class: the outputs', else the smaller one
    const keep = oc === 1 ? 0 : oc === 2 ? 1 : size0[r] < size1[r] ? 0 : 1
    if (parity(i) === keep) b.push(i)
    else a.push(i)
  }
  if (b.length > ELIMINATE_MAX_KEPT) return `${b.length} nodes would be kept, more than ${ELIMINATE_MAX_KEPT}: the reduced Newton system is dense and would cost more than the iterations it saves (use fire-newton)`
  if (a.length === 0) return 'no node to eliminate'
  return { a: Uint32Array.from(a), b: Uint32Array.from(b) }
}

/** The XY single-node minimiser over a bipartite split of `net`'s free nodes plus dense blocks. */
export class XyElimination implements Elimination {
  readonly a: Uint32Array
  readonly b: Uint32Array
  /** A-index of each node, -1 elsewhere */
  private readonly aIdx: Int32Array
  /** residual edges with one A end: that end's A-index, the other node, the edge */
  private readonly eA: Int32Array
  private readonly eO: Uint32Array
  private readonly eK: Uint32Array
  /** dense blocks and which side of each is eliminated */
  private readonly blocks: readonly FreeBlock[]
  private readonly aSide: Uint8Array
  private readonly zx: Float64Array
  private readonly zy: Float64Array
  private readonly cs: Float64Array
  private readonly sn: Float64Array
  /** energy of the state last aligned (alignedEnergy) */
  private lastEnergy = NaN
  /** B-index of each node, -1 elsewhere */
  private readonly bIdx: Int32Array
  /** B-side fields and the A-B Hessian rows of reducedHessian */
  private readonly bx: Float64Array
  private readonly by: Float64Array
  /** H_AB transposed [nb, na], and it scaled by diag(H_AA)^-1 */
  private readonly hab: Float64Array
  private readonly hg: Float64Array
  private readonly dA: Float64Array
  /** residual edges with one B end and a clamped other end: B-index, other node, edge */
  private readonly cB: Int32Array
  private readonly cO: Uint32Array
  private readonly cK: Uint32Array

  constructor(readonly net: XyNet, blocks: readonly FreeBlock[], split: { a: Uint32Array; b: Uint32Array }, private readonly nudge: NudgeSource) {
    this.a = split.a
    this.b = split.b
    const n = net.n
    this.aIdx = new Int32Array(n).fill(-1)
    split.a.forEach((i, t) => { this.aIdx[i] = t })
    const ea: number[] = [], eo: number[] = [], ek: number[] = []
    for (let k = 0; k < net.m; k++) {
      const i = net.ei[k], j = net.ej[k]
      if (this.aIdx[i] >= 0) { ea.push(this.aIdx[i]); eo.push(j); ek.push(k) }
      if (this.aIdx[j] >= 0) { ea.push(this.aIdx[j]); eo.push(i); ek.push(k) }
    }
    this.eA = Int32Array.from(ea)
    this.eO = Uint32Array.from(eo)
    this.eK = Uint32Array.from(ek)
    this.blocks = blocks
    this.aSide = Uint8Array.from(blocks, (s) => (this.aIdx[s.aL] >= 0 ? 1 : 0))
    this.bIdx = new Int32Array(n).fill(-1)
    split.b.forEach((i, t) => { this.bIdx[i] = t })
    const cb: number[] = [], co: number[] = [], ck: number[] = []
    for (let k = 0; k < net.m; k++) {
      const i = net.ei[k], j = net.ej[k]
      if (this.bIdx[i] >= 0 && net.clamped[j]) { cb.push(this.bIdx[i]); co.push(j); ck.push(k) }
      if (this.bIdx[j] >= 0 && net.clamped[i]) { cb.push(this.bIdx[j]); co.push(i); ck.push(k) }
    }
    this.cB = Int32Array.from(cb)
    this.cO = Uint32Array.from(co)
    this.cK = Uint32Array.from(ck)
    const nb = split.b.length
    this.bx = new Float64Array(nb)
    this.by = new Float64Array(nb)
    this.hab = new Float64Array(split.a.length * nb)
    this.hg = new Float64Array(split.a.length * nb)
    this.dA = new Float64Array(split.a.length)
    this.zx = new Float64Array(split.a.length)
    this.zy = new Float64Array(split.a.length)
    this.cs = new Float64Array(n)
    this.sn = new Float64Array(n)
  }

  align(x: Float64Array): boolean {
    const { net, a, aIdx, zx, zy, cs, sn } = this
    sinCosInto(x, 0, net.n, cs, sn)
    const na = a.length
    if (net.hasBias) for (let t = 0; t < na; t++) { zx[t] = net.hx[a[t]]; zy[t] = net.hy[a[t]] }
    else { zx.fill(0); zy.fill(0) }
    const { eA, eO, eK } = this, w = net.w
    for (let t = 0; t < eA.length; t++) {
      const v = w[eK[t]], o = eO[t]
      zx[eA[t]] += v * cs[o]
      zy[eA[t]] += v * sn[o]
    }
    for (let q = 0; q < this.blocks.length; q++) {
      const { aL, bL, blk, W } = this.blocks[q], A = blk.a, B = blk.b
      if (this.aSide[q]) {
        for (let i = 0; i < A; i++) {
          const wo = i * B
          let sx = 0, sy = 0
          for (let j = 0; j < B; j++) { const v = W[wo + j]; sx += v * cs[bL + j]; sy += v * sn[bL + j] }
          const t = aIdx[aL + i]
          zx[t] += sx
          zy[t] += sy
        }
      } else {
        const t0 = aIdx[bL]
        for (let i = 0; i < A; i++) {
          const wo = i * B, c = cs[aL + i], s = sn[aL + i]
          for (let j = 0; j < B; j++) { const v = W[wo + j]; zx[t0 + j] += v * c; zy[t0 + j] += v * s }
        }
      }
    }
    const ext = this.nudge.ext, eo = this.nudge.extOff
    // the energy at the aligned state comes almost free: each A node's own term is -sqrt(|z|^2 - e^2) - e phi
    let E = 0
    for (let t = 0; t < na; t++) {
      const r2 = zx[t] * zx[t] + zy[t] * zy[t]
      if (!(r2 > 1e-300)) return false
      const i = a[t]
      let th = Math.atan2(zy[t], zx[t])
      const e = ext !== null ? ext[eo + i] : 0
      if (e !== 0) {
        const r = Math.sqrt(r2)
        if (!(Math.abs(e) < r)) return false // the torque beats the field: this node slips, no minimiser
        th += Math.asin(e / r)
      }
      // the image of the minimiser nearest the node's current phase
      const phi = th + TWO_PI * Math.floor((x[i] - th) / TWO_PI + 0.5)
      x[i] = phi
      E -= e === 0 ? Math.sqrt(r2) : Math.sqrt(r2 - e * e) + e * phi
    }
    this.lastEnergy = E + this.keptEnergy(x)
    return true
  }

  /**
   * The energy of the state last passed to align (up to a constant: clamped-only terms are left out),
   * as sys.energy would give it. Valid until the next align.
   */
  alignedEnergy(): number { return this.lastEnergy }

  /** Energy terms of the kept nodes that no A field holds: bias, clamped neighbours, torque, cost. */
  private keptEnergy(x: Float64Array): number {
    const { net, b, cs, sn, cB, cO, cK } = this
    const nb = b.length, w = net.w
    let E = 0
    if (net.hasBias) for (let t = 0; t < nb; t++) { const i = b[t]; E -= net.hx[i] * cs[i] + net.hy[i] * sn[i] }
    for (let t = 0; t < cB.length; t++) { const i = b[cB[t]], o = cO[t]; E -= w[cK[t]] * (cs[i] * cs[o] + sn[i] * sn[o]) }
    const { ext, extOff, beta, tau, tauOff } = this.nudge
    if (ext !== null) for (let t = 0; t < nb; t++) E -= ext[extOff + b[t]] * x[b[t]]
    if (beta !== 0 && tau !== null) {
      const out = net.outputs
      for (let k = 0; k < out.length; k++) E -= beta * Math.log(1 + Math.cos(x[out[k]] - tau[tauOff + k]))
    }
    return E
  }

  /**
   * Moves every kept node to its single-node minimiser given the eliminated ones (a block
   * coordinate-descent sweep: the energy can only fall). Only without a nudge, whose cost has no
   * closed-form minimiser on the outputs: returns false then, or when a kept node has no field.
   */
  alignKept(x: Float64Array): boolean {
    const { ext, beta, tau } = this.nudge
    if (ext !== null || (beta !== 0 && tau !== null)) return false
    const { net, b, bIdx, bx, by, cs, sn } = this
    const nb = b.length, w = net.w
    sinCosInto(x, 0, net.n, cs, sn)
    if (net.hasBias) for (let t = 0; t < nb; t++) { bx[t] = net.hx[b[t]]; by[t] = net.hy[b[t]] }
    else { bx.fill(0); by.fill(0) }
    const { eA, eO, eK, cB, cO, cK, a } = this
    for (let t = 0; t < eA.length; t++) {
      const tb = bIdx[eO[t]]
      if (tb >= 0) { const v = w[eK[t]], ia = a[eA[t]]; bx[tb] += v * cs[ia]; by[tb] += v * sn[ia] }
    }
    for (let t = 0; t < cB.length; t++) { const v = w[cK[t]], o = cO[t]; bx[cB[t]] += v * cs[o]; by[cB[t]] += v * sn[o] }
    for (let q = 0; q < this.blocks.length; q++) {
      const { aL, bL, blk, W } = this.blocks[q], A = blk.a, B = blk.b
      if (this.aSide[q] === 1) {
        // rows eliminated, columns kept
        const t0 = bIdx[bL]
        for (let i = 0; i < A; i++) {
          const wo = i * B, c = cs[aL + i], s = sn[aL + i]
          for (let j = 0; j < B; j++) { const v = W[wo + j]; bx[t0 + j] += v * c; by[t0 + j] += v * s }
        }
      } else {
        for (let i = 0; i < A; i++) {
          const wo = i * B
          let sx = 0, sy = 0
          for (let j = 0; j < B; j++) { const v = W[wo + j]; sx += v * cs[bL + j]; sy += v * sn[bL + j] }
          const tb = bIdx[aL + i]
          bx[tb] += sx
          by[tb] += sy
        }
      }
    }
    for (let t = 0; t < nb; t++) {
      if (!(bx[t] * bx[t] + by[t] * by[t] > 1e-300)) return false
      const i = b[t], th = Math.atan2(by[t], bx[t])
      x[i] = th + TWO_PI * Math.floor((x[i] - th) / TWO_PI + 0.5)
    }
    return true
  }

  /** Adds the log-cos cost's curvature beta / (1 + cos(phi - tau)) on the kept outputs to S's diagonal. */
  private addNudgeCurvature(x: Float64Array, S: Float64Array): void {
    const { beta, tau, tauOff } = this.nudge
    if (beta === 0 || tau === null) return
    const out = this.net.outputs, nb = this.b.length
    for (let k = 0; k < out.length; k++) {
      const tb = this.bIdx[out[k]]
      if (tb >= 0) S[tb * nb + tb] += beta / (1 + Math.cos(x[out[k]] - tau[tauOff + k]))
    }
  }

  /**
   * The Hessian of the reduced energy over the kept nodes at x (A aligned): H_BB - H_BA diag(H_AA)^-1
   * H_AB into the lower triangle of S [nb, nb] (H_BB is diagonal: no coupling inside B). One pass
   * over the couplings. False when some H_aa <= 0 (an A node not at its minimiser).
   */
  reducedHessian(x: Float64Array, S: Float64Array): boolean {
    const { net, a, b, aIdx, bIdx, zx, zy, bx, by, hab, dA, cs, sn } = this
    const na = a.length, nb = b.length, w = net.w
    sinCosInto(x, 0, net.n, cs, sn)
    if (net.hasBias) {
      for (let t = 0; t < na; t++) { zx[t] = net.hx[a[t]]; zy[t] = net.hy[a[t]] }
      for (let t = 0; t < nb; t++) { bx[t] = net.hx[b[t]]; by[t] = net.hy[b[t]] }
    } else { zx.fill(0); zy.fill(0); bx.fill(0); by.fill(0) }
    hab.fill(0)
    const { eA, eO, eK, cB, cO, cK } = this
    for (let t = 0; t < eA.length; t++) {
      const v = w[eK[t]], o = eO[t], ta = eA[t], ia = a[ta]
      zx[ta] += v * cs[o]
      zy[ta] += v * sn[o]
      const tb = bIdx[o]
      if (tb >= 0) {
        hab[tb * na + ta] -= v * (cs[ia] * cs[o] + sn[ia] * sn[o])
        bx[tb] += v * cs[ia]
        by[tb] += v * sn[ia]
      }
    }
    for (let t = 0; t < cB.length; t++) { const v = w[cK[t]], o = cO[t]; bx[cB[t]] += v * cs[o]; by[cB[t]] += v * sn[o] }
    for (let q = 0; q < this.blocks.length; q++) {
      const { aL, bL, blk, W } = this.blocks[q], A = blk.a, B = blk.b
      // rows of W are the block's a side; `eliminated rows` says which side is A
      const rowsA = this.aSide[q] === 1
      for (let i = 0; i < A; i++) {
        const ri = aL + i, ci = cs[ri], si = sn[ri], wo = i * B
        if (rowsA) {
          const ta = aIdx[ri]
          let sx = 0, sy = 0
          for (let j = 0; j < B; j++) {
            const v = W[wo + j], c = cs[bL + j], sj = sn[bL + j], tb = bIdx[bL + j]
            sx += v * c
            sy += v * sj
            hab[tb * na + ta] -= v * (ci * c + si * sj)
            bx[tb] += v * ci
            by[tb] += v * si
          }
          zx[ta] += sx
          zy[ta] += sy
        } else {
          const tb = bIdx[ri]
          let sx = 0, sy = 0
          for (let j = 0; j < B; j++) {
            const v = W[wo + j], c = cs[bL + j], sj = sn[bL + j], ta = aIdx[bL + j]
            sx += v * c
            sy += v * sj
            hab[tb * na + ta] -= v * (ci * c + si * sj)
            zx[ta] += v * ci
            zy[ta] += v * si
          }
          bx[tb] += sx
          by[tb] += sy
        }
      }
    }
    S.fill(0, 0, nb * nb)
    for (let t = 0; t < nb; t++) { const i = b[t]; S[t * nb + t] = cs[i] * bx[t] + sn[i] * by[t] }
    this.addNudgeCurvature(x, S)
    for (let t = 0; t < na; t++) {
      const i = a[t], d = cs[i] * zx[t] + sn[i] * zy[t]
      if (!(d > 0)) return false
      dA[t] = d
    }
    // hg = H_BA diag(H_AA)^-1, then S_jk -= <hab_j, hg_k>: contiguous dot products over A
    const hg = this.hg
    for (let t = 0; t < na; t++) dA[t] = 1 / dA[t]
    subtractDiagonalSchur(hab, dA, hg, S, na, nb)
    return true
  }
}
