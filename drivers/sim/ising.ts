// The simulated Ising annealer: binary spins sampled by simulated annealing (single-spin Metropolis)
// with the same physics module the engine uses. The free phase from a random start is a forward
// anneal (hot -> cold); a phase started from given or previous states is a reverse anneal from them
// (cold -> reverse point -> hold -> cold), as D-Wave's reverse annealing with initial_state does. Each
// sample takes `reads` anneals and returns the read of lowest energy (E plus the nudge's energy).
// Inputs are clamped values acting as fields; the nudge is h_o += beta y_o on every output spin.
import { z } from 'zod'
import { EqpError } from '../../src/errors.ts'
import { checkRelaxRequest } from './check-request.ts'
import { simulatorInfo } from './sim-info.ts'
import { Network } from '../../src/core/network/network.ts'
import { compileIsing, isingEnergy, isingNudgeFields, type IsingNet } from '../../src/core/physics/ising.ts'
import { forwardSchedule, isingFields, metropolisSweeps, reverseSchedule, SCHEDULE_KINDS } from '../../src/core/solvers/anneal.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { addToSetpoints, CouplingPath, Imperfections } from './imperfections.ts'
import { applyRange, cloneParams, Range, type Params, type RelaxRequest, type RelaxResult, type Substrate, type SubstrateInfo } from '../substrate.ts'

/** The annealing schedule; the defaults are this simulator's, in the units of J (|J| <= 1). */
export const IsingAnneal = z.strictObject({
  /** Metropolis sweeps of one forward anneal (one sweep = one attempted flip per free spin) */
  sweeps: z.int().positive().max(1_000_000).default(100),
  /** independent anneals per sample (D-Wave num_reads); the lowest-energy read is returned */
  reads: z.int().positive().max(10_000).default(1),
  schedule: z.enum(SCHEDULE_KINDS).default('geometric'),
  /** inverse temperature (1/energy) at the hot and cold ends; equal values give a constant-temperature sampler */
  betaHot: z.number().positive().default(0.1),
  betaCold: z.number().positive().default(10),
  /** reverse anneal: schedule position to go back to (0 = hottest, 1 = coldest, like D-Wave's s_p) */
  reversePoint: z.number().min(0).max(1).default(0.5),
  /** sweeps held at the reverse point */
  reverseHold: z.int().nonnegative().max(1_000_000).default(0),
  /** emulated anneal time per read (us), reported in info.sampler only (D-Wave's default is 20 us) */
  annealTimeUs: z.number().positive().default(20),
})
export type IsingAnneal = z.infer<typeof IsingAnneal>

export const SimIsingOptions = z.strictObject({
  uid: z.string().min(1).optional(),
  /** sweep budget per sample over all its reads; a cut schedule reports settled 0 */
  maxEvals: z.int().positive().default(100_000_000),
  maxBatch: z.int().positive().default(4096),
  ...IsingAnneal.shape,
  /** J as the annealer applies it: D-Wave Advantage's j_range */
  coupling: Range.default({ min: -1, max: 1, levels: 0 }),
  /** h as the annealer applies it: D-Wave Advantage's h_range (input and nudge fields are not clipped) */
  bias: Range.default({ min: -4, max: 4, levels: 0 }),
  /** seeds the sampling streams of calls that start from given or previous states */
  seed: z.int().min(0).max(2 ** 32 - 1).default(0),
  /** coupling variation and drift apply; readout bits and Langevin noise are phase options (spins are 1-bit and sampled) */
  ...Imperfections.pick({ variation: true, deviceSeed: true, drift: true }).shape,
})
export type SimIsingOptions = z.infer<typeof SimIsingOptions>
export type SimIsingOptionsInput = z.input<typeof SimIsingOptions>

/** Simulated Ising annealer (model 'ising'); clampable = inputs, nudgeable = outputs (each with its replicas). */
export class SimIsingSubstrate implements Substrate {
  readonly info: SubstrateInfo
  private readonly net: IsingNet
  private readonly opts: SimIsingOptions
  private readonly fwd: Float64Array
  private readonly rev: Float64Array
  private readonly x: Float64Array
  private readonly x0: Float64Array
  private readonly best: Float64Array
  private readonly field: Float64Array
  private readonly ext: Float64Array
  private readonly setW: Float64Array
  private readonly path: CouplingPath
  private readonly callRng: Rng
  private prev: Float64Array | null = null
  private closed = false
  /** Metropolis sweeps done so far (all reads); what the trainer reports as force evaluations */
  forceEvals = 0

  constructor(network: Network, options: SimIsingOptionsInput = {}) {
    const net = Network.parse(network)
    this.opts = SimIsingOptions.parse(options)
    const o = this.opts
    this.net = compileIsing(net)
    const n = this.net.n
    this.fwd = forwardSchedule(o.schedule, o.betaHot, o.betaCold, o.sweeps)
    this.rev = reverseSchedule(this.fwd, o.reversePoint, o.reverseHold)
    this.x = new Float64Array(n); this.x0 = new Float64Array(n); this.best = new Float64Array(n)
    this.field = new Float64Array(n); this.ext = new Float64Array(n)
    this.setW = new Float64Array(this.net.m)
    this.path = new CouplingPath(this.net.m, o)
    this.callRng = new Rng(o.seed)
    this.info = {
      ...simulatorInfo('ising', net, o),
      sampler: {
        kind: 'annealer', sweeps: o.sweeps, reads: o.reads, schedule: o.schedule, betaHot: o.betaHot, betaCold: o.betaCold,
        reversePoint: o.reversePoint, reverseHold: o.reverseHold, returns: 'lowest-energy', annealTimeUs: o.annealTimeUs,
      },
    }
    this.write({ weights: this.net.w.slice(), h: this.net.h.slice() })
  }

  private check(): void {
    if (this.closed) throw new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid])
  }

  private write(p: Params): void {
    const { w, h, m, n } = this.net
    const rc = this.opts.coupling
    if (p.weights.length !== m) throw new EqpError('EQP_ERR_BAD_INPUT', ['weights', `expected ${m} values, got ${p.weights.length}`])
    for (let k = 0; k < m; k++) this.setW[k] = applyRange(p.weights[k], rc)
    this.path.apply(this.setW, rc.min, rc.max, w)
    if (p.h) {
      if (p.h.length !== n) throw new EqpError('EQP_ERR_BAD_INPUT', ['h', `expected ${n} values, got ${p.h.length}`])
      for (let i = 0; i < n; i++) h[i] = applyRange(p.h[i], this.opts.bias)
    }
  }

  private read(): Params {
    return { weights: this.net.w.slice(), h: this.net.h.slice() }
  }

  async setParams(p: Params): Promise<Params> { this.check(); this.write(p); return this.read() }

  async updateParams(d: Params): Promise<Params> {
    this.check()
    this.write(addToSetpoints(this.read(), this.setW, d))
    return this.read()
  }

  async getParams(): Promise<Params> { this.check(); return cloneParams(this.read()) }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    this.check()
    const t0 = performance.now()
    const net = this.net, { n } = net
    const B = req.batch, nIn = this.info.clampable.length, nOut = this.info.nudgeable.length
    const nudge = checkRelaxRequest(this.info, req, this.prev ? this.prev.length : null)
    const start = req.start
    const rc = this.opts.coupling
    if (this.path.step()) this.path.apply(this.setW, rc.min, rc.max, net.w)
    const budget = req.budget?.maxEvals ?? this.opts.maxEvals
    const deadline = req.budget?.maxTimeS !== undefined ? t0 + req.budget.maxTimeS * 1000 : Infinity
    const states = new Float64Array(B * n), energy = new Float64Array(B), settled = new Uint8Array(B), steps = new Float64Array(B)
    const { x, x0, best, field, ext } = this
    const clamp = this.info.clampable, free = net.free
    // a random start anneals forward; a given or previous state is the initial state of a reverse anneal
    const sched = start.kind === 'random' ? this.fwd : this.rev
    const callSeed = start.kind === 'random' ? 0 : this.callRng.nextU32()
    const hasExt = nudge !== undefined
    for (let b = 0; b < B; b++) {
      const off = b * n
      const rng = new Rng(start.kind === 'random' ? (start.seed + b) >>> 0 : (callSeed + b) >>> 0)
      if (start.kind === 'given') for (let i = 0; i < n; i++) x0[i] = start.states[off + i] >= 0 ? 1 : -1
      else if (start.kind === 'previous') x0.set(this.prev!.subarray(off, off + n))
      for (let k = 0; k < nIn; k++) x0[clamp[k]] = req.inputs[b * nIn + k]
      if (nudge?.kind === 'cost') isingNudgeFields(net, nudge.targets, b * nOut, nudge.beta, ext)
      else if (nudge?.kind === 'force') ext.set(nudge.force.subarray(off, off + n))
      let bestScore = Infinity, done = 0, complete = performance.now() < deadline ? 1 : 0
      // a sample that gets no read (deadline) returns its start: the given state or random spins
      best.set(x0)
      if (start.kind === 'random' && !complete) for (let q = 0; q < free.length; q++) best[free[q]] = rng.nextU32() & 1 ? 1 : -1
      for (let r = 0; r < this.opts.reads && complete; r++) {
        x.set(x0)
        if (start.kind === 'random') for (let q = 0; q < free.length; q++) x[free[q]] = rng.nextU32() & 1 ? 1 : -1
        if (r === 0) best.set(x)
        const run = Math.min(sched.length, budget - done)
        if (run < sched.length) complete = 0
        if (run <= 0 && sched.length > 0) break
        isingFields(net, x, hasExt ? ext : null, field)
        metropolisSweeps(net, x, field, sched, 0, run, rng)
        done += run
        // the read's total energy under this phase's fields: E minus the nudge/force field energy
        let score = isingEnergy(net, x, 0)
        if (hasExt) for (let q = 0; q < free.length; q++) score -= ext[free[q]] * x[free[q]]
        if (score < bestScore) { bestScore = score; best.set(x) }
      }
      settled[b] = complete
      steps[b] = done
      this.forceEvals += done
      states.set(best, off)
      energy[b] = isingEnergy(net, best, 0)
    }
    this.prev = states.slice()
    return { states, energy, settled, steps, timeS: (performance.now() - t0) / 1000 }
  }

  async close(): Promise<void> { this.closed = true }
}
