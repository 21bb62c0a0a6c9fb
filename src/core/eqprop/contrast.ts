// The local contrast EqProp measures: observables dE/dtheta at equilibria, weighted and summed.
import { sinCosInto } from '../physics/sincos.ts'
import type { DenseMatMul } from '../physics/dense-xy.ts'
import { xyBiasObservable, type XyNet } from '../physics/xy.ts'
import { CosContrast } from './cos-contrast.ts'

/** Scratch for accumulateContrast, made once per network; the trig rows grow with the batch. */
export interface ContrastScratch { h: Float64Array; psi: Float64Array; cos: CosContrast }

export function createContrastScratch(net: XyNet): ContrastScratch {
  return { h: new Float64Array(net.n), psi: new Float64Array(net.n), cos: new CosContrast(net) }
}

/**
 * g += c * sum_b dE/dtheta(states_b) over a [B, n] batch, over the samples with keep[b] = 1 (all
 * when keep is null). g holds [W (m) | h (n) | psi (n)] when withBias, else W only. A float32
 * matrix-product backend `mm` takes the dense layer blocks (see CosContrast).
 */
export function accumulateContrast(net: XyNet, states: Float64Array, B: number, c: number, withBias: boolean, g: Float64Array, s: ContrastScratch,
  keep: Uint8Array | null = null, mm: DenseMatMul | null = null): void {
  if (c === 0) return
  const { n, m } = net
  const cc = s.cos
  cc.reserve(B)
  let R = 0
  for (let b = 0; b < B; b++) {
    if (keep && !keep[b]) continue
    sinCosInto(states, b * n, n, cc.cs.subarray(R * n), cc.sn.subarray(R * n))
    cc.rows[R++] = b
  }
  cc.add(R, c, g, mm)
  if (withBias) {
    for (let r = 0; r < R; r++) {
      xyBiasObservable(net, states, cc.rows[r] * n, s.h, s.psi)
      for (let i = 0; i < n; i++) { g[m + i] += c * s.h[i]; g[m + n + i] += c * s.psi[i] }
    }
  }
}

/** One phase of a contrast: its equilibria [B, n] and its coefficient. */
export interface ContrastTerm { readonly states: Float64Array; readonly c: number }

/**
 * accumulateContrast over several phases of the same batch at once (free and nudged): the same sums,
 * but a dense block with one side equal in every phase (clamped inputs) costs one matrix product
 * instead of one per phase (CosContrast.addPhases).
 */
export function accumulateContrastPhases(net: XyNet, terms: readonly ContrastTerm[], B: number, withBias: boolean, g: Float64Array, s: ContrastScratch,
  keep: Uint8Array | null = null, mm: DenseMatMul | null = null): void {
  const live = terms.filter((t) => t.c !== 0)
  if (live.length === 0) return
  const { n, m } = net
  const cc = s.cos
  let R = 0
  for (let b = 0; b < B; b++) if (!keep || keep[b]) R++
  cc.reserve(live.length * Math.max(R, 1))
  live.forEach((t, p) => {
    let r = 0
    for (let b = 0; b < B; b++) {
      if (keep && !keep[b]) continue
      const row = p * R + r++
      sinCosInto(t.states, b * n, n, cc.cs.subarray(row * n), cc.sn.subarray(row * n))
      cc.rows[row] = b
    }
  })
  cc.addPhases(R, live.map((t) => t.c), g, mm)
  if (withBias) {
    for (const t of live) {
      for (let r = 0; r < R; r++) {
        xyBiasObservable(net, t.states, cc.rows[r] * n, s.h, s.psi)
        for (let i = 0; i < n; i++) { g[m + i] += t.c * s.h[i]; g[m + n + i] += t.c * s.psi[i] }
      }
    }
  }
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
