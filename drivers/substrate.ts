// The one contract every board and every simulator implements. Capabilities are data (info), not
// subclasses; the engine reads them and adapts. Units: phases in rad, times in s.
import { z } from 'zod'
import { ModelName } from '../src/core/network/network.ts'

/** A parameter's physical range; levels = 0 means continuous, otherwise that many evenly spaced values. */
export const Range = z.strictObject({ min: z.number(), max: z.number(), levels: z.int().nonnegative() })
export type Range = z.infer<typeof Range>

export const SubstrateInfo = z.strictObject({
  /** stable identity reported by the board, never a port path */
  uid: z.string().min(1),
  model: ModelName,
  firmware: z.string(),
  protocol: z.string(),
  nodes: z.int().positive(),
  /** the couplings that exist, in parameter order */
  edges: z.array(z.tuple([z.int().nonnegative(), z.int().nonnegative()])),
  /** nodes whose state can be clamped, in the order RelaxRequest.inputs lists values */
  clampable: z.array(z.int().nonnegative()),
  /** nodes that can be nudged, in the order nudge targets are listed */
  nudgeable: z.array(z.int().nonnegative()),
  ranges: z.strictObject({ coupling: Range, bias: Range }),
  /** how many samples one relax() call takes */
  maxBatch: z.int().positive(),
  reports: z.enum(['states', 'states+edges']),
  onBoardLearning: z.boolean(),
  /** whether bias fields (h, psi) exist and can be written */
  hasBias: z.boolean(),
  /** sampling substrates (Ising annealers) only: how one relax call anneals (docs/explanation/substrates.md, Ising annealer) */
  sampler: z.strictObject({
    kind: z.literal('annealer'),
    /** Metropolis sweeps of one forward anneal, and reads (independent anneals) per sample */
    sweeps: z.int().positive(),
    reads: z.int().positive(),
    schedule: z.enum(['geometric', 'linear']),
    /** inverse temperatures (1/energy units) at the hot and cold ends of the forward schedule */
    betaHot: z.number().positive(),
    betaCold: z.number().positive(),
    /** reverse anneal from a given state: back to schedule position reversePoint (0 hot .. 1 cold), hold reverseHold sweeps */
    reversePoint: z.number().min(0).max(1),
    reverseHold: z.int().nonnegative(),
    /** which read a relax call returns per sample */
    returns: z.literal('lowest-energy'),
    /** emulated anneal time per read (us), as D-Wave reports qpu_anneal_time_per_sample */
    annealTimeUs: z.number().positive(),
  }).optional(),
})
export type SubstrateInfo = z.infer<typeof SubstrateInfo>

/** Trainable parameters: couplings per edge, and bias strength h / direction psi (rad) per node. */
export interface Params {
  weights: Float64Array
  h?: Float64Array
  psi?: Float64Array
  /** OIM: second-harmonic injection S per node */
  s?: Float64Array
}

/**
 * The nudge of the nudged phase: beta times the cost on the nudgeable nodes, or an explicit force.
 * On an OIM (info.model 'oim') a cost nudge is always the model's own MSE on cos, beta/2 sum
 * (cos phi_o - y_o)^2 with targets y in [-1, 1], which the board applies as h_o += beta y_o and
 * S_o -= beta/2; the `cost` label is the XY wire name and is not consulted there. On an Ising
 * annealer ('ising') it is 1/2 sum (s_o - y_o)^2 with y = +-1, applied as fields h_o += beta y_o on
 * every spin of output group o; a force nudge there is a constant extra field per node.
 */
export type Nudge =
  | { kind: 'cost'; cost: 'log-cos'; beta: number; /** [batch, nudgeable.length] target phases (rad) */ targets: Float64Array }
  | { kind: 'force'; /** [batch, nodes] constant force on each node (per unit time) */ force: Float64Array }

export type Start =
  /** sample b starts uniformly in (-pi, pi) from the stream seeded (seed + b) mod 2^32 */
  | { kind: 'random'; seed: number }
  | { kind: 'previous' }
  | { kind: 'given'; /** [batch, nodes] (rad) */ states: Float64Array }

export interface RelaxRequest {
  batch: number
  /** [batch, clampable.length] clamped values (rad) */
  inputs: Float64Array
  phase: 'free' | 'nudged'
  nudge?: Nudge
  start: Start
  /** wall-time budget (s) and force-evaluation budget per sample; absent = the device default */
  budget?: { maxTimeS?: number; maxEvals?: number }
}

export interface RelaxResult {
  /** [batch, nodes] equilibrium states (rad) */
  states: Float64Array
  /** internal energy E per sample (without the nudge) */
  energy: Float64Array
  /** 1 where the sample settled (max |force| below tolerance) */
  settled: Uint8Array
  /** relaxation effort per sample: force evaluations (simulators) or board time steps */
  steps: Float64Array
  /** wall time of the call (s) */
  timeS: number
}

/**
 * The rule a board applies itself in on-board learning (SPEC section 13): after a free and a nudged
 * relaxation of each sample, Delta theta = -(eta/beta) mean_b (dE/dtheta(nudged_b) - dE/dtheta(free_b)),
 * with eta for the couplings and biasEta for h and psi (0 = biases stay as they are).
 */
export interface LearnRule { eta: number; biasEta: number; beta: number; estimator: 'one-sided'; cost: 'log-cos' }

export interface LearnStepRequest {
  rule: LearnRule
  batch: number
  /** [batch, clampable.length] clamped values (rad) */
  inputs: Float64Array
  /** [batch, nudgeable.length] target phases (rad) */
  targets: Float64Array
  /** sample b of the free phase starts from the stream seeded (seed + b) mod 2^32, as a random RelaxRequest start */
  seed: number
  budget?: RelaxRequest['budget']
}

export interface LearnStepResult {
  /** [batch, nudgeable.length] output states of the free equilibria (rad) */
  outputs: Float64Array
  /** free samples that settled */
  settled: number
  /** samples whose nudged phase settled and so entered the update (the mean is over these) */
  accumulated: number
  /** wall time of the step (s) */
  timeS: number
}

/** A board that learns by itself: the host sends inputs, targets and a commit, never states or deltas. */
export interface OnBoardLearner {
  /** One EqProp step: free and nudged relaxations of every sample on the board, the update accumulated there and committed once. */
  learnStep(req: LearnStepRequest): Promise<LearnStepResult>
  /** Drops an update accumulated on the board but not committed (a step abandoned midway). */
  discard(): Promise<void>
}

/**
 * A training step's phases in one call: a free relaxation of the batch, then one nudged relaxation per
 * nudge, each starting from the free equilibrium (as `relax` returned it: the states a board reports).
 */
export interface PhaseStepRequest {
  batch: number
  /** [batch, clampable.length] clamped values (rad) */
  inputs: Float64Array
  /** where the free phase starts */
  start: Start
  /** the nudged phases, in order; each starts from the free equilibrium */
  nudges: Nudge[]
  budget?: RelaxRequest['budget']
}

export interface PhaseStepResult { free: RelaxResult; nudged: RelaxResult[] }

export interface Substrate {
  readonly info: SubstrateInfo
  /**
   * Optional: the phases of a step at once, with the results of relax() called phase by phase (a board
   * link sends the nudged phases before the free states have come back; see relaxPhases()).
   */
  relaxPhases?(req: PhaseStepRequest): Promise<PhaseStepResult>
  /** present when the device applies the learning rule itself (info.onBoardLearning) */
  readonly learner?: OnBoardLearner
  /** Writes every parameter; resolves with the values as applied (quantised, clipped). */
  setParams(p: Params): Promise<Params>
  /** Adds delta to the parameters; resolves with the full parameter set as applied. */
  updateParams(delta: Params): Promise<Params>
  /** Reads the parameters as applied. */
  getParams(): Promise<Params>
  /** Relaxes up to info.maxBatch samples; after close() rejects with EQP_ERR_DEVICE_CLOSED. */
  relax(req: RelaxRequest): Promise<RelaxResult>
  close(): Promise<void>
}

/** A step's phases on any substrate: its own relaxPhases when it has one, else relax() phase by phase (s). */
export async function relaxPhases(sub: Substrate, req: PhaseStepRequest): Promise<PhaseStepResult> {
  if (sub.relaxPhases) return sub.relaxPhases(req)
  const { batch, inputs, budget } = req
  const free = await sub.relax({ batch, inputs, phase: 'free', start: req.start, budget })
  const nudged: RelaxResult[] = []
  for (const nudge of req.nudges) nudged.push(await sub.relax({ batch, inputs, phase: 'nudged', nudge, start: { kind: 'given', states: free.states }, budget }))
  return { free, nudged }
}

/** Quantises and clips one value to a range (levels = 0: clip only). */
export function applyRange(v: number, r: Range): number {
  const x = v < r.min ? r.min : v > r.max ? r.max : v
  if (r.levels < 2) return x
  const step = (r.max - r.min) / (r.levels - 1)
  return r.min + Math.round((x - r.min) / step) * step
}

/** A deep copy, so callers never share arrays with a device. */
export function cloneParams(p: Params): Params {
  return { weights: p.weights.slice(), h: p.h?.slice(), psi: p.psi?.slice(), ...(p.s ? { s: p.s.slice() } : {}) }
}

/**
 * The samples [a, e) of a request, with every per-sample array sliced (views, not copies) and a random
 * start's seed moved to sample a, so each sample keeps its own stream (seed + b) whatever the cut.
 * `previous` passes through: the device keeps the previous states of the part it relaxed last.
 */
export function sliceRequest(req: RelaxRequest, a: number, e: number, nodes: number): RelaxRequest {
  const per = (arr: Float64Array) => { const w = arr.length / req.batch; return arr.subarray(a * w, e * w) }
  const start: Start = req.start.kind === 'given' ? { kind: 'given', states: per(req.start.states) }
    : req.start.kind === 'random' ? { kind: 'random', seed: (req.start.seed + a) >>> 0 } : req.start
  const out: RelaxRequest = { batch: e - a, inputs: per(req.inputs), phase: req.phase, start }
  if (req.budget) out.budget = req.budget
  if (req.nudge) out.nudge = req.nudge.kind === 'cost' ? { ...req.nudge, targets: per(req.nudge.targets) } : { kind: 'force', force: req.nudge.force.subarray(a * nodes, e * nodes) }
  return out
}

/** An empty result for `batch` samples of `nodes` nodes, to be filled part by part with putResult. */
export function emptyResult(batch: number, nodes: number): RelaxResult {
  return { states: new Float64Array(batch * nodes), energy: new Float64Array(batch), settled: new Uint8Array(batch), steps: new Float64Array(batch), timeS: 0 }
}

/** Copies the result of the part that starts at sample a into out (times add up). */
export function putResult(out: RelaxResult, part: RelaxResult, a: number, nodes: number): void {
  out.states.set(part.states, a * nodes)
  out.energy.set(part.energy, a)
  out.settled.set(part.settled, a)
  out.steps.set(part.steps, a)
  out.timeS += part.timeS
}
