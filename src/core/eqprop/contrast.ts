// The local contrast EqProp measures: observables dE/dtheta at equilibria, weighted and summed.
import { sinCosInto } from '../physics/sincos.ts'
import type { DenseMatMul } from '../physics/dense-xy.ts'
import { xyBiasObservable, type XyNet } from '../physics/xy.ts'
import { CosContrast, type ContrastTopology } from './cos-contrast.ts'

/** Scratch for a contrast, made once per network; the trig rows grow with the batch. */
export interface ContrastScratch { h: Float64Array; psi: Float64Array; cos: CosContrast }

export function createContrastScratch(topo: ContrastTopology): ContrastScratch {
  return { h: new Float64Array(topo.n), psi: new Float64Array(topo.n), cos: new CosContrast(topo) }
}

/**
 * What a model's contrast reads off one equilibrium row (the [n] slice at off): the node vectors its
 * coupling observable -(cs_i cs_j + sn_i sn_j) multiplies, and per node dE/dh and dE/dpsi. XY and OIM
 * differ only here, so they share the packing and the sums below.
 */
export interface RowObservables {
  vectors(states: Float64Array, off: number, cs: Float64Array, sn: Float64Array): void
  bias(states: Float64Array, off: number, dh: Float64Array, dpsi: Float64Array): void
}

/** The XY model's row observables: cos and sin of the phases, and xyBiasObservable. */
export function xyRowObservables(net: XyNet): RowObservables {
  return {
    vectors: (st, off, cs, sn) => sinCosInto(st, off, net.n, cs, sn),
    bias: (st, off, dh, dpsi) => xyBiasObservable(net, st, off, dh, dpsi),
  }
}

/** One phase of a contrast: its equilibria [B, n] and its coefficient. */
export interface ContrastTerm { readonly states: Float64Array; readonly c: number }

/** Packs the kept rows of each phase (phase p in rows p R .. (p + 1) R - 1) into the scratch's trig rows; returns R. */
function packRows(obs: RowObservables, n: number, phases: readonly Float64Array[], B: number, keep: Uint8Array | null, cc: CosContrast): number {
  let R = 0
  for (let b = 0; b < B; b++) if (!keep || keep[b]) R++
  cc.reserve(phases.length * Math.max(R, 1))
  phases.forEach((states, p) => {
    let r = 0
    for (let b = 0; b < B; b++) {
      if (keep && !keep[b]) continue
      const row = p * R + r++
      obs.vectors(states, b * n, cc.cs.subarray(row * n), cc.sn.subarray(row * n))
      cc.rows[row] = b
    }
  })
  return R
}

/** g[m + i] += c dE/dh_i and g[m + n + i] += c dE/dpsi_i over the R packed rows of one phase's states. */
function addBias(obs: RowObservables, n: number, m: number, states: Float64Array, c: number, R: number, g: Float64Array, s: ContrastScratch): void {
  for (let r = 0; r < R; r++) {
    obs.bias(states, s.cos.rows[r] * n, s.h, s.psi)
    for (let i = 0; i < n; i++) { g[m + i] += c * s.h[i]; g[m + n + i] += c * s.psi[i] }
  }
}

/**
 * g += c * sum_b dE/dtheta(states_b) over a [B, n] batch, over the samples with keep[b] = 1 (all
 * when keep is null), for any model's row observables. g holds [W (m) | h (n) | psi (n)] when
 * withBias, else W only. A float32 matrix-product backend `mm` takes the dense layer blocks (see CosContrast).
 */
export function accumulateRows(obs: RowObservables, states: Float64Array, B: number, c: number, withBias: boolean, g: Float64Array, s: ContrastScratch,
  keep: Uint8Array | null = null, mm: DenseMatMul | null = null): void {
  if (c === 0) return
  const { n, m } = s.cos.topo
  const R = packRows(obs, n, [states], B, keep, s.cos)
  s.cos.add(R, c, g, mm)
  if (withBias) addBias(obs, n, m, states, c, R, g, s)
}

/**
 * accumulateRows over several phases of the same batch at once (free and nudged): the same sums,
 * but a dense block with one side equal in every phase (clamped inputs) costs one matrix product
 * instead of one per phase (CosContrast.addPhases).
 */
export function accumulateRowsPhases(obs: RowObservables, terms: readonly ContrastTerm[], B: number, withBias: boolean, g: Float64Array, s: ContrastScratch,
  keep: Uint8Array | null = null, mm: DenseMatMul | null = null): void {
  const live = terms.filter((t) => t.c !== 0)
  if (live.length === 0) return
  const { n, m } = s.cos.topo
  const R = packRows(obs, n, live.map((t) => t.states), B, keep, s.cos)
  s.cos.addPhases(R, live.map((t) => t.c), g, mm)
  if (withBias) for (const t of live) addBias(obs, n, m, t.states, t.c, R, g, s)
}

/** accumulateRows for an XY network (cos/sin of the phases). */
export function accumulateContrast(net: XyNet, states: Float64Array, B: number, c: number, withBias: boolean, g: Float64Array, s: ContrastScratch,
  keep: Uint8Array | null = null, mm: DenseMatMul | null = null): void {
  accumulateRows(xyRowObservables(net), states, B, c, withBias, g, s, keep, mm)
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
