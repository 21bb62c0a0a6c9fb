// eqprop-hil analyse: what the paper looks at besides accuracy, for a trained XY network and a few
// samples of its task: the minima the free phase can end in (basin statistics over random starts),
// the Hessian spectrum at the equilibrium (soft modes, condition number) and the linear response of
// every node to every input, d phi / d x = H^-1 dF/dx, drawn on the lattice.
import { z } from 'zod'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import type { Dataset } from '../core/data/dataset.ts'
import { symmetricEigen } from '../core/linalg/symmetric-eigen.ts'
import type { Network } from '../core/network/network.ts'
import { compileXy } from '../core/physics/xy.ts'
import { XySystem } from '../core/physics/xy-system.ts'
import { BandMatrix } from '../core/solvers/band.ts'
import { SOLVER_NAMES } from '../core/solvers/system.ts'
import { EqpError } from '../errors.ts'

export const AnalyseOptions = z.strictObject({
  /** training rows analysed (the first K of the training split) */
  samples: z.int().min(1).max(64).default(4),
  /** random starts of the free phase per sample, for the basin statistics */
  starts: z.int().min(1).max(1000).default(20),
  seed: z.int().min(0).max(2 ** 32 - 1).default(0),
  /** relaxation solver of the free phases; the gradient flow (rk45) keeps each start in its physical basin */
  solver: z.enum(SOLVER_NAMES).default('rk45'),
  /** two minima are the same when no phase differs by more than this (rad, up to 2 pi) */
  distinctRad: z.number().positive().max(1).default(1e-3),
  /** the spectrum is dense (Jacobi): networks with more free nodes report basins only */
  maxSpectrumNodes: z.int().min(1).max(2000).default(600),
})
export type AnalyseOptions = z.infer<typeof AnalyseOptions>

/** One distinct free equilibrium of a sample: its energy and how many starts ended in it. */
export interface Minimum { energy: number; starts: number; states: number[] }

export interface SampleAnalysis {
  row: number
  /** distinct settled minima, most frequent first */
  minima: Minimum[]
  /** starts that did not settle within the solver's budget */
  unsettled: number
  /** at the most frequent minimum (the typical free equilibrium); null above maxSpectrumNodes */
  spectrum: null | {
    /** Hessian eigenvalues over the free nodes, ascending: the 5 smallest and the largest */
    smallest: number[]
    largest: number
    /** largest / smallest (Infinity when the smallest is not positive) */
    condition: number
    /** eigenvalues below zero: > 0 means the state is a saddle, not a minimum */
    negative: number
    /** the eigenvector of the smallest eigenvalue, per node (0 on clamped nodes) */
    softMode: number[]
    /** d phi_i / d x_k (rad per rad) per input k, per node (0 on clamped nodes but input k itself: 1) */
    response: number[][]
  }
}

export interface AnalyseReport { network: { nodes: number; couplings: number; freeNodes: number }; options: AnalyseOptions; samples: SampleAnalysis[] }

const wrapDiff = (a: number, b: number) => Math.abs(Math.sin((a - b) / 2))

/** Analyses an XY network on the first rows of a dataset's training split (see AnalyseOptions). */
export async function analyseNetwork(network: Network, data: Dataset, optsIn: z.input<typeof AnalyseOptions> = {}): Promise<AnalyseReport> {
  const opts = AnalyseOptions.parse(optsIn)
  if (network.model !== 'xy') throw new EqpError('EQP_ERR_BAD_INPUT', ['network', `analyse reads XY physics (Hessian, response); this network is '${network.model}'`])
  const net = compileXy(network)
  const n = net.n, nIn = data.nIn
  const free = Array.from({ length: n }, (_, i) => i).filter((i) => !net.clamped[i])
  const sub = new SimXySubstrate(network, { solver: opts.solver, maxBatch: Math.max(opts.starts, 1) })
  // the spectrum and the response are derivatives at the minimum: polish it far below the settle tolerance first
  const polish = new SimXySubstrate(network, { solver: 'flow-newton', tol: 1e-11 })
  const rows = Math.min(opts.samples, data.train.rows)
  const out: SampleAnalysis[] = []
  try {
    for (let row = 0; row < rows; row++) {
      const x = data.train.x.subarray(row * nIn, (row + 1) * nIn)
      const inputs = new Float64Array(opts.starts * nIn)
      for (let s = 0; s < opts.starts; s++) inputs.set(x, s * nIn)
      const r = await sub.relax({ batch: opts.starts, inputs, phase: 'free', start: { kind: 'random', seed: (opts.seed + row * 7919) >>> 0 } })
      const minima: { energy: number; starts: number; states: Float64Array }[] = []
      let unsettled = 0
      for (let s = 0; s < opts.starts; s++) {
        if (!r.settled[s]) { unsettled++; continue }
        const st = r.states.subarray(s * n, (s + 1) * n)
        const same = minima.find((m) => { for (let i = 0; i < n; i++) if (wrapDiff(m.states[i], st[i]) > Math.sin(opts.distinctRad / 2)) return false; return true })
        if (same) same.starts++
        else minima.push({ energy: r.energy[s], starts: 1, states: st.slice() })
      }
      minima.sort((a, b) => b.starts - a.starts || a.energy - b.energy)
      const wrap = (v: number) => Math.atan2(Math.sin(v), Math.cos(v))
      let spectrum: SampleAnalysis['spectrum'] = null
      if (minima.length > 0 && free.length <= opts.maxSpectrumNodes) {
        const p = await polish.relax({ batch: 1, inputs: x.slice(), phase: 'free', start: { kind: 'given', states: minima[0].states } })
        spectrum = analyseMinimum(net, free, p.states)
      }
      out.push({ row, minima: minima.map((m) => ({ energy: m.energy, starts: m.starts, states: Array.from(m.states, wrap) })), unsettled, spectrum })
    }
  } finally {
    await sub.close()
    await polish.close()
  }
  return { network: { nodes: n, couplings: net.m, freeNodes: free.length }, options: opts, samples: out }
}

/** Hessian spectrum, soft mode and linear response to every input at the equilibrium phi. */
function analyseMinimum(net: ReturnType<typeof compileXy>, free: number[], phi: Float64Array): SampleAnalysis['spectrum'] {
  const n = net.n, F = free.length
  const H = new BandMatrix(n, Math.max(n - 1, 0))
  new XySystem(net).hessian(phi, H)
  const A = new Float64Array(F * F)
  for (let a = 0; a < F; a++) for (let b = 0; b < F; b++) A[a * F + b] = H.get(free[a], free[b])
  const { values, vectors } = symmetricEigen(A, F)
  const softMode = new Array<number>(n).fill(0)
  free.forEach((i, a) => { softMode[i] = vectors[a] })
  const local = new Int32Array(n).fill(-1)
  free.forEach((i, a) => { local[i] = a })
  // dF/dx_k on free node i: the force of input k's couplings, W cos(phi_i - x_k); response = H^-1 of it
  const response = Array.from(net.inputs, (k) => {
    const b = new Float64Array(F)
    for (let e = 0; e < net.m; e++) {
      const i = net.ei[e], j = net.ej[e]
      if (j === k && local[i] >= 0) b[local[i]] += net.w[e] * Math.cos(phi[i] - phi[k])
      if (i === k && local[j] >= 0) b[local[j]] += net.w[e] * Math.cos(phi[j] - phi[k])
    }
    const chi = new Array<number>(n).fill(0)
    chi[k] = 1
    for (let q = 0; q < F; q++) {
      if (Math.abs(values[q]) < 1e-14) continue // a zero mode (global rotation without inputs) carries no response
      let proj = 0
      for (let a = 0; a < F; a++) proj += vectors[q * F + a] * b[a]
      const c = proj / values[q]
      for (let a = 0; a < F; a++) chi[free[a]] += c * vectors[q * F + a]
    }
    return chi
  })
  const smallest = Array.from(values.subarray(0, Math.min(5, F)))
  const largest = F > 0 ? values[F - 1] : 0
  return {
    smallest, largest, condition: values[0] > 0 ? largest / values[0] : Infinity,
    negative: values.filter((v) => v < -1e-12).length, softMode, response,
  }
}
