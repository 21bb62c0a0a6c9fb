// The local contrast EqProp measures: observables dE/dtheta at equilibria, weighted and summed.
import { sinCosInto } from '../physics/sincos.ts'
import { xyBiasObservable, type XyNet } from '../physics/xy.ts'

/** Scratch for accumulateContrast, made once per network; the trig rows grow with the batch. */
export interface ContrastScratch { h: Float64Array; psi: Float64Array; cs: Float64Array; sn: Float64Array; rows: Int32Array }

export function createContrastScratch(net: XyNet): ContrastScratch {
  return { h: new Float64Array(net.n), psi: new Float64Array(net.n), cs: new Float64Array(0), sn: new Float64Array(0), rows: new Int32Array(0) }
}

/**
 * g += c * sum_b dE/dtheta(states_b) over a [B, n] batch, over the samples with keep[b] = 1 (all
 * when keep is null). g holds [W (m) | h (n) | psi (n)] when withBias, else W only.
 */
export function accumulateContrast(net: XyNet, states: Float64Array, B: number, c: number, withBias: boolean, g: Float64Array, s: ContrastScratch, keep: Uint8Array | null = null): void {
  if (c === 0) return
  const { n, m } = net
  if (s.rows.length < B) { s.rows = new Int32Array(B); s.cs = new Float64Array(B * n); s.sn = new Float64Array(B * n) }
  const { cs, sn, rows } = s
  let R = 0
  for (let b = 0; b < B; b++) {
    if (keep && !keep[b]) continue
    sinCosInto(states, b * n, n, cs.subarray(R * n), sn.subarray(R * n))
    rows[R++] = b
  }
  addEdgeContrast(net, cs, sn, R, c, g)
  if (withBias) {
    for (let r = 0; r < R; r++) {
      xyBiasObservable(net, states, rows[r] * n, s.h, s.psi)
      for (let i = 0; i < n; i++) { g[m + i] += c * s.h[i]; g[m + n + i] += c * s.psi[i] }
    }
  }
}

/**
 * g[k] += c * sum_r -cos(phi_i - phi_j) over R rows of trig. Edges outer, rows inner: a dense block's
 * gradient row stays in cache over the whole batch instead of streaming all m couplings per sample,
 * and every g[k] still sums the samples in order, so the result is the same to the bit.
 */
function addEdgeContrast(net: XyNet, cs: Float64Array, sn: Float64Array, R: number, c: number, g: Float64Array): void {
  const { n, m, ei, ej } = net
  const edges = (k0: number, k1: number) => {
    for (let k = k0; k < k1; k++) {
      const i = ei[k], j = ej[k]
      let v = g[k]
      for (let r = 0, o = 0; r < R; r++, o += n) v += c * -(cs[o + i] * cs[o + j] + sn[o + i] * sn[o + j])
      g[k] = v
    }
  }
  let k = 0
  for (const blk of net.blocks ?? []) {
    edges(k, blk.edgeOff)
    const { aOff, a, bOff, b, edgeOff } = blk
    for (let i = 0; i < a; i++) {
      const row = edgeOff + i * b
      for (let r = 0, o = 0; r < R; r++, o += n) {
        const ci = cs[o + aOff + i], si = sn[o + aOff + i], ob = o + bOff
        for (let j = 0; j < b; j++) g[row + j] += c * -(ci * cs[ob + j] + si * sn[ob + j])
      }
    }
    k = edgeOff + a * b
  }
  edges(k, m)
}

/** The cost nudge -beta dC/dphi evaluated at the free states and then held fixed: [B, n], zero off the outputs. */
export function frozenNudgeForce(net: XyNet, free: Float64Array, targets: Float64Array, B: number, beta: number): Float64Array {
  const { n, outputs } = net
  const nOut = outputs.length
  const force = new Float64Array(B * n)
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < nOut; k++) {
      const o = outputs[k]
      force[b * n + o] = -beta * Math.tan(0.5 * (free[b * n + o] - targets[b * nOut + k]))
    }
  }
  return force
}
