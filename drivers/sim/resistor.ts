// The simulated resistor network: node voltages relaxed by exact coordinate descent (nodal analysis)
// with the same physics module the engine uses. Inputs are voltage sources (duplicated +-x by the sign
// of each input edge), hidden nodes carry ideal diodes, the nudge is beta times the output MSE (a
// conductance beta to a source at the target). The board keeps conductances between nodes >= 0.
// Its amplifiers (input gain, bidirectional inter-layer amplifiers) come with the network (Network.gain),
// so the engine computes observables with the same gains; states report x, not G x, on input nodes.
import { z } from 'zod'
import { EqpError } from '../../src/errors.ts'
import { checkRelaxRequest } from './check-request.ts'
import { simulatorInfo } from './sim-info.ts'
import { Network } from '../../src/core/network/network.ts'
import { compileResistor, compileResistorFold, foldResistorInputs, outputIndex, relaxResistor, relaxResistorFolded, resistorEnergy, resistorEnergyFolded, type ResistorFold, type ResNet } from '../../src/core/physics/resistor.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { CouplingPath, Imperfections } from './imperfections.ts'
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
  /** coupling variation and drift apply; readout bits and noise are phase options and are refused */
  ...Imperfections.pick({ variation: true, deviceSeed: true, drift: true }).shape,
  /**
   * fold the input sources into a constant current per free node once per sample, so sweeps and the
   * reported energy visit only free-free edges (same result to the last bits); false = the old
   * sweep over every edge
   */
  fold: z.boolean().default(true),
})
export type SimResistorOptionsInput = z.input<typeof SimResistorOptions>

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
  forceEvals = 0

  constructor(network: Network, options: SimResistorOptionsInput = {}) {
    const net = Network.parse(network)
    this.opts = SimResistorOptions.parse(options)
    this.net = compileResistor(net, this.opts.leak)
    this.x = new Float64Array(this.net.n)
    this.outIdx = outputIndex(this.net)
    this.fold = this.opts.fold ? compileResistorFold(this.net) : null
    this.setW = new Float64Array(this.net.m)
    this.path = new CouplingPath(this.net.m, this.opts)
    this.info = simulatorInfo('resistor', net, this.opts)
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
  }

  private read(): Params {
    return { weights: this.net.w.slice(), h: this.net.b.slice() }
  }

  async setParams(p: Params): Promise<Params> { this.check(); this.write(p); return this.read() }

  async updateParams(d: Params): Promise<Params> {
    this.check()
    const cur = this.read()
    cur.weights.set(this.setW)
    for (let k = 0; k < cur.weights.length; k++) cur.weights[k] += d.weights[k]
    if (d.h) for (let i = 0; i < this.net.n; i++) cur.h![i] += d.h[i]
    this.write(cur)
    return this.read()
  }

  async getParams(): Promise<Params> { this.check(); return cloneParams(this.read()) }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    this.check()
    const t0 = performance.now()
    const { n } = this.net
    const B = req.batch, nIn = this.info.clampable.length, nOut = this.info.nudgeable.length
    const nudge = checkRelaxRequest(this.info, req, this.prev ? this.prev.length : null)
    const start = req.start
    const rc = this.opts.coupling
    if (this.path.step()) this.path.apply(this.setW, rc.min, rc.max, this.net.w)
    const maxSweeps = req.budget?.maxEvals ?? this.opts.maxEvals
    const deadline = req.budget?.maxTimeS !== undefined ? t0 + req.budget.maxTimeS * 1000 : Infinity
    const states = new Float64Array(B * n), energy = new Float64Array(B), settled = new Uint8Array(B), steps = new Float64Array(B)
    const x = this.x, clamp = this.info.clampable
    for (let b = 0; b < B; b++) {
      const off = b * n
      if (start.kind === 'random') {
        // a convex landscape: the start only changes how many sweeps it takes
        const rng = new Rng((start.seed + b) >>> 0)
        for (let i = 0; i < n; i++) x[i] = rng.uniform(-1, 1)
      } else if (start.kind === 'given') for (let i = 0; i < n; i++) x[i] = start.states[off + i]
      else for (let i = 0; i < n; i++) x[i] = this.prev![off + i]
      for (let k = 0; k < nIn; k++) x[clamp[k]] = req.inputs[b * nIn + k]
      // input currents once per sample: the sweeps and the energy below then skip the input edges
      const fold = this.fold
      if (fold) foldResistorInputs(this.net, fold, x)
      if (performance.now() < deadline) {
        const cost = nudge?.kind === 'cost' ? nudge : null, force = nudge?.kind === 'force' ? nudge.force : null
        const st = fold
          ? relaxResistorFolded(this.net, fold, x, cost ? cost.beta : 0, cost ? cost.targets : null, b * nOut, force, off, this.opts.tol, maxSweeps, this.outIdx)
          : relaxResistor(this.net, x, cost ? cost.beta : 0, cost ? cost.targets : null, b * nOut, force, off, this.opts.tol, maxSweeps, this.outIdx)
        settled[b] = st.settled ? 1 : 0
        steps[b] = st.sweeps
        this.forceEvals += st.sweeps
      }
      states.set(x, off)
      energy[b] = fold ? resistorEnergyFolded(this.net, fold, x) : resistorEnergy(this.net, x, 0)
    }
    this.prev = states.slice()
    return { states, energy, settled, steps, timeS: (performance.now() - t0) / 1000 }
  }

  async close(): Promise<void> { this.closed = true }
}
