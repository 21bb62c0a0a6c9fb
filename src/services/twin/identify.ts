// Identification of a board's real couplings and bias fields: probe it with random clamps, random
// setpoint perturbations and random known forces, then fit the equilibrium conditions by least squares
// (src/core/identify/xy-fit.ts). The fitted network is the board's digital twin: a network JSON the
// simulator runs like any other.
import { z } from 'zod'
import { applyRange, emptyResult, putResult, sliceRequest, type Params, type RelaxRequest, type RelaxResult, type Substrate } from '../../../drivers/substrate.ts'
import { biasOf, couplingsAt, fitXyEquilibria, gainsOf, type ProbeSet, type XyFit } from '../../core/identify/xy-fit.ts'
import { Network } from '../../core/network/network.ts'
import { Rng } from '../../core/rng/rng.ts'
import { EqpError } from '../../errors.ts'
import { readoutLsb } from '../../../drivers/sim/imperfections.ts'

export const IdentifyOptions = z.strictObject({
  /** 'affine': fit gain and offset per coupling from several setpoint vectors; 'direct': the couplings at the current setpoints */
  model: z.enum(['direct', 'affine']).default('affine'),
  /** free equilibria per setpoint vector; each is also relaxed once under a random probe force */
  samples: z.int().min(1).max(100_000).default(128),
  /** setpoint vectors probed: the network's own, then random perturbations of it (affine needs >= 2) */
  setpointSets: z.int().min(1).max(32).default(3),
  /** std of the additive setpoint perturbation (coupling units) */
  perturb: z.number().positive().max(100).default(0.3),
  /** std of the random probe force on each nudgeable node (per unit time) */
  force: z.number().positive().max(100).default(0.3),
  /** clamped inputs are drawn uniformly in (-spread, spread) rad */
  inputSpread: z.number().positive().max(Math.PI).default(Math.PI),
  /** the board's phase readout resolution in bits: its rounding error (2 pi / 2^bits / sqrt 12 rad) is taken out of the fit; absent = exact readout */
  readoutBits: z.int().min(1).max(32).optional(),
  seed: z.int().min(0).max(2 ** 32 - 1).default(0),
}).refine((o) => o.model !== 'affine' || o.setpointSets >= 2, { path: ['setpointSets'], message: 'the affine model needs at least 2 setpoint vectors (gain and offset of each coupling)' })
export type IdentifyOptions = z.infer<typeof IdentifyOptions>
export type IdentifyOptionsInput = z.input<typeof IdentifyOptions>

/** One coupling as identified: physical value at the base setpoint, gain, offset, and their standard errors. */
export interface CouplingFit { edge: [number, number]; setpoint: number; w: number; sigma: number | null; gain: number; gainSigma: number | null; offset: number; offsetSigma: number | null }
/** One free node's bias field as identified. */
export interface BiasFit { node: number; h: number; hSigma: number | null; psi: number }

export interface IdentifyReport {
  uid: string
  model: 'direct' | 'affine'
  /** board relaxations spent on probing (samples, free and nudged) */
  relaxations: number
  /** probe samples left out because they did not settle */
  unsettled: number
  equations: number
  unknowns: number
  residualRms: number
  condition: number
  /** edges between two clamped nodes: they act on no free node, so no probe sees them (kept at the setpoint) */
  unobservedEdges: number[]
  couplings: CouplingFit[]
  bias: BiasFit[]
}

export interface IdentifyResult {
  report: IdentifyReport
  /** the twin: the network with the identified physical couplings and bias fields */
  twin: Network
  /** per-edge gain and offset (affine path setpoint -> physical), for transferring parameters back */
  gain: Float64Array
  offset: Float64Array
  fit: XyFit
}

const jsonNum = (v: number): number | null => (Number.isFinite(v) ? v : null)

/** Relaxes a batch of any size in chunks of the board's maxBatch. */
async function relaxAll(sub: Substrate, req: RelaxRequest): Promise<RelaxResult> {
  const max = sub.info.maxBatch, n = sub.info.nodes
  if (req.batch <= max) return sub.relax(req)
  const out = emptyResult(req.batch, n)
  for (let a = 0; a < req.batch; a += max) putResult(out, await sub.relax(sliceRequest(req, a, Math.min(req.batch, a + max), n)), a, n)
  return out
}

/** Puts the host's own clamp values in place of their read-back (a coarse readout would only add error). */
function exactClamps(states: Float64Array, inputs: Float64Array, clampable: readonly number[], n: number): void {
  const nIn = clampable.length, B = states.length / n
  for (let b = 0; b < B; b++) for (let k = 0; k < nIn; k++) states[b * n + clampable[k]] = inputs[b * nIn + k]
}

/** The settled samples of [batch, n] states (and of a force array alongside). */
function keepSettled(r: RelaxResult, n: number, force: Float64Array | null): { states: Float64Array; force: Float64Array | null; dropped: number } {
  const B = r.settled.length
  let kept = 0
  for (let b = 0; b < B; b++) kept += r.settled[b]
  const states = new Float64Array(kept * n), f = force ? new Float64Array(kept * n) : null
  for (let b = 0, k = 0; b < B; b++) {
    if (!r.settled[b]) continue
    states.set(r.states.subarray(b * n, (b + 1) * n), k * n)
    if (f && force) f.set(force.subarray(b * n, (b + 1) * n), k * n)
    k++
  }
  return { states, force: f, dropped: B - kept }
}

/**
 * Probes an XY board whose layout `network` describes (its couplings are the base setpoints) and fits
 * what the board really has. The board is left at the base setpoints. Throws EQP_ERR_BAD_INPUT when
 * the network does not match the board or the probes cannot determine the parameters.
 */
export async function identifyBoard(sub: Substrate, network: Network, optsIn: IdentifyOptionsInput = {}): Promise<IdentifyResult> {
  const parsed = IdentifyOptions.safeParse(optsIn)
  if (!parsed.success) { const i = parsed.error.issues[0]; throw new EqpError('EQP_ERR_BAD_INPUT', [i.path.join('.') || 'identify', i.message]) }
  const o = parsed.data
  const info = sub.info
  if (info.model !== 'xy' || network.model !== 'xy') throw new EqpError('EQP_ERR_BAD_INPUT', ['device', `identification fits XY boards; this one is ${info.model}`])
  if (info.nodes !== network.nodes || info.edges.length !== network.edges.length) {
    throw new EqpError('EQP_ERR_TASK_MISMATCH', [`device '${info.uid}' has ${info.nodes} nodes and ${info.edges.length} couplings, the network ${network.nodes} and ${network.edges.length}`])
  }
  if (info.nudgeable.length === 0) throw new EqpError('EQP_ERR_BAD_INPUT', ['device', `device '${info.uid}' nudges no node: without a known force the energy scale cannot be identified`])
  const n = info.nodes, m = info.edges.length, nIn = info.clampable.length
  const rng = new Rng(o.seed)
  const base: Params = {
    weights: Float64Array.from(network.weights),
    ...(info.hasBias ? { h: Float64Array.from(network.bias?.h ?? new Array(n).fill(0)), psi: Float64Array.from(network.bias?.psi ?? new Array(n).fill(0)) } : {}),
  }
  const rc = info.ranges.coupling
  const sets: ProbeSet[] = []
  let relaxations = 0, unsettled = 0
  const baseSet = new Float64Array(m)
  try {
    for (let p = 0; p < o.setpointSets; p++) {
      const req = new Float64Array(m)
      for (let k = 0; k < m; k++) req[k] = p === 0 ? base.weights[k] : base.weights[k] + o.perturb * rng.normal()
      await sub.setParams({ ...base, weights: req })
      // what the DAC holds: the model's setpoint s in W = g s + d
      const held = Float64Array.from(req, (v) => applyRange(v, rc))
      if (p === 0) baseSet.set(held)
      const B = o.samples
      const inputs = new Float64Array(B * nIn)
      for (let t = 0; t < inputs.length; t++) inputs[t] = rng.uniform(-o.inputSpread, o.inputSpread)
      const free = await relaxAll(sub, { batch: B, inputs, phase: 'free', start: { kind: 'random', seed: rng.nextU32() } })
      exactClamps(free.states, inputs, info.clampable, n)
      const force = new Float64Array(B * n)
      for (let b = 0; b < B; b++) for (const i of info.nudgeable) force[b * n + i] = o.force * rng.normal()
      const nudged = await relaxAll(sub, { batch: B, inputs, phase: 'nudged', nudge: { kind: 'force', force }, start: { kind: 'given', states: free.states } })
      exactClamps(nudged.states, inputs, info.clampable, n)
      relaxations += 2 * B
      const f = keepSettled(free, n, null), g = keepSettled(nudged, n, force)
      unsettled += f.dropped + g.dropped
      sets.push({ setpoints: held, states: f.states, force: null }, { setpoints: held, states: g.states, force: g.force })
    }
  } finally {
    await sub.setParams(base)
  }
  const clamped = new Uint8Array(n)
  for (const i of info.clampable) clamped[i] = 1
  let fit: XyFit
  try {
    const readoutSigma = o.readoutBits === undefined ? 0 : readoutLsb(o.readoutBits) / Math.sqrt(12)
    fit = fitXyEquilibria({ n, edges: info.edges, clamped, bias: info.hasBias }, sets, o.model, { readoutSigma })
  } catch (e) {
    if (e instanceof RangeError) throw new EqpError('EQP_ERR_BAD_INPUT', ['identify', e.message])
    throw e
  }
  const at = couplingsAt(fit, baseSet)
  const gains = gainsOf(fit, baseSet)
  const h0 = base.h ?? new Float64Array(n), psi0 = base.psi ?? new Float64Array(n)
  const bias = biasOf(fit, h0, psi0)
  const twin = Network.parse({
    ...network,
    weights: Array.from(at.w),
    ...(info.hasBias ? { bias: { h: Array.from(bias.h), psi: Array.from(bias.psi) } } : {}),
  })
  const report: IdentifyReport = {
    uid: info.uid, model: o.model, relaxations, unsettled, equations: fit.rows, unknowns: fit.columns.length,
    residualRms: fit.residualRms, condition: fit.condition, unobservedEdges: fit.unobservedEdges,
    couplings: info.edges.map(([i, j], k) => ({
      edge: [i, j], setpoint: baseSet[k], w: at.w[k], sigma: jsonNum(at.sigma[k]),
      gain: gains.gain[k], gainSigma: jsonNum(gains.gainSigma[k]), offset: gains.offset[k], offsetSigma: jsonNum(gains.offsetSigma[k]),
    })),
    bias: info.hasBias ? Array.from({ length: n }, (_, i) => i).filter((i) => !clamped[i]).map((i) => ({ node: i, h: bias.h[i], hSigma: jsonNum(bias.hSigma[i]), psi: bias.psi[i] })) : [],
  }
  return { report, twin, gain: gains.gain, offset: gains.offset, fit }
}

/** How identified couplings compare with known true ones (a simulated board): errors in units of their reported sigma. */
export interface TruthComparison {
  /** RMS and largest |identified - true| over the observed couplings */
  rmsError: number
  maxError: number
  /** RMS of the true couplings' deviation from their setpoints: what the twin corrects */
  rmsDeviation: number
  /** share of observed couplings whose error is within 1, 2 and 3 reported sigmas */
  within1: number
  within2: number
  within3: number
  /** RMS over the free nodes of the bias field error |h e^(i psi) - h_true e^(i psi_true)| (absent without bias) */
  biasRmsError?: number
}

/** Compares a report with the true physical parameters of a simulated board. */
export function compareWithTruth(report: IdentifyReport, truth: Params): TruthComparison {
  let se = 0, mx = 0, dev = 0, c1 = 0, c2 = 0, c3 = 0, cnt = 0
  const unobserved = new Set(report.unobservedEdges)
  report.couplings.forEach((c, k) => {
    if (unobserved.has(k)) return
    const e = Math.abs(c.w - truth.weights[k])
    se += e * e; mx = Math.max(mx, e); dev += (truth.weights[k] - c.setpoint) ** 2; cnt++
    const s = c.sigma ?? Infinity
    if (e <= s) c1++
    if (e <= 2 * s) c2++
    if (e <= 3 * s) c3++
  })
  const out: TruthComparison = { rmsError: Math.sqrt(se / cnt), maxError: mx, rmsDeviation: Math.sqrt(dev / cnt), within1: c1 / cnt, within2: c2 / cnt, within3: c3 / cnt }
  if (truth.h && report.bias.length > 0) {
    let sb = 0
    const psi = truth.psi ?? new Float64Array(truth.h.length)
    for (const b of report.bias) sb += (b.h * Math.cos(b.psi) - truth.h[b.node] * Math.cos(psi[b.node])) ** 2 + (b.h * Math.sin(b.psi) - truth.h[b.node] * Math.sin(psi[b.node])) ** 2
    out.biasRmsError = Math.sqrt(sb / report.bias.length)
  }
  return out
}
