// The simulated XY lattice: the in-process stand-in for an oscillator board. It relaxes with the same
// physics module the engine uses, and can quantise and clip couplings like a board's DACs would.
import { z } from 'zod'
import { EqpError } from '../../src/errors.ts'
import { checkRelaxRequest } from './check-request.ts'
import { checkEliminate, FOLD_AUTO_MIN_EDGES, phaseSimOptionsShape, simulatorInfo } from './sim-info.ts'
import { Network } from '../../src/core/network/network.ts'
import { compileXy, refreshBias, xyEnergy, type XyNet } from '../../src/core/physics/xy.ts'
import { XySystem } from '../../src/core/physics/xy-system.ts'
import { DenseXyPlan, typedMatMul } from '../../src/core/physics/dense-xy.ts'
import { DenseXySystem } from '../../src/core/physics/dense-xy-system.ts'
import { XyLockstep } from '../../src/core/physics/xy-lockstep.ts'
import { BatchScratch, newBatchStats, relaxEliminateBatch } from '../../src/core/solvers/eliminate-lockstep.ts'
import { denseMatMul } from './tf-backend.ts'
import { EnvelopeMatrix } from '../../src/core/solvers/envelope.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { autoSolver, createRelaxWorkspace, DEFAULT_SOLVE, relaxBy, relaxLangevin, shiftedSolver, type RelaxWorkspace, type SolveOptions, type SolveStats } from '../../src/core/solvers/index.ts'
import { ImplicitFlowBatch } from '../../src/core/solvers/implicit-flow-lockstep.ts'
import { addToSetpointsInPlace, checkUpdateLengths, CouplingPath, noiseStream, quantiseReadout } from './imperfections.ts'
import { applyRange, cloneParams, type Params, type RelaxRequest, type RelaxResult, type Substrate, type SubstrateInfo } from '../substrate.ts'

export const SimXyOptions = z.strictObject(phaseSimOptionsShape('auto'))
export type SimXyOptions = z.infer<typeof SimXyOptions>
export type SimXyOptionsInput = z.input<typeof SimXyOptions>

/** Samples per lockstep chunk: bounds the kernels' memory (about 35 KB per sample on 784-500-10) for large batches. */
const LOCKSTEP_CHUNK = 256

/** Smallest dense block (A*B couplings) for which kernel 'auto' uses the dense path. */
export const DENSE_AUTO_MIN_EDGES = FOLD_AUTO_MIN_EDGES

/** Simulated XY substrate over a network description; clampable = its inputs, nudgeable = its outputs. */
export class SimXySubstrate implements Substrate {
  readonly info: SubstrateInfo
  private readonly net: XyNet
  private readonly sys: XySystem
  private readonly ws: RelaxWorkspace
  private readonly opts: SimXyOptions
  private readonly x: Float64Array
  private prev: Float64Array | null = null
  private closed = false
  /** coupling setpoints after the board's clip/quantise; the physical couplings are path(setpoints) */
  private readonly setW: Float64Array
  private readonly path: CouplingPath
  private readonly noiseRng: Rng
  /** force evaluations since creation (for benchmarks) */
  forceEvals = 0
  /** dense path (null = per-edge loops): compact free-node system, its workspace and scratch */
  private readonly dense: { plan: DenseXyPlan; sys: DenseXySystem; ws: RelaxWorkspace; xc: Float64Array; ext: Float64Array } | null = null
  /** solver 'eliminate' over a whole batch in lockstep (null: one sample after the other) */
  private readonly lockstep: { ls: XyLockstep; sc: BatchScratch } | null = null
  /** kernel rows of the lockstep solver since creation (for tests: settled samples cost none) */
  readonly lockstepRows = { align: 0, force: 0, hessian: 0 }
  /** implicit flow over a whole batch in lockstep (per-edge path): one system per sample, made on first use */
  private flowLs: { batch: ImplicitFlowBatch; systems: XySystem[]; xs: Float64Array[]; stats: SolveStats[] } | null = null

  constructor(network: Network, options: SimXyOptionsInput = {}) {
    const net = Network.parse(network)
    this.opts = SimXyOptions.parse(options)
    this.net = compileXy(net)
    this.sys = new XySystem(this.net)
    this.ws = createRelaxWorkspace(this.net.n, this.sys.bandwidth)
    this.x = new Float64Array(this.net.n)
    this.setW = new Float64Array(this.net.m)
    this.path = new CouplingPath(this.net.m, this.opts)
    this.noiseRng = new Rng(this.opts.noiseSeed)
    this.info = simulatorInfo('xy', net, this.opts)
    const kernel = this.opts.kernel ?? 'auto'
    const plan = kernel === 'typed' ? null : DenseXyPlan.build(this.net, kernel === 'dense' ? 2 : DENSE_AUTO_MIN_EDGES)
    if (plan) {
      const sys = new DenseXySystem(plan)
      // the free nodes of a layered net have an arrow-shaped Hessian: envelope Cholesky, not band
      const ws = { ...createRelaxWorkspace(plan.compact.n, 0), H: new EnvelopeMatrix(plan.compact.n, sys.bandwidth) }
      this.dense = { plan, sys, ws, xc: new Float64Array(plan.compact.n), ext: new Float64Array(plan.compact.n) }
    }
    checkEliminate(this.opts, this.dense?.sys ?? this.sys, 'xy')
    if (this.dense && this.opts.solver === 'eliminate' && this.opts.dynamics === 'converged' && this.opts.batching !== 'per-sample') {
      const ls = XyLockstep.build(this.dense.plan)
      if (typeof ls !== 'string') this.lockstep = { ls, sc: new BatchScratch() }
    }
    // the board applies its ranges to the initial couplings too
    this.write({ weights: this.net.w.slice(), h: this.net.h.slice(), psi: this.net.psi.slice() })
  }

  private check(): void {
    if (this.closed) throw new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid])
  }

  private write(p: Params): void {
    const { w, h, psi, m, n } = this.net
    const rc = this.opts.coupling, rb = this.opts.bias
    if (p.weights.length !== m) throw new EqpError('EQP_ERR_BAD_INPUT', ['weights', `expected ${m} values, got ${p.weights.length}`])
    if (this.path.active) {
      for (let k = 0; k < m; k++) this.setW[k] = applyRange(p.weights[k], rc)
      this.path.apply(this.setW, rc.min, rc.max, w)
    } else {
      for (let k = 0; k < m; k++) w[k] = applyRange(p.weights[k], rc)
    }
    if (p.h) {
      if (p.h.length !== n) throw new EqpError('EQP_ERR_BAD_INPUT', ['h', `expected ${n} values, got ${p.h.length}`])
      for (let i = 0; i < n; i++) h[i] = applyRange(p.h[i], rb)
    }
    if (p.psi) {
      if (p.psi.length !== n) throw new EqpError('EQP_ERR_BAD_INPUT', ['psi', `expected ${n} values, got ${p.psi.length}`])
      psi.set(p.psi)
    }
    refreshBias(this.net)
    this.dense?.plan.refresh()
  }

  /** Which force kernel relaxes this network: 'typed', or 'dense' with its matrix-product backend. */
  kernelInUse(): { kernel: 'typed' | 'dense'; matmul?: string; batching?: 'lockstep' | 'per-sample' } {
    // batching: how the dense path runs a batch (the per-edge path always goes sample by sample)
    return this.dense ? { kernel: 'dense', matmul: this.foldMatMul().name, batching: this.lockstep ? 'lockstep' : 'per-sample' } : { kernel: 'typed' }
  }

  /** The fold runs in float32 on TensorFlow.js backends: only when the force tolerance allows it. */
  private foldMatMul() {
    const mm = denseMatMul()
    // a float32 product carries ~1e-7 relative error per term; tighter tolerances fold in Float64
    return mm.float32 && this.opts.tol < 1e-6 ? typedMatMul : mm
  }

  private read(): Params {
    return { weights: this.net.w.slice(), h: this.net.h.slice(), psi: this.net.psi.slice() }
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
   * write(addToSetpoints(read(), setpoints, d)) without its two copies of every parameter: the same
   * sums (setpoint + delta, then the range) element by element, so the same bits. Lengths are checked
   * before anything changes.
   */
  private addInPlace(d: Params): void {
    const { w, h, psi, m, n } = this.net
    const rc = this.opts.coupling, rb = this.opts.bias, dw = d.weights
    checkUpdateLengths(d, m, n)
    // the setpoints: the couplings themselves unless variation or drift put a path between them
    const set = this.path.active ? this.setW : w
    addToSetpointsInPlace(set, dw, rc)
    if (this.path.active) this.path.apply(set, rc.min, rc.max, w)
    if (d.h) for (let i = 0; i < n; i++) h[i] = applyRange(h[i] + d.h[i], rb)
    if (d.psi) for (let i = 0; i < n; i++) psi[i] += d.psi[i]
    refreshBias(this.net)
    this.dense?.plan.refresh()
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
      sys.beta = nudge.beta
      sys.tau = nudge.targets
    } else if (nudge?.kind === 'force') {
      sys.ext = nudge.force
    }
    const o = { ...DEFAULT_SOLVE, tol: this.opts.tol, maxEvals: req.budget?.maxEvals ?? this.opts.maxEvals }
    const deadline = req.budget?.maxTimeS !== undefined ? t0 + req.budget.maxTimeS * 1000 : Infinity
    const states = new Float64Array(B * n), energy = new Float64Array(B), settled = new Uint8Array(B), steps = new Float64Array(B)
    const x = this.x
    if (this.path.step()) { this.path.apply(this.setW, this.opts.coupling.min, this.opts.coupling.max, this.net.w); this.dense?.plan.refresh() }
    const dense = this.dense
    if (dense) {
      // clamped inputs -> constant fields, once for the whole batch; the compact system sees the same nudge
      dense.plan.fold(req.inputs, B, this.foldMatMul())
      const ds = dense.sys.setFree()
      ds.beta = sys.beta; ds.tau = sys.tau
      if (sys.ext) { ds.ext = dense.ext; ds.extOff = 0 }
    }
    const noise = this.opts.noise && this.opts.noise.sigma > 0 ? this.opts.noise : null
    const lo = noise ? { sigma: noise.sigma, dt: noise.dt, steps: Math.min(Math.ceil(noise.time / noise.dt), o.maxEvals) } : null
    const noiseTruncated = noise !== null && Math.ceil(noise.time / noise.dt) > o.maxEvals
    const callSeed = noise ? this.noiseRng.nextU32() : 0
    const done = lo === null && deadline === Infinity
      ? (this.lockstep && dense ? this.relaxLockstep(req, o, states, energy, settled, steps) : !dense ? this.relaxFlowLockstep(req, o, states, energy, settled, steps) : null)
      : null
    for (let b = 0; b < B; b++) {
      const off = b * n
      if (done?.[b]) continue
      this.startState(req, b, x)
      sys.tauOff = b * nOut
      sys.extOff = off
      if (sys.ext) sys.markSlipReference(x)
      let folded = false
      if (performance.now() < deadline) {
        let st
        if (dense) {
          // relax the free nodes only; clamped nodes keep the values set above
          const { plan, sys: ds, xc } = dense
          plan.setSample(b)
          plan.gather(x, 0, xc)
          ds.tauOff = b * nOut
          if (sys.ext) { plan.gather(sys.ext, off, dense.ext); ds.markSlipReference(xc) }
          st = lo
            ? relaxLangevin(ds, xc, lo, noiseStream(start.kind === 'random' ? start.seed : null, callSeed, b), dense.ws.f)
            : relaxBy(this.opts, ds, xc, o, dense.ws)
          plan.scatter(xc, x, 0)
          energy[b] = plan.energy(xc, req.inputs, b)
          folded = true
        } else {
          st = lo
            ? relaxLangevin(sys, x, lo, noiseStream(start.kind === 'random' ? start.seed : null, callSeed, b), this.ws.f)
            : relaxBy(this.opts, sys, x, o, this.ws)
        }
        settled[b] = st.settled && !noiseTruncated ? 1 : 0
        steps[b] = st.forceEvals
        this.forceEvals += st.forceEvals
      }
      states.set(x, off)
      // the dense path has its energy from the compact system; the full sum costs O(all couplings)
      if (!folded) energy[b] = xyEnergy(this.net, x, 0)
    }
    sys.setFree()
    dense?.sys.setFree()
    this.prev = states.slice()
    // the board reads its phases with few bits; 'previous' still continues from the physical state
    if (this.opts.readoutBits !== undefined) quantiseReadout(states, this.opts.readoutBits)
    return { states, energy, settled, steps, timeS: (performance.now() - t0) / 1000 }
  }

  /** The start state of sample b (random, given or previous; clamped inputs set) into x[0 .. n). */
  private startState(req: RelaxRequest, b: number, x: Float64Array): void {
    const n = this.net.n, off = b * n, start = req.start, nIn = this.info.clampable.length, clamp = this.info.clampable
    if (start.kind === 'random') {
      // one stream per sample, so splitting a batch into chunks (seed + offset) changes nothing
      const rng = new Rng((start.seed + b) >>> 0)
      for (let i = 0; i < n; i++) x[i] = rng.uniform(-Math.PI, Math.PI)
    }
    else if (start.kind === 'given') for (let i = 0; i < n; i++) x[i] = start.states[off + i]
    else for (let i = 0; i < n; i++) x[i] = this.prev![off + i]
    for (let k = 0; k < nIn; k++) x[clamp[k]] = req.inputs[b * nIn + k]
  }

  /**
   * Solver 'eliminate' on the whole batch in lockstep (after the fold), in chunks of LOCKSTEP_CHUNK
   * samples (a sample's arithmetic does not depend on its chunk). Fills the results of every sample it
   * relaxed and returns which; a sample whose split did not hold at its start is left to the per-sample
   * loop, and so is the whole batch under a torque on hidden nodes.
   */
  private relaxLockstep(req: RelaxRequest, o: { tol: number; maxEvals: number } & typeof DEFAULT_SOLVE, states: Float64Array, energy: Float64Array, settled: Uint8Array, steps: Float64Array): Uint8Array | null {
    const { ls } = this.lockstep!, { plan } = this.dense!
    const n = this.net.n, B = req.batch, nb = ls.nb, nf = plan.free.length
    const nudge = req.nudge
    if (nudge?.kind === 'force') {
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < nf; t++) {
          // a torque on an eliminated node moves its minimiser off the closed form: per sample
          if ((t < ls.k0 || t >= ls.k0 + nb) && nudge.force[b * n + plan.free[t]] !== 0) return null
        }
      }
    }
    const done = new Uint8Array(B)
    for (let b0 = 0; b0 < B; b0 += LOCKSTEP_CHUNK) this.lockstepChunk(req, o, b0, Math.min(B, b0 + LOCKSTEP_CHUNK), states, energy, settled, steps, done)
    return done
  }

  /**
   * Implicit flow ('auto' or 'implicit-flow' on the per-edge path, band Cholesky) over the whole batch
   * in lockstep (ImplicitFlowBatch): every sample ends where the per-sample loop would put it, bit for
   * bit. Returns which samples it relaxed (all of them), or null when it does not apply.
   */
  private relaxFlowLockstep(req: RelaxRequest, o: SolveOptions, states: Float64Array, energy: Float64Array, settled: Uint8Array, steps: Float64Array): Uint8Array | null {
    const B = req.batch, opts = this.opts, sys = this.sys
    if (B < 2 || opts.dynamics !== 'converged' || opts.batching === 'per-sample') return null
    if (opts.solver !== 'implicit-flow' && !(opts.solver === 'auto' && autoSolver(sys, this.ws) === 'implicit-flow')) return null
    if (!sys.hessian) return null
    const { n } = this.net, nOut = this.info.nudgeable.length, x = this.x
    this.startState(req, 0, x)
    // the linear solver relaxImplicitFlow would pick (resolved once per workspace, as there)
    if (shiftedSolver((this.ws.linear ??= {}), this.ws.H, sys, x, o.linear, { hevals: 0 }).kind !== 'cholesky') return null
    if (this.flowLs === null) {
      const batch = ImplicitFlowBatch.create(n, sys.bandwidth)
      if (!batch) return null
      this.flowLs = { batch, systems: [], xs: [], stats: [] }
    }
    const ls = this.flowLs
    while (ls.systems.length < B) ls.systems.push(new XySystem(this.net))
    ls.xs.length = B
    ls.stats.length = B
    for (let b = 0; b < B; b++) {
      const xb = states.subarray(b * n, (b + 1) * n), s = ls.systems[b].setFree()
      this.startState(req, b, xb)
      s.beta = sys.beta; s.tau = sys.tau; s.tauOff = b * nOut
      s.ext = sys.ext; s.extOff = b * n
      if (s.ext) s.markSlipReference(xb)
      ls.xs[b] = xb
    }
    ls.batch.relax(ls.systems, ls.xs, o, ls.stats)
    for (let b = 0; b < B; b++) {
      const st = ls.stats[b]
      settled[b] = st.settled ? 1 : 0
      steps[b] = st.forceEvals
      this.forceEvals += st.forceEvals
      energy[b] = xyEnergy(this.net, ls.xs[b], 0)
      ls.systems[b].setFree()
    }
    return new Uint8Array(B).fill(1)
  }

  /** relaxLockstep on samples b0 .. b1-1. */
  private lockstepChunk(req: RelaxRequest, o: SolveOptions, b0: number, b1: number, states: Float64Array, energy: Float64Array, settled: Uint8Array, steps: Float64Array, done: Uint8Array): void {
    const { ls, sc } = this.lockstep!, { plan } = this.dense!
    const n = this.net.n, B = b1 - b0, nb = ls.nb, nf = plan.free.length, outs = this.net.outputs, nOut = outs.length
    const nudge = req.nudge
    let ext: Float64Array | null = null
    if (nudge?.kind === 'force') {
      ext = new Float64Array(B * nb)
      for (let r = 0; r < B; r++) for (let j = 0; j < nb; j++) ext[r * nb + j] = nudge.force[(b0 + r) * n + plan.free[ls.k0 + j]]
    }
    sc.ensure(B, nb)
    const xc = new Float64Array(B * nf), slipRef = ext ? new Float64Array(B * nOut) : null
    const x = this.x
    for (let r = 0; r < B; r++) {
      const b = b0 + r
      this.startState(req, b, x)
      states.set(x, b * n)
      const row = xc.subarray(r * nf, (r + 1) * nf)
      plan.gather(x, 0, row)
      for (let j = 0; j < nb; j++) sc.x[r * nb + j] = row[ls.k0 + j]
      if (slipRef) for (let k = 0; k < nOut; k++) slipRef[r * nOut + k] = x[outs[k]]
    }
    const tau = nudge?.kind === 'cost' ? nudge.targets.subarray(b0 * nOut, b1 * nOut) : null
    ls.load(B, { beta: nudge?.kind === 'cost' ? nudge.beta : 0, tau, ext, slipRef }, b0)
    const st = newBatchStats(B)
    relaxEliminateBatch(ls, B, sc, o, nudge === undefined, st, this.lockstepRows)
    for (let r = 0; r < B; r++) {
      if (st.failed[r]) continue
      const b = b0 + r, row = xc.subarray(r * nf, (r + 1) * nf), q = st.slot[r]
      for (let j = 0; j < nb; j++) row[ls.k0 + j] = sc.x[q * nb + j]
      ls.hiddenPhases(q, row)
      plan.scatter(row, states, b * n)
      energy[b] = ls.freeEnergy(r, q) + plan.clampedEnergy(req.inputs, b)
      settled[b] = st.settled[r]
      steps[b] = st.forceEvals[r]
      this.forceEvals += st.forceEvals[r]
      done[b] = 1
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.dense?.plan.dispose()
  }
}
