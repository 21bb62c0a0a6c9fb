// The simulated oscillator Ising machine: phases with couplings J, first-harmonic fields h and
// second-harmonic injection S, relaxed with the same physics module the engine uses. Inputs are
// clamped values in [-1, 1] acting as fields; the nudge is the MSE on cos(phi_out), which a board
// applies by rewriting h and S on the output oscillators. Board imperfections are options.
import { z } from 'zod'
import { EqpError } from '../../src/errors.ts'
import { checkRelaxRequest } from './check-request.ts'
import { FOLD_AUTO_MIN_EDGES, phaseSimOptionsShape, simulatorInfo, checkEliminate } from './sim-info.ts'
import { Network } from '../../src/core/network/network.ts'
import { compileOim, oimEnergy, type OimNet } from '../../src/core/physics/oim.ts'
import { OimSystem } from '../../src/core/physics/oim-system.ts'
import { OimFoldPlan, OimFoldSystem } from '../../src/core/physics/oim-fold.ts'
import { OimLockstep } from '../../src/core/physics/oim-lockstep.ts'
import { BatchScratch, newBatchStats, relaxEliminateBatch } from '../../src/core/solvers/eliminate-lockstep.ts'
import { EnvelopeMatrix } from '../../src/core/solvers/envelope.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { createRelaxWorkspace, DEFAULT_SOLVE, relaxBy, relaxLangevin, type RelaxWorkspace, type SolveOptions } from '../../src/core/solvers/index.ts'
import { addToSetpointsInPlace, checkUpdateLengths, CouplingPath, noiseStream, quantiseReadout } from './imperfections.ts'
import { applyRange, cloneParams, type Params, type RelaxRequest, type RelaxResult, type Substrate, type SubstrateInfo } from '../substrate.ts'

/** J, h and S as the board applies them: `coupling` and `bias` (2505.02103 clips all three to +-1) */
export const SimOimOptions = z.strictObject(phaseSimOptionsShape('fire-newton'))
export type SimOimOptions = z.infer<typeof SimOimOptions>
export type SimOimOptionsInput = z.input<typeof SimOimOptions>

/** Samples per lockstep chunk: bounds the kernels' and the node arrays' memory (about 160 KB per sample on 784-500-10). */
const LOCKSTEP_CHUNK = 256


/** Simulated OIM over a network description (model 'oim'); clampable = inputs, nudgeable = outputs. */
export class SimOimSubstrate implements Substrate {
  readonly info: SubstrateInfo
  private readonly net: OimNet
  private readonly sys: OimSystem
  private readonly ws: RelaxWorkspace
  private readonly opts: SimOimOptions
  private readonly x: Float64Array
  private readonly setW: Float64Array
  private readonly path: CouplingPath
  private readonly noiseRng: Rng
  private prev: Float64Array | null = null
  private closed = false
  forceEvals = 0
  /** folded path (null = per-edge loops over the full network): compact system, its workspace and scratch */
  private readonly fold: { plan: OimFoldPlan; sys: OimFoldSystem; ws: RelaxWorkspace; xc: Float64Array; ext: Float64Array } | null = null
  /** solver 'eliminate' over a whole batch in lockstep (null: one sample after the other) */
  private readonly lockstep: { ls: OimLockstep; sc: BatchScratch } | null = null
  /** kernel rows of the lockstep solver since creation (for tests: settled samples cost none) */
  readonly lockstepRows = { align: 0, force: 0, hessian: 0 }

  constructor(network: Network, options: SimOimOptionsInput = {}) {
    const net = Network.parse(network)
    this.opts = SimOimOptions.parse(options)
    this.net = compileOim(net)
    this.sys = new OimSystem(this.net)
    this.ws = createRelaxWorkspace(this.net.n, this.sys.bandwidth)
    this.x = new Float64Array(this.net.n)
    this.setW = new Float64Array(this.net.m)
    this.path = new CouplingPath(this.net.m, this.opts)
    this.noiseRng = new Rng(this.opts.noiseSeed)
    this.info = simulatorInfo('oim', net, this.opts)
    const kernel = this.opts.kernel ?? 'auto'
    // an OIM input's field is one dot product per free node: no dense blocks needed, any topology folds
    const clampedOut = this.net.outputs.some((o) => this.net.clamped[o] === 1)
    const plan = kernel === 'typed' || clampedOut || this.net.inputs.length === 0 ? null : new OimFoldPlan(this.net)
    if (plan && (kernel === 'dense' || plan.foldedCouplings >= FOLD_AUTO_MIN_EDGES)) {
      const sys = new OimFoldSystem(plan), nf = plan.compact.n
      // the free nodes of a layered net have an arrow-shaped Hessian: envelope Cholesky, not band
      const ws = { ...createRelaxWorkspace(nf, 0), H: new EnvelopeMatrix(nf, sys.bandwidth) }
      this.fold = { plan, sys, ws, xc: new Float64Array(nf), ext: new Float64Array(nf) }
    }
    checkEliminate(this.opts, this.fold?.sys ?? this.sys, 'oim')
    if (this.fold && this.opts.solver === 'eliminate' && this.opts.dynamics === 'converged' && this.opts.batching !== 'per-sample') {
      const ls = OimLockstep.build(this.fold.plan)
      if (typeof ls !== 'string') this.lockstep = { ls, sc: new BatchScratch() }
    }
    this.write({ weights: this.net.w.slice(), h: this.net.h.slice(), s: this.net.s.slice() })
  }

  private check(): void {
    if (this.closed) throw new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid])
  }

  private write(p: Params): void {
    const { w, h, s, m, n } = this.net
    const rc = this.opts.coupling, rb = this.opts.bias
    if (p.weights.length !== m) throw new EqpError('EQP_ERR_BAD_INPUT', ['weights', `expected ${m} values, got ${p.weights.length}`])
    for (let k = 0; k < m; k++) this.setW[k] = applyRange(p.weights[k], rc)
    this.path.apply(this.setW, rc.min, rc.max, w)
    for (const [v, dst, name] of [[p.h, h, 'h'], [p.s, s, 's']] as const) {
      if (!v) continue
      if (v.length !== n) throw new EqpError('EQP_ERR_BAD_INPUT', [name, `expected ${n} values, got ${v.length}`])
      for (let i = 0; i < n; i++) dst[i] = applyRange(v[i], rb)
    }
    this.fold?.plan.refresh()
  }

  /** Which force kernel relaxes this network: 'typed' (per-edge, full network) or 'dense' (inputs folded). */
  kernelInUse(): { kernel: 'typed' | 'dense'; batching?: 'lockstep' | 'per-sample' } {
    return this.fold ? { kernel: 'dense', batching: this.lockstep ? 'lockstep' : 'per-sample' } : { kernel: 'typed' }
  }

  private read(): Params {
    return { weights: this.net.w.slice(), h: this.net.h.slice(), s: this.net.s.slice() }
  }

  async setParams(p: Params): Promise<Params> {
    this.check()
    this.write(p)
    return this.read()
  }

  async updateParams(d: Params): Promise<Params> {
    this.check()
    this.addInPlace(d)
    return this.read()
  }

  /**
   * write(addToSetpoints(read(), setW, d)) without its two copies of every parameter: the same sums
   * (setpoint + delta, then the range) element by element, so the same bits. Lengths are checked
   * before anything changes.
   */
  private addInPlace(d: Params): void {
    const { w, h, s, m, n } = this.net
    const rc = this.opts.coupling, rb = this.opts.bias, setW = this.setW, dw = d.weights
    checkUpdateLengths(d, m, n)
    addToSetpointsInPlace(setW, dw, rc)
    this.path.apply(setW, rc.min, rc.max, w)
    if (d.h) for (let i = 0; i < n; i++) h[i] = applyRange(h[i] + d.h[i], rb)
    if (d.s) for (let i = 0; i < n; i++) s[i] = applyRange(s[i] + d.s[i], rb)
    this.fold?.plan.refresh()
  }

  async getParams(): Promise<Params> {
    this.check()
    return cloneParams(this.read())
  }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    this.check()
    const t0 = performance.now()
    const { n } = this.net
    const B = req.batch, nOut = this.info.nudgeable.length
    const nudge = checkRelaxRequest(this.info, req, this.prev ? this.prev.length : null)
    const start = req.start
    const sys = this.sys.setFree()
    if (nudge?.kind === 'cost') {
      // the MSE-on-cos nudge (see Nudge): h_o += beta y_o, S_o -= beta/2, the same landscape up to a constant
      sys.beta = nudge.beta
      sys.y = nudge.targets
    } else if (nudge?.kind === 'force') {
      sys.ext = nudge.force
    }
    const o = { ...DEFAULT_SOLVE, tol: this.opts.tol, maxEvals: req.budget?.maxEvals ?? this.opts.maxEvals }
    const deadline = req.budget?.maxTimeS !== undefined ? t0 + req.budget.maxTimeS * 1000 : Infinity
    const states = new Float64Array(B * n), energy = new Float64Array(B), settled = new Uint8Array(B), steps = new Float64Array(B)
    const x = this.x
    const rc = this.opts.coupling
    if (this.path.step()) { this.path.apply(this.setW, rc.min, rc.max, this.net.w); this.fold?.plan.refresh() }
    const fold = this.fold
    if (fold) {
      // the compact system sees the same nudge; a force nudge is gathered per sample into fold.ext
      // every sample's input field at once, reused by the nudged phase of the same batch
      fold.plan.foldBatch(req.inputs, B)
      const fs = fold.sys.setFree()
      fs.beta = sys.beta; fs.y = sys.y
      if (sys.ext) { fs.ext = fold.ext; fs.extOff = 0 }
    }
    const noise = this.opts.noise && this.opts.noise.sigma > 0 ? this.opts.noise : null
    const nSteps = noise ? Math.ceil(noise.time / noise.dt) : 0
    const lo = noise ? { sigma: noise.sigma, dt: noise.dt, steps: Math.min(nSteps, o.maxEvals) } : null
    const callSeed = noise ? this.noiseRng.nextU32() : 0
    const done = lo === null && deadline === Infinity && this.lockstep && fold ? this.relaxLockstep(req, o, states, energy, settled, steps) : null
    for (let b = 0; b < B; b++) {
      const off = b * n
      if (done?.[b]) continue
      this.startState(req, b, x)
      sys.yOff = b * nOut
      sys.extOff = off
      let folded = false
      if (performance.now() < deadline) {
        let st
        if (fold) {
          // the batch's input fields (foldBatch above) for this sample; relax the free nodes only. Langevin draws
          // noise per free node in node order on both paths, so a noise seed gives the same stream.
          const { plan, sys: fs, xc } = fold
          plan.useSample(b)
          plan.gather(x, 0, xc)
          fs.yOff = b * nOut
          if (sys.ext) plan.gather(sys.ext, off, fold.ext)
          st = lo
            ? relaxLangevin(fs, xc, lo, noiseStream(start.kind === 'random' ? start.seed : null, callSeed, b), fold.ws.f)
            : relaxBy(this.opts, fs, xc, o, fold.ws)
          plan.scatter(xc, x, 0)
          folded = true
        } else {
          st = lo
            ? relaxLangevin(sys, x, lo, noiseStream(start.kind === 'random' ? start.seed : null, callSeed, b), this.ws.f)
            : relaxBy(this.opts, sys, x, o, this.ws)
        }
        settled[b] = st.settled && (lo === null || nSteps <= o.maxEvals) ? 1 : 0
        steps[b] = st.forceEvals
        this.forceEvals += st.forceEvals
      }
      states.set(x, off)
      // folded: compact energy plus the input-input constant, skipping the input couplings (78,400 of
      // 79,400 on 784-100-10); the same value as the full sum up to rounding
      energy[b] = folded ? fold!.plan.energy(fold!.xc) : oimEnergy(this.net, x, 0)
    }
    sys.setFree()
    fold?.sys.setFree()
    this.prev = states.slice()
    if (this.opts.readoutBits !== undefined) {
      // quantise the phases only: clamped entries hold input values, not phases
      const bits = this.opts.readoutBits, one = new Float64Array(1)
      for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) {
        if (this.net.clamped[i]) continue
        one[0] = states[b * n + i]; quantiseReadout(one, bits); states[b * n + i] = one[0]
      }
    }
    return { states, energy, settled, steps, timeS: (performance.now() - t0) / 1000 }
  }

  /** The start state of sample b (random, given or previous; clamped inputs set) into x[0 .. n). */
  private startState(req: RelaxRequest, b: number, x: Float64Array): void {
    const n = this.net.n, off = b * n, start = req.start, nIn = this.info.clampable.length, clamp = this.info.clampable
    if (start.kind === 'random') {
      // one stream per sample, so splitting a batch into chunks (seed + offset) changes nothing
      const rng = new Rng((start.seed + b) >>> 0)
      for (let i = 0; i < n; i++) x[i] = rng.uniform(-Math.PI, Math.PI)
    } else if (start.kind === 'given') for (let i = 0; i < n; i++) x[i] = start.states[off + i]
    else for (let i = 0; i < n; i++) x[i] = this.prev![off + i]
    for (let k = 0; k < nIn; k++) x[clamp[k]] = req.inputs[b * nIn + k]
  }

  /**
   * Solver 'eliminate' on the whole batch in lockstep (after the fold), in chunks of LOCKSTEP_CHUNK
   * samples (a sample's arithmetic does not depend on its chunk). Fills the results of every sample it
   * relaxed and returns which; a sample whose split did not hold at its start is left to the per-sample
   * loop, and so is the whole batch under a torque on hidden nodes.
   */
  private relaxLockstep(req: RelaxRequest, o: SolveOptions, states: Float64Array, energy: Float64Array, settled: Uint8Array, steps: Float64Array): Uint8Array | null {
    const { ls } = this.lockstep!, { plan } = this.fold!
    const n = this.net.n, B = req.batch, nudge = req.nudge
    if (nudge?.kind === 'force') {
      // a torque on an eliminated node enters its single-node minimiser: per sample
      for (let b = 0; b < B; b++) for (const t of ls.a) if (nudge.force[b * n + plan.free[t]] !== 0) return null
    }
    const done = new Uint8Array(B)
    for (let b0 = 0; b0 < B; b0 += LOCKSTEP_CHUNK) this.lockstepChunk(req, o, b0, Math.min(B, b0 + LOCKSTEP_CHUNK), states, energy, settled, steps, done)
    return done
  }

  /** relaxLockstep on samples b0 .. b1-1. */
  private lockstepChunk(req: RelaxRequest, o: SolveOptions, b0: number, b1: number, states: Float64Array, energy: Float64Array, settled: Uint8Array, steps: Float64Array, done: Uint8Array): void {
    const { ls, sc } = this.lockstep!, { plan } = this.fold!
    const n = this.net.n, B = b1 - b0, nb = ls.nb, nf = plan.free.length, nOut = this.net.outputs.length
    const nudge = req.nudge
    let ext: Float64Array | null = null
    if (nudge?.kind === 'force') {
      ext = new Float64Array(B * nb)
      for (let r = 0; r < B; r++) for (let j = 0; j < nb; j++) ext[r * nb + j] = nudge.force[(b0 + r) * n + plan.free[ls.b[j]]]
    }
    sc.ensure(B, nb)
    const xc = new Float64Array(B * nf), x = this.x
    for (let r = 0; r < B; r++) {
      this.startState(req, b0 + r, x)
      states.set(x, (b0 + r) * n)
      plan.gather(x, 0, xc.subarray(r * nf, (r + 1) * nf))
      for (let j = 0; j < nb; j++) sc.x[r * nb + j] = xc[r * nf + ls.b[j]]
    }
    const y = nudge?.kind === 'cost' ? nudge.targets.subarray(b0 * nOut, b1 * nOut) : null
    ls.load(B, { beta: nudge?.kind === 'cost' ? nudge.beta : 0, y, ext }, b0, xc, nf)
    const st = newBatchStats(B)
    relaxEliminateBatch(ls, B, sc, o, nudge === undefined, st, this.lockstepRows)
    for (let r = 0; r < B; r++) {
      if (st.failed[r]) continue
      const b = b0 + r, row = xc.subarray(r * nf, (r + 1) * nf)
      ls.compactState(st.slot[r], sc.x, row)
      plan.scatter(row, states, b * n)
      energy[b] = ls.freeEnergy(st.slot[r]) + plan.constEnergy(b)
      settled[b] = st.settled[r]
      steps[b] = st.forceEvals[r]
      this.forceEvals += st.forceEvals[r]
      done[b] = 1
    }
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
