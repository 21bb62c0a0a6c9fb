// The simulated resistor network: node voltages relaxed by exact coordinate descent (nodal analysis)
// with the same physics module the engine uses. Inputs are voltage sources (duplicated +-x by the sign
// of each input edge), hidden nodes carry ideal diodes, the nudge is beta times the output MSE (a
// conductance beta to a source at the target). The board keeps conductances between nodes >= 0.
// Its amplifiers (input gain, bidirectional inter-layer amplifiers) come with the network (Network.gain),
// so the engine computes observables with the same gains; states report x, not G x, on input nodes.
// Imperfections: coupling variation and drift (shared with the phase simulators), an ADC readout of
// readoutBits over [-readoutRange, readoutRange) V, and thermal noise as Langevin dynamics on the node
// voltages after the deterministic relaxation (src/core/physics/resistor.ts, resistorLangevin).
import { z } from 'zod'
import { EqpError } from '../../src/errors.ts'
import { checkRelaxRequest } from './check-request.ts'
import { simulatorInfo } from './sim-info.ts'
import { Network } from '../../src/core/network/network.ts'
import { compileResistor, compileResistorFold, createResistorNoiseWork, foldResistorInputs, outputIndex, relaxResistor, relaxResistorFolded, resistorEnergy, resistorEnergyFolded, resistorLangevin, type ResistorFold, type ResistorNoiseWork, type ResNet } from '../../src/core/physics/resistor.ts'
import { ResistorLockstep, type ResistorLockstepStats } from '../../src/core/physics/resistor-lockstep.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { addToSetpoints, CouplingPath, Imperfections, noiseStream, quantiseVoltages } from './imperfections.ts'
import { applyRange, cloneParams, Range, type Params, type RelaxRequest, type RelaxResult, type Substrate, type SubstrateInfo } from '../substrate.ts'

export const SimResistorOptions = z.strictObject({
  uid: z.string().min(1).optional(),
  /** settle when no node voltage changes by more than tol in a sweep (V) */
  tol: z.number().positive().default(1e-9),
  /** sweep budget per sample (one sweep = one exact update of every free node) */
  maxEvals: z.int().positive().default(20_000),
  maxBatch: z.int().positive().default(4096),
  /** leak conductance of every free node to ground */
  leak: z.number().positive().default(0.01),
  coupling: Range.default({ min: -1e6, max: 1e6, levels: 0 }),
  bias: Range.default({ min: -1e6, max: 1e6, levels: 0 }),
  /** readout bits (ADC codes over +-readoutRange), thermal noise on the node voltages, coupling variation and drift; all off by default */
  ...Imperfections.shape,
  /** ADC full scale vMax (V); default the largest source-driven node voltage, max(1, G prod A) (see defaultReadoutRange) */
  readoutRange: z.number().positive().optional(),
  /**
   * fold the input sources into a constant current per free node once per sample, so sweeps and the
   * reported energy visit only free-free edges (same result to the last bits); false = the old
   * sweep over every edge
   */
  fold: z.boolean().default(true),
  /**
   * how a batch relaxes: 'lockstep' (absent) = on a layered network (with fold on, no noise, no time
   * budget), the whole batch together, layer by layer, inputs folded as one product for the batch (same
   * voltages to the last bit); 'per-sample' = one sample after the other always (the reference)
   */
  batching: z.enum(['lockstep', 'per-sample']).optional(),
})
export type SimResistorOptionsInput = z.input<typeof SimResistorOptions>

/**
 * Default ADC full scale (V): with no bias currents every node voltage lies within G prod_{k<d} A_k of
 * 0 (in U = V / gains-so-far the net is passive with sources |x| <= 1), and the targets are +-1; so
 * max(1, G, G A_1, G A_1 A_2, ...). Bias currents can push nodes beyond it: the readout then clips.
 */
export function defaultReadoutRange(net: Network): number {
  let p = net.gain?.input ?? 1, v = Math.max(1, p)
  for (const a of net.gain?.layers ?? []) { p *= a; v = Math.max(v, p) }
  return v
}

/** Simulated resistor network (model 'resistor'); clampable = inputs, nudgeable = outputs. */
export class SimResistorSubstrate implements Substrate {
  readonly info: SubstrateInfo
  private readonly net: ResNet
  private readonly opts: z.infer<typeof SimResistorOptions>
  private readonly x: Float64Array
  private readonly outIdx: Int32Array
  private readonly setW: Float64Array
  private readonly path: CouplingPath
  /** free-free adjacency and per-sample input currents (null = sweep every edge) */
  private readonly fold: ResistorFold | null
  private prev: Float64Array | null = null
  private closed = false
  /** ADC full scale (V) */
  private readonly vMax: number
  /** seeds the noise of calls that do not start from a random seed */
  private readonly noiseRng: Rng
  /** Langevin scratch (null without noise) */
  private readonly noiseWork: ResistorNoiseWork | null
  forceEvals = 0
  /** the layered batch plan (null: sample by sample) and why it is not used when it is not */
  private readonly lockstep: ResistorLockstep | null = null
  readonly lockstepReason: string | null = null
  private lockstepStats: ResistorLockstepStats | null = null
  /** bumped whenever the physical conductances or biases change: the lockstep plan refreshes, its fold is redone */
  private version = 0
  private lockstepVersion = -1
  /** the inputs (and version) of the batch last folded by the lockstep plan: the nudged phase reuses the free phase's fold */
  private foldedInputs: Float64Array | null = null
  private foldedVersion = -1

  constructor(network: Network, options: SimResistorOptionsInput = {}) {
    const net = Network.parse(network)
    this.opts = SimResistorOptions.parse(options)
    this.net = compileResistor(net, this.opts.leak)
    this.x = new Float64Array(this.net.n)
    this.outIdx = outputIndex(this.net)
    this.fold = this.opts.fold ? compileResistorFold(this.net) : null
    this.setW = new Float64Array(this.net.m)
    this.path = new CouplingPath(this.net.m, this.opts)
    this.vMax = this.opts.readoutRange ?? defaultReadoutRange(net)
    this.noiseRng = new Rng(this.opts.noiseSeed)
    this.noiseWork = this.opts.noise && this.opts.noise.sigma > 0 ? createResistorNoiseWork(this.net.n) : null
    this.info = simulatorInfo('resistor', net, this.opts)
    if (this.opts.batching === 'per-sample') this.lockstepReason = 'batching per-sample'
    else if (!this.fold) this.lockstepReason = 'fold off'
    else {
      const ls = ResistorLockstep.build(this.net, this.outIdx)
      if (typeof ls === 'string') this.lockstepReason = ls
      else this.lockstep = ls
    }
    this.write({ weights: this.net.w.slice(), h: this.net.b.slice() })
  }

  private check(): void {
    if (this.closed) throw new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid])
  }

  private write(p: Params): void {
    const { w, b, m, n, ei, ej, clamped } = this.net
    const rc = this.opts.coupling
    if (p.weights.length !== m) throw new EqpError('EQP_ERR_BAD_INPUT', ['weights', `expected ${m} values, got ${p.weights.length}`])
    for (let k = 0; k < m; k++) {
      const v = applyRange(p.weights[k], rc)
      // a conductance between two nodes cannot be negative; only an input edge's sign means +x or -x
      this.setW[k] = clamped[ei[k]] || clamped[ej[k]] ? v : Math.max(0, v)
    }
    this.path.apply(this.setW, rc.min, rc.max, w)
    for (let k = 0; k < m; k++) if (!clamped[ei[k]] && !clamped[ej[k]] && w[k] < 0) w[k] = 0
    if (p.h) {
      if (p.h.length !== n) throw new EqpError('EQP_ERR_BAD_INPUT', ['h', `expected ${n} values, got ${p.h.length}`])
      for (let i = 0; i < n; i++) b[i] = applyRange(p.h[i], this.opts.bias)
    }
    this.version++
  }

  /** How a batch relaxes: inputs folded or not, and the whole batch in lockstep or one sample after the other. */
  kernelInUse(): { kernel: 'folded' | 'typed'; batching: 'lockstep' | 'per-sample' } {
    return { kernel: this.fold ? 'folded' : 'typed', batching: this.lockstep ? 'lockstep' : 'per-sample' }
  }

  /** sample-sweeps the lockstep path has done (a settled sample adds none; 0 without it) */
  get lockstepSweeps(): number { return this.lockstep?.sampleSweeps ?? 0 }

  private read(): Params {
    return { weights: this.net.w.slice(), h: this.net.b.slice() }
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
    const { n } = this.net
    const B = req.batch, nOut = this.info.nudgeable.length
    const nudge = checkRelaxRequest(this.info, req, this.prev ? this.prev.length : null)
    const start = req.start
    const rc = this.opts.coupling
    if (this.path.step()) { this.path.apply(this.setW, rc.min, rc.max, this.net.w); this.version++ }
    const maxSweeps = req.budget?.maxEvals ?? this.opts.maxEvals
    const deadline = req.budget?.maxTimeS !== undefined ? t0 + req.budget.maxTimeS * 1000 : Infinity
    const states = new Float64Array(B * n), energy = new Float64Array(B), settled = new Uint8Array(B), steps = new Float64Array(B)
    const x = this.x
    // noise after the deterministic relaxation, as the XY option: time/dt steps, cut to the sweep budget
    const noise = this.noiseWork ? this.opts.noise! : null
    const noiseSteps = noise ? Math.ceil(noise.time / noise.dt) : 0
    const lo = noise ? { sigma: noise.sigma, dt: noise.dt, sweeps: Math.min(noiseSteps, maxSweeps) } : null
    // drawn only with noise on, so the noise-free stream of calls is untouched
    const callSeed = noise ? this.noiseRng.nextU32() : 0
    const cost = nudge?.kind === 'cost' ? nudge : null, force = nudge?.kind === 'force' ? nudge.force : null
    if (this.lockstep && !noise && deadline === Infinity) {
      this.relaxLockstep(this.lockstep, req, cost ? cost.beta : 0, cost ? cost.targets : null, force, maxSweeps, states, energy, settled, steps)
      return this.finish(states, energy, settled, steps, t0)
    }
    for (let b = 0; b < B; b++) {
      const off = b * n
      this.startState(req, b, x)
      // input currents once per sample: the sweeps and the energy below then skip the input edges
      const fold = this.fold
      if (fold) foldResistorInputs(this.net, fold, x)
      if (performance.now() < deadline) {
        const st = fold
          ? relaxResistorFolded(this.net, fold, x, cost ? cost.beta : 0, cost ? cost.targets : null, b * nOut, force, off, this.opts.tol, maxSweeps, this.outIdx)
          : relaxResistor(this.net, x, cost ? cost.beta : 0, cost ? cost.targets : null, b * nOut, force, off, this.opts.tol, maxSweeps, this.outIdx)
        settled[b] = st.settled ? 1 : 0
        steps[b] = st.sweeps
        this.forceEvals += st.sweeps
        if (lo) {
          resistorLangevin(this.net, fold, x, cost ? cost.beta : 0, cost ? cost.targets : null, b * nOut, force, off, lo,
            noiseStream(start.kind === 'random' ? start.seed : null, callSeed, b), this.outIdx, this.noiseWork!)
          if (noiseSteps > lo.sweeps) settled[b] = 0
          steps[b] += lo.sweeps
          this.forceEvals += lo.sweeps
        }
      }
      states.set(x, off)
      energy[b] = fold ? resistorEnergyFolded(this.net, fold, x) : resistorEnergy(this.net, x, 0)
    }
    return this.finish(states, energy, settled, steps, t0)
  }

  /** Keeps the physical states for 'previous' starts, then applies the ADC readout. */
  private finish(states: Float64Array, energy: Float64Array, settled: Uint8Array, steps: Float64Array, t0: number): RelaxResult {
    const n = this.net.n
    this.prev = states.slice()
    // the board reads its node voltages with an ADC; 'previous' still continues from the physical state
    if (this.opts.readoutBits !== undefined) quantiseVoltages(states, n, this.net.clamped, this.opts.readoutBits, this.vMax)
    return { states, energy, settled, steps, timeS: (performance.now() - t0) / 1000 }
  }

  /** The start state of sample b (random, given or previous; inputs set) into x[0 .. n). */
  private startState(req: RelaxRequest, b: number, x: Float64Array): void {
    const n = this.net.n, off = b * n, start = req.start, nIn = this.info.clampable.length, clamp = this.info.clampable
    if (start.kind === 'random') {
      // a convex landscape: the start only changes how many sweeps it takes
      const rng = new Rng((start.seed + b) >>> 0)
      for (let i = 0; i < n; i++) x[i] = rng.uniform(-1, 1)
    } else if (start.kind === 'given') for (let i = 0; i < n; i++) x[i] = start.states[off + i]
    else for (let i = 0; i < n; i++) x[i] = this.prev![off + i]
    for (let k = 0; k < nIn; k++) x[clamp[k]] = req.inputs[b * nIn + k]
  }

  /**
   * The whole batch relaxed in lockstep by the layered plan: the same voltages, sweep counts and
   * energies as the per-sample folded path. The fold is skipped when the inputs and conductances are
   * those of the batch folded last (the nudged phase after its free phase).
   */
  private relaxLockstep(ls: ResistorLockstep, req: RelaxRequest, beta: number, y: Float64Array | null, ext: Float64Array | null, maxSweeps: number,
    states: Float64Array, energy: Float64Array, settled: Uint8Array, steps: Float64Array): void {
    const { n } = this.net, B = req.batch, nIn = this.info.clampable.length, fold = this.fold!
    if (this.lockstepVersion !== this.version) { ls.refresh(); this.lockstepVersion = this.version }
    if (!this.sameFold(req.inputs, B * nIn)) {
      ls.fold(req.inputs, B, nIn)
      this.foldedInputs = req.inputs.slice(0, B * nIn)
      this.foldedVersion = this.version
    }
    if (!this.lockstepStats || this.lockstepStats.settled.length < B) {
      this.lockstepStats = { settled: new Uint8Array(B), sweeps: new Float64Array(B), maxChange: new Float64Array(B) }
    }
    const st = this.lockstepStats, x = this.x, nf = ls.nf, fn = ls.freeNode, v = ls.v
    for (let b = 0; b < B; b++) {
      this.startState(req, b, x)
      for (let f = 0; f < nf; f++) v[b * nf + f] = x[fn[f]]
    }
    ls.relax(B, { beta, y, ext }, this.opts.tol, maxSweeps, st)
    // the energy from the fold, term for term as the per-sample path sums it
    fold.gIn.set(ls.gIn)
    fold.iIn.fill(0)
    const s1 = ls.size[1], o1 = ls.nodeOff[1], clamp = this.info.clampable
    for (let b = 0; b < B; b++) {
      const off = b * n
      for (let k = 0; k < nIn; k++) x[clamp[k]] = req.inputs[b * nIn + k]
      for (let f = 0; f < nf; f++) x[fn[f]] = v[b * nf + f]
      states.set(x, off)
      for (let j = 0; j < s1; j++) fold.iIn[o1 + j] = ls.iIn[b * s1 + j]
      fold.c0 = ls.c0[b]
      energy[b] = resistorEnergyFolded(this.net, fold, x)
      settled[b] = st.settled[b]
      steps[b] = st.sweeps[b]
      this.forceEvals += st.sweeps[b]
    }
  }

  /** Whether the lockstep plan's fold is of these inputs under the current conductances. */
  private sameFold(inputs: Float64Array, len: number): boolean {
    const f = this.foldedInputs
    if (!f || this.foldedVersion !== this.version || f.length !== len) return false
    for (let i = 0; i < len; i++) if (f[i] !== inputs[i]) return false
    return true
  }

  async close(): Promise<void> { this.closed = true }
}
