// The resistor's EqProp contrast g[k] += sum over phases and kept samples of c * dE/dw_k, walked by
// dense block rows: one row of a layer block (its couplings and its slice of g) stays in cache while
// every phase and sample adds to it, instead of streaming all of g, w and the edge tables once per
// sample. Each g[k] still receives the same terms in the same order (phase by phase, samples
// ascending), computed by the same expressions as resistorEdgeObservable, so the sums are the same
// bits as the per-sample loop's (test/core/eqprop/resistor-contrast.test.ts).
import { findDenseBlocks, WALK_MIN_EDGES } from '../physics/dense-blocks.ts'
import { resistorAccumulateEdges, type ResNet } from '../physics/resistor.ts'
import type { ContrastTerm } from './contrast.ts'

/** A block whose edges share their end factors, energy scale and which end is an input. */
interface WalkBlock { aOff: number; a: number; bOff: number; b: number; edgeOff: number; ci: number; cj: number; s: number; inA: boolean; inB: boolean }

/** accumulate / accumulatePhases of the resistor (EnginePhysics' contract), over a compiled network whose w is read live. */
export interface ResistorContrast {
  accumulate(states: Float64Array, B: number, c: number, withBias: boolean, g: Float64Array, keep: Uint8Array | null): void
  accumulatePhases(terms: readonly ContrastTerm[], B: number, withBias: boolean, g: Float64Array, keep: Uint8Array | null): void
}

/** Splits the edges into uniform dense blocks (walked by rows) and the rest (walked edge by edge). */
export function createResistorContrast(net: ResNet): ResistorContrast {
  const { n, m, ci, cj, es, clamped } = net
  const blocks: WalkBlock[] = []
  const inBlock = new Uint8Array(m)
  for (const bl of findDenseBlocks(net, WALK_MIN_EDGES)) {
    const e0 = bl.edgeOff, e1 = e0 + bl.a * bl.b
    let ok = true
    for (let k = e0; k < e1 && ok; k++) ok = ci[k] === ci[e0] && cj[k] === cj[e0] && es[k] === es[e0]
    const inA = clamped[bl.aOff] === 1, inB = clamped[bl.bOff] === 1
    for (let i = 0; i < bl.a && ok; i++) ok = (clamped[bl.aOff + i] === 1) === inA
    for (let j = 0; j < bl.b && ok; j++) ok = (clamped[bl.bOff + j] === 1) === inB
    if (!ok) continue
    blocks.push({ ...bl, ci: ci[e0], cj: cj[e0], s: es[e0], inA, inB })
    inBlock.fill(1, e0, e1)
  }
  const restIdx: number[] = []
  for (let k = 0; k < m; k++) if (!inBlock[k]) restIdx.push(k)
  const rest = Uint32Array.from(restIdx)

  /** The edges outside the blocks, for one sample (same expressions as resistorAccumulateEdges). */
  function addRest(v: Float64Array, off: number, c: number, g: Float64Array): void {
    const { ei, ej, w } = net
    for (let t = 0; t < rest.length; t++) {
      const k = rest[t], i = ei[k], j = ej[k], wk = w[k]
      let a = v[off + i], b = v[off + j]
      if (wk < 0) { if (clamped[i]) a = -a; if (clamped[j]) b = -b }
      const d = ci[k] * a - cj[k] * b
      g[k] += c * (es[k] * (wk < 0 ? -0.5 : 0.5) * d * d)
    }
  }

  /** Bias terms g[m + i] += c * (-s_i V_i) on free nodes (resistorBiasObservable's value; 0 * c on inputs). */
  function addBias(v: Float64Array, off: number, c: number, g: Float64Array): void {
    const ns = net.ns
    for (let i = 0; i < n; i++) g[m + i] += c * (clamped[i] ? 0 : -ns[i] * v[off + i])
  }

  function accumulatePhases(terms: readonly ContrastTerm[], B: number, withBias: boolean, g: Float64Array, keep: Uint8Array | null): void {
    const w = net.w
    for (const bl of blocks) {
      const { aOff, a, bOff, b: nb, edgeOff, ci: cI, cj: cJ, s, inA, inB } = bl
      for (let i = 0; i < a; i++) {
        const row = edgeOff + i * nb
        for (let t = 0; t < terms.length; t++) {
          const { states: v, c } = terms[t]
          if (c === 0) continue
          for (let smp = 0; smp < B; smp++) {
            if (keep && !keep[smp]) continue
            const off = smp * n, xa = v[off + aOff + i], vb = off + bOff
            for (let j = 0; j < nb; j++) {
              const k = row + j, wk = w[k]
              let A = xa, Bv = v[vb + j]
              if (wk < 0) { if (inA) A = -A; if (inB) Bv = -Bv }
              const d = cI * A - cJ * Bv
              g[k] += c * (s * (wk < 0 ? -0.5 : 0.5) * d * d)
            }
          }
        }
      }
    }
    for (let t = 0; t < terms.length; t++) {
      const { states: v, c } = terms[t]
      if (c === 0) continue
      for (let smp = 0; smp < B; smp++) {
        if (keep && !keep[smp]) continue
        if (rest.length > 0) addRest(v, smp * n, c, g)
        if (withBias) addBias(v, smp * n, c, g)
      }
    }
  }

  return {
    accumulatePhases,
    accumulate(states, B, c, withBias, g, keep) {
      if (c === 0) return
      if (blocks.length === 0) {
        for (let smp = 0; smp < B; smp++) {
          if (keep && !keep[smp]) continue
          resistorAccumulateEdges(net, states, smp * n, c, g)
          if (withBias) addBias(states, smp * n, c, g)
        }
        return
      }
      accumulatePhases([{ states, c }], B, withBias, g, keep)
    },
  }
}
