// Oscillator Ising machine (OIM) physics: XY couplings plus first-harmonic fields h (locked to the
// reference phase 0) and second-harmonic injection S that pushes phases toward 0 or pi. Inputs are
// not oscillators: a clamped node holds a value x in [-1, 1] and acts as a field x*J on the nodes it
// couples to (the "bias trick"), i.e. it behaves as a spin with cos = x and sin = 0. Readout is
// cos(phi_out); targets are values y in [-1, 1]. Shared by the simulator and the engine.
import type { Network } from '../network/network.ts'
import { compileTopology } from '../network/compile.ts'
import type { HessianSink } from '../solvers/band.ts'
import { sinCosInto } from './sincos.ts'

/** An OIM network compiled to typed arrays. */
export interface OimNet {
  readonly n: number
  readonly m: number
  readonly ei: Uint32Array
  readonly ej: Uint32Array
  /** couplings J_e */
  readonly w: Float64Array
  /** first-harmonic injection h_i (field along phase 0) */
  readonly h: Float64Array
  /** second-harmonic injection S_i */
  readonly s: Float64Array
  readonly inputs: Uint32Array
  readonly outputs: Uint32Array
  readonly clamped: Uint8Array
  /** per-node (cos, sin) scratch; (x, 0) on clamped nodes */
  readonly cs: Float64Array
  readonly sn: Float64Array
}

/** Compiles a validated network description (bias.h as h, shil as S) into typed arrays. */
export function compileOim(net: Network): OimNet {
  const n = net.nodes, m = net.edges.length
  const { ei, ej, clamped } = compileTopology(net)
  const h = new Float64Array(n), s = new Float64Array(n)
  if (net.bias) h.set(net.bias.h)
  if (net.shil) s.set(net.shil)
  return {
    n, m, ei, ej, w: Float64Array.from(net.weights), h, s,
    inputs: Uint32Array.from(net.inputs), outputs: Uint32Array.from(net.outputs), clamped,
    cs: new Float64Array(n), sn: new Float64Array(n),
  }
}

function fillTrig(net: OimNet, st: Float64Array, off: number): void {
  oimVectorsInto(net, st, off, net.cs, net.sn)
}

/** Per-node vectors (cos phi, sin phi) of a state, (x, 0) on clamped inputs, into cs[0..n), sn[0..n). */
export function oimVectorsInto(net: OimNet, st: Float64Array, off: number, cs: Float64Array, sn: Float64Array): void {
  sinCosInto(st, off, net.n, cs, sn)
  const { inputs } = net
  for (let k = 0; k < inputs.length; k++) { const i = inputs[k]; cs[i] = st[off + i]; sn[i] = 0 }
}

/** E = -sum_e J_e c_e - sum_free h_i cos phi_i - 1/2 sum_free S_i cos 2phi_i, c_e = cos(phi_i - phi_j) or x_i cos phi_j. */
export function oimEnergy(net: OimNet, st: Float64Array, off: number): number {
  fillTrig(net, st, off)
  const { n, m, ei, ej, w, h, s, cs, sn, clamped } = net
  let e = 0
  for (let k = 0; k < m; k++) { const i = ei[k], j = ej[k]; e -= w[k] * (cs[i] * cs[j] + sn[i] * sn[j]) }
  // cos 2phi = c^2 - s^2
  for (let i = 0; i < n; i++) if (!clamped[i]) e -= h[i] * cs[i] + 0.5 * s[i] * (cs[i] * cs[i] - sn[i] * sn[i])
  return e
}

/** dE/dphi (per rad) into out[0..n); zero on clamped nodes (their value is not a phase). */
export function oimEnergyGrad(net: OimNet, st: Float64Array, off: number, out: Float64Array): Float64Array {
  fillTrig(net, st, off)
  const { n, m, ei, ej, w, h, s, cs, sn, clamped } = net
  // h sin phi + S sin 2phi = sin phi (h + 2 S cos phi)
  for (let i = 0; i < n; i++) out[i] = clamped[i] ? 0 : sn[i] * (h[i] + 2 * s[i] * cs[i])
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k]
    const v = w[k] * (sn[i] * cs[j] - cs[i] * sn[j])
    out[i] += v
    out[j] -= v
  }
  for (let i = 0; i < n; i++) if (clamped[i]) out[i] = 0
  return out
}

/** Cost C = 1/2 sum_out (cos phi_o - y_o)^2 against target values y[yOff ..]. */
export function oimCost(net: OimNet, st: Float64Array, off: number, y: ArrayLike<number>, yOff: number): number {
  const { outputs } = net
  let c = 0
  for (let k = 0; k < outputs.length; k++) { const d = Math.cos(st[off + outputs[k]]) - y[yOff + k]; c += 0.5 * d * d }
  return c
}

/** Adds scale * dC/dphi = -scale (cos phi_o - y_o) sin phi_o on the output nodes of out. */
export function oimAddCostGrad(net: OimNet, st: Float64Array, off: number, y: ArrayLike<number>, yOff: number, scale: number, out: Float64Array): void {
  const { outputs } = net
  for (let k = 0; k < outputs.length; k++) {
    const o = outputs[k], p = st[off + o]
    out[o] -= scale * (Math.cos(p) - y[yOff + k]) * Math.sin(p)
  }
}

/**
 * The MSE nudge as a rewrite of the output injections: beta*C equals (up to a constant) the energy
 * of extra fields h_o += beta*y_o and S_o -= beta/2. Writes those increments into dh, ds (length n).
 */
export function oimNudgeFields(net: OimNet, y: ArrayLike<number>, yOff: number, beta: number, dh: Float64Array, ds: Float64Array): void {
  dh.fill(0); ds.fill(0)
  const { outputs } = net
  for (let k = 0; k < outputs.length; k++) { dh[outputs[k]] = beta * y[yOff + k]; ds[outputs[k]] = -beta / 2 }
}

/** dE/dJ_e = -c_e per edge into out[0..m). */
export function oimEdgeObservable(net: OimNet, st: Float64Array, off: number, out: Float64Array): Float64Array {
  fillTrig(net, st, off)
  const { m, ei, ej, cs, sn } = net
  for (let k = 0; k < m; k++) { const i = ei[k], j = ej[k]; out[k] = -(cs[i] * cs[j] + sn[i] * sn[j]) }
  return out
}

/** dE/dh_i = -cos phi_i and dE/dS_i = -1/2 cos 2phi_i into outH, outS (zero on clamped nodes). */
export function oimNodeObservable(net: OimNet, st: Float64Array, off: number, outH: Float64Array, outS: Float64Array): void {
  const { n, clamped } = net
  for (let i = 0; i < n; i++) {
    if (clamped[i]) { outH[i] = 0; outS[i] = 0; continue }
    const p = st[off + i]
    outH[i] = -Math.cos(p)
    outS[i] = -0.5 * Math.cos(2 * p)
  }
}

/** Readout: argmax_k cos phi_out,k, or cos > 0 for a single output. */
export function oimPredict(net: OimNet, st: Float64Array, off: number): number {
  const o = net.outputs
  if (o.length === 1) return Math.cos(st[off + o[0]]) > 0 ? 1 : 0
  let best = 0, bv = -Infinity
  for (let k = 0; k < o.length; k++) { const v = Math.cos(st[off + o[k]]); if (v > bv) { bv = v; best = k } }
  return best
}

/**
 * Hessian of E + beta*C into a band matrix, clamped rows/columns as the identity (so a Newton
 * step leaves them in place).
 */
export function oimHessian(net: OimNet, st: Float64Array, off: number, beta: number, y: ArrayLike<number> | null, yOff: number, H: HessianSink): void {
  fillTrig(net, st, off)
  const { n, m, ei, ej, w, h, s, cs, sn, clamped } = net
  H.zero()
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k]
    const c = w[k] * (cs[i] * cs[j] + sn[i] * sn[j])
    if (!clamped[i]) H.add(i, i, c)
    if (!clamped[j]) H.add(j, j, c)
    if (!clamped[i] && !clamped[j]) H.add(i, j, -c)
  }
  for (let i = 0; i < n; i++) {
    if (clamped[i]) { H.add(i, i, 1); continue }
    H.add(i, i, h[i] * cs[i] + 2 * s[i] * (cs[i] * cs[i] - sn[i] * sn[i]))
  }
  if (beta !== 0 && y) {
    // d/dphi [-(c - y) s] = s^2 - (c - y) c
    const { outputs } = net
    for (let k = 0; k < outputs.length; k++) {
      const o = outputs[k]
      if (clamped[o]) continue
      const c = Math.cos(st[off + o]), sv = Math.sin(st[off + o])
      H.add(o, o, beta * (sv * sv - (c - y[yOff + k]) * c))
    }
  }
}
