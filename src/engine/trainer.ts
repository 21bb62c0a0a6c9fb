// The EqProp training loop. It talks to a board only through the Substrate interface and computes
// gradients from the states the board returns, with the same physics module the simulator uses.
import type { LearnRule, LearnStepResult, OnBoardLearner, Params, RelaxRequest, RelaxResult, Substrate } from '../../drivers/substrate.ts'
import { applyRange, emptyResult, putResult, relaxPhases, sliceRequest } from '../../drivers/substrate.ts'
import type { Dataset, Split } from '../core/data/dataset.ts'
import { estimatorPlan, type EstimatorPlan } from '../core/eqprop/estimators.ts'
import { initOptimiserState, optimiserDelta, type OptimiserState } from '../core/eqprop/optimisers.ts'
import { scheduledLr } from '../core/eqprop/lr-schedule.ts'
import { expandTied, sumTiedGradient, tiedCount } from '../core/eqprop/tied.ts'
import { nodeDepths, type Network } from '../core/network/network.ts'
import type { DenseMatMul } from '../core/physics/dense-xy.ts'
import { Rng } from '../core/rng/rng.ts'
import { EqpError } from '../errors.ts'
import type { TrainConfig } from './config.ts'
import type { BatchMetrics, EngineEvent, EvalMetrics } from './events.ts'
import { enginePhysics, type EnginePhysics } from './physics.ts'
import { StepAborted } from './sliced-substrate.ts'

/** Everything needed to continue a run exactly where it stopped (plain JSON). */
export interface TrainState {
  epoch: number
  /** next batch within the epoch */
  batch: number
  step: number
  /** sample order of the current epoch */
  order: number[]
  rng: number[]
  opt: OptimiserState
  /** parameters as requested by the host (kept in full precision for quantising boards);
   *  psi holds the second per-node family of the model: psi (XY) or S (OIM) */
  requested: { weights: number[]; h: number[]; psi: number[] }
}

export interface TrainerOptions {
  onEvent?: (e: EngineEvent) => void
  /** resume from this state instead of the network's parameters */
  state?: TrainState
  /** a float32 matrix-product backend for the contrast of dense layer blocks (TensorFlow.js); none = Float64 loops */
  matmul?: DenseMatMul | null
  /** on-board learning: read the board's parameters every this many steps too (0 = at epoch ends only), so periodic checkpoints carry them */
  syncEvery?: number
}

/** Trains one network on one substrate with EqProp. */
export class Trainer {
  /** the model's physics (observables, nudge, readout) with the live parameters */
  readonly phys: EnginePhysics
  private readonly plan: EstimatorPlan
  private readonly nIn: number
  private readonly nOut: number
  private readonly P: number
  /** tied couplings (CNN-like layers): edge k trains parameter tied[k]; null when every edge is its own */
  private readonly tied: Int32Array | null
  /** trainable coupling values: tiedCount(tied), or m */
  private readonly T: number
  /** per-edge gradient and delta [couplings (m) | h (n) | second (n)] when tied; the same buffers as grad and delta otherwise */
  private readonly edgeGrad: Float64Array
  private readonly edgeDelta: Float64Array
  private state: TrainState
  private rng: Rng
  private readonly emit: (e: EngineEvent) => void
  private started = false
  /** the RNG state at the last step boundary while a step (or an epoch's shuffle) is under way; null between steps */
  private boundaryRng: number[] | null = null
  private readonly grad: Float64Array
  private readonly delta: Float64Array
  /** scratch of one sample's output and target values (regression and pattern metrics) */
  private readonly outVals: Float64Array
  private readonly tgtVals: Float64Array
  private readonly syncEvery: number
  /** per trainable coupling value: its layer's learning-rate scale (cfg.layerLrScale), null when absent */
  private readonly layerScale: Float64Array | null
  /** the board's own learner when this run's updates are computed on the board (SPEC 13), else null */
  readonly onBoard: OnBoardLearner | null

  constructor(readonly sub: Substrate, readonly network: Network, readonly data: Dataset, readonly cfg: TrainConfig, opts: TrainerOptions = {}) {
    this.phys = enginePhysics(network, { matmul: opts.matmul })
    this.nIn = network.inputs.length
    this.nOut = network.outputs.length
    if (data.nIn !== this.nIn || data.nOut !== this.nOut) {
      throw new EqpError('EQP_ERR_TASK_MISMATCH', [`task '${data.name}' has ${data.nIn} inputs and ${data.nOut} outputs, the network ${this.nIn} and ${this.nOut}`])
    }
    const info = sub.info
    if (info.nodes !== network.nodes || info.edges.length !== network.edges.length) {
      throw new EqpError('EQP_ERR_TASK_MISMATCH', [`device '${info.uid}' has ${info.nodes} nodes and ${info.edges.length} couplings, the network ${network.nodes} and ${network.edges.length}`])
    }
    if (info.clampable.join() !== network.inputs.join() || info.nudgeable.join() !== network.outputs.join()) {
      throw new EqpError('EQP_ERR_TASK_MISMATCH', [`device '${info.uid}' clamps [${info.clampable}] and nudges [${info.nudgeable}], the network has inputs [${network.inputs}] and outputs [${network.outputs}]`])
    }
    if (info.model !== network.model) throw new EqpError('EQP_ERR_TASK_MISMATCH', [`device '${info.uid}' is a ${info.model} substrate, the network is ${network.model}`])
    if (cfg.trainBias && !info.hasBias) throw new EqpError('EQP_ERR_TASK_MISMATCH', [`device '${info.uid}' has no bias fields to train`])
    this.plan = estimatorPlan(cfg.estimator, cfg.beta)
    const { n, m } = this.phys
    this.tied = network.tied ? Int32Array.from(network.tied) : null
    this.T = this.tied ? tiedCount(this.tied) : m
    // the optimiser works on [tied coupling values (T) | h | second]; untied, T = m and nothing changes
    this.P = this.T + (cfg.trainBias ? 2 * n : 0)
    this.layerScale = cfg.layerLrScale ? couplingLrScales(network, cfg.layerLrScale, this.tied, this.T) : null
    this.emit = opts.onEvent ?? (() => {})
    if (opts.state) {
      this.state = structuredClone(opts.state)
      const r = this.state.requested
      this.state.requested = { weights: doubles(r.weights), h: doubles(r.h), psi: doubles(r.psi) }
      this.rng = Rng.fromState(this.state.rng)
    } else {
      this.rng = new Rng(cfg.seed)
      this.state = {
        epoch: 0, batch: 0, step: 0, order: [], rng: [], opt: initOptimiserState(this.P),
        requested: { weights: doubles(this.phys.w), h: doubles(this.phys.h), psi: doubles(this.phys.second) },
      }
    }
    if (this.state.opt.m.length !== this.P) {
      throw new EqpError('EQP_ERR_BAD_INPUT', ['state.opt', `holds ${this.state.opt.m.length} parameters, the network trains ${this.P}`])
    }
    this.grad = new Float64Array(this.P)
    this.outVals = new Float64Array(this.nOut)
    this.tgtVals = new Float64Array(this.nOut)
    this.delta = new Float64Array(this.P)
    const full = m + (cfg.trainBias ? 2 * n : 0)
    this.edgeGrad = this.tied ? new Float64Array(full) : this.grad
    this.edgeDelta = this.tied ? new Float64Array(full) : this.delta
    this.onBoard = onBoardLearner(sub, cfg, this.tied !== null)
    this.syncEvery = opts.syncEvery ?? 0
  }

  /** A copy of the resumable state (for checkpoints). */
  snapshot(): TrainState {
    this.state.rng = this.rng.state()
    return structuredClone(this.state)
  }

  /**
   * The resumable state as it was at the last step boundary, valid while a step is in its relaxations
   * (before its parameter update): a step abandoned there has changed only the RNG (its start seed, and
   * at batch 0 the epoch's shuffle, which a resume at batch 0 redraws from the restored RNG).
   */
  boundarySnapshot(): TrainState {
    const s = this.snapshot()
    if (this.boundaryRng) s.rng = [...this.boundaryRng]
    return s
  }

  /** The network with the parameters as applied by the device. */
  trainedNetwork(): Network {
    return this.phys.network(this.network)
  }

  get epoch(): number { return this.state.epoch }
  get done(): boolean { return this.state.epoch >= this.cfg.epochs }

  /** Writes the requested parameters to the device and adopts what it applied. */
  async start(): Promise<void> {
    const r = this.state.requested
    this.phys.adopt(await this.sub.setParams(this.phys.toParams(Float64Array.from(r.weights), Float64Array.from(r.h), Float64Array.from(r.psi))))
    this.started = true
  }

  /** Runs the remaining epochs; returns the final test evaluation. */
  async train(shouldStop: () => boolean = () => false): Promise<EvalMetrics | null> {
    if (!this.started) await this.start()
    let last: EvalMetrics | null = null
    while (!this.done && !shouldStop()) {
      const t0 = performance.now()
      const m = await this.runEpoch(shouldStop)
      if (m === null) break
      const ep = this.state.epoch
      this.emit({ type: 'epoch', epoch: ep, epochs: this.cfg.epochs, metrics: m, timeS: (performance.now() - t0) / 1000 })
      if ((this.cfg.evalEvery > 0 && ep % this.cfg.evalEvery === 0) || ep === this.cfg.epochs) {
        last = await this.evaluate(this.data.test, 'test')
        this.emit({ type: 'eval', epoch: ep, metrics: last })
      }
    }
    return last
  }

  /** Trains the rest of the current epoch; returns its mean batch metrics, or null when stopped midway. */
  async runEpoch(shouldStop: () => boolean = () => false): Promise<BatchMetrics | null> {
    if (!this.started) await this.start()
    const rows = this.data.train.rows
    const bs = Math.min(this.cfg.batchSize, rows)
    const batches = Math.ceil(rows / bs)
    if (this.state.batch === 0) {
      this.boundaryRng = this.rng.state()
      const order = Array.from({ length: rows }, (_, i) => i)
      if (bs < rows) this.rng.shuffle(order)
      this.state.order = order
    }
    const acc: BatchMetrics = { distance: 0, cost: 0, accuracy: 0, settled: 0, dropped: 0, fallback: 0 }
    let seen = 0
    while (this.state.batch < batches) {
      if (shouldStop()) { await this.syncFromBoard(); return null }
      const b = this.state.batch
      const idx = this.state.order.slice(b * bs, Math.min(rows, (b + 1) * bs))
      if (b > 0) this.boundaryRng = this.rng.state()
      const m = await this.step(idx)
      this.boundaryRng = null
      this.state.batch++
      this.state.step++
      if (this.syncEvery > 0 && this.state.step % this.syncEvery === 0 && this.state.batch < batches) await this.syncFromBoard()
      this.emit({ type: 'batch', epoch: this.state.epoch + 1, batch: b + 1, batches, step: this.state.step, metrics: m })
      acc.distance += m.distance * idx.length; acc.cost += m.cost * idx.length
      acc.accuracy += m.accuracy * idx.length; acc.settled += m.settled * idx.length; acc.dropped += m.dropped * idx.length; acc.fallback += m.fallback * idx.length
      if (m.mse !== undefined) acc.mse = (acc.mse ?? 0) + m.mse * idx.length
      seen += idx.length
    }
    this.state.batch = 0
    this.state.epoch++
    await this.syncFromBoard()
    acc.distance /= seen; acc.cost /= seen; acc.accuracy /= seen; acc.settled /= seen; acc.dropped /= seen; acc.fallback /= seen
    if (acc.mse !== undefined) {
      acc.mse /= seen
      if (this.data.kind === 'regression') acc.r2 = 1 - acc.mse / this.trainVariance()
    }
    return acc
  }

  /** One EqProp step on the given training rows; returns metrics of its free equilibria. */
  async step(idx: number[]): Promise<BatchMetrics> {
    if (this.onBoard) return this.stepOnBoard(this.onBoard, idx)
    const M = this.cfg.mInit, S = idx.length
    let B = S * M
    const train = this.data.train
    const rawIn = new Float64Array(B * this.nIn), rawTargets = new Float64Array(B * this.nOut)
    for (let s = 0; s < S; s++) {
      for (let r = 0; r < M; r++) {
        const b = s * M + r
        for (let k = 0; k < this.nIn; k++) rawIn[b * this.nIn + k] = train.x[idx[s] * this.nIn + k]
        for (let k = 0; k < this.nOut; k++) rawTargets[b * this.nOut + k] = train.y[idx[s] * this.nOut + k]
      }
    }
    const ph = this.phys
    let inputs = ph.encodeInputs(rawIn), targets = ph.encodeTargets(rawTargets)
    const seed = this.rng.nextU32()
    // a device that takes a step's phases at once (a board link pipelines them, SPEC 6.5 readout start)
    // gets them in one call when nothing between the phases needs the free states on the host: no
    // lowest-energy pick among restarts, no frozen force (made from the free states), one device batch
    const together = this.sub.relaxPhases !== undefined && !(this.cfg.mInitSelect === 'lowest' && M > 1) &&
      B <= this.sub.info.maxBatch && this.plan.nudges.every((nu) => !nu.frozen)
    const early = together ? await relaxPhases(this.sub, { batch: B, inputs, start: { kind: 'random', seed }, nudges: this.plan.nudges.map((nu) => ph.costNudge(nu.beta, targets)) }) : null
    let free = early ? early.free : await this.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed } })
    if (this.cfg.mInitSelect === 'lowest' && M > 1) {
      const pick = lowestPerSample(free.energy, S, M)
      free = pickResult(free, pick, ph.n)
      inputs = pickRows(inputs, pick, inputs.length / B)
      targets = pickRows(targets, pick, targets.length / B)
      B = S
    }
    const g = this.edgeGrad
    g.fill(0)
    const bias = this.cfg.trainBias, beta = this.cfg.beta
    // EqProp contrasts an equilibrium with its own continuation. A nudged relaxation that does not
    // settle (a -beta nudge falls into the antipode singularity of the log-cos cost; a frozen torque
    // beyond the locking range makes the output slip) or slides far away gives no usable estimate:
    // such a sample falls back to the one-sided estimate with the +beta cost nudge, and is left out
    // of the step only when that fails too.
    const ok = new Uint8Array(B).fill(1)
    const nudged: RelaxResult[] = []
    for (const [k, nu] of this.plan.nudges.entries()) {
      const nudge: RelaxRequest['nudge'] = nu.frozen
        ? { kind: 'force', force: ph.frozenForce(free.states, targets, B, nu.beta) }
        : ph.costNudge(nu.beta, targets)
      const r = early ? early.nudged[k] : await this.relax({ batch: B, inputs, phase: 'nudged', nudge, start: { kind: 'given', states: free.states } })
      this.markUnusable(r, free.states, ok)
      nudged.push(r)
    }
    const used = ok.slice()
    let fallback: Uint8Array | null = null, plus: Float64Array | null = null
    if (used.includes(0)) {
      // reuse the plan's own +beta cost relaxation when it has one
      const k = this.plan.nudges.findIndex((nu) => nu.beta === beta && !nu.frozen)
      const r = k >= 0 ? nudged[k]
        : await this.relax({ batch: B, inputs, phase: 'nudged', nudge: ph.costNudge(beta, targets), start: { kind: 'given', states: free.states } })
      const plusOk = new Uint8Array(B).fill(1)
      this.markUnusable(r, free.states, plusOk)
      plus = r.states
      fallback = new Uint8Array(B)
      for (let b = 0; b < B; b++) if (!ok[b] && plusOk[b]) { fallback[b] = 1; used[b] = 1 }
    }
    let kept = 0, fell = 0
    for (let b = 0; b < B; b++) { kept += used[b]; fell += fallback ? fallback[b] : 0 }
    if (kept > 0) {
      const terms = [{ states: free.states, c: this.plan.freeCoef / kept }, ...this.plan.nudges.map((nu, k) => ({ states: nudged[k].states, c: nu.coef / kept }))]
      // in one pass where the model can: the phases share the clamped inputs' side of the dense blocks
      if (ph.accumulatePhases) ph.accumulatePhases(terms, B, bias, g, ok)
      else for (const t of terms) ph.accumulate(t.states, B, t.c, bias, g, ok)
      if (fallback && plus && fell > 0) {
        ph.accumulate(free.states, B, -1 / beta / kept, bias, g, fallback)
        ph.accumulate(plus, B, 1 / beta / kept, bias, g, fallback)
      }
    }
    await this.push(this.tiedGradient(g))
    return { ...this.metrics(free, targets, B), dropped: 1 - kept / B, fallback: fell / B }
  }

  /**
   * One step with the update computed and applied on the board (SPEC 13): the host sends inputs and
   * targets and reads back only the free outputs for the metrics. The same samples, start seeds and
   * rule as the host-side one-sided step; samples whose nudged phase does not settle are left out there.
   */
  private async stepOnBoard(learner: OnBoardLearner, idx: number[]): Promise<BatchMetrics> {
    const M = this.cfg.mInit, S = idx.length, B = S * M, K = this.nOut, n = this.phys.n
    const train = this.data.train
    const rawIn = new Float64Array(B * this.nIn), rawTargets = new Float64Array(B * K)
    for (let s = 0; s < S; s++) {
      for (let r = 0; r < M; r++) {
        const b = s * M + r
        for (let k = 0; k < this.nIn; k++) rawIn[b * this.nIn + k] = train.x[idx[s] * this.nIn + k]
        for (let k = 0; k < K; k++) rawTargets[b * K + k] = train.y[idx[s] * K + k]
      }
    }
    const ph = this.phys
    const inputs = ph.encodeInputs(rawIn), targets = ph.encodeTargets(rawTargets)
    let r: LearnStepResult
    try {
      r = await learner.learnStep({ rule: this.learnRule(), batch: B, inputs, targets, seed: this.rng.nextU32() })
    } catch (e) {
      // a step abandoned before it reached the board: the boundary checkpoint needs the board's parameters
      if (e instanceof StepAborted) await this.syncFromBoard()
      throw e
    }
    // the metrics read outputs only: a state array with the free outputs in place stands in for the full one
    const states = new Float64Array(B * n)
    const outs = this.network.outputs
    for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) states[b * n + outs[k]] = r.outputs[b * K + k]
    const settled = new Uint8Array(B).fill(1, 0, r.settled)
    const m = this.metrics({ states, energy: new Float64Array(B), settled, steps: new Float64Array(B), timeS: r.timeS }, targets, B)
    return { ...m, dropped: 1 - r.accumulated / B, fallback: 0 }
  }

  /** The learning rate of the step under way: the schedule at (steps of earlier epochs + this epoch's batch) / all steps. */
  private currentLr(): number {
    const c = this.cfg
    if (c.lrSchedule === 'constant') return c.lr
    const rows = this.data.train.rows, batches = Math.ceil(rows / Math.min(c.batchSize, rows))
    return scheduledLr(c.lr, c.lrSchedule, c.lrFinalScale, (this.state.epoch * batches + this.state.batch) / (c.epochs * batches))
  }

  /** The board-side form of this run's update rule (plain SGD: Delta theta = -lr g, biases at lr * biasLrScale). */
  private learnRule(): LearnRule {
    const c = this.cfg
    const lr = this.currentLr()
    return { eta: lr, biasEta: c.trainBias ? lr * c.biasLrScale : 0, beta: c.beta, estimator: 'one-sided', cost: 'log-cos' }
  }

  /** Adopts the parameters the board learned (on-board learning), as the requested ones too, so checkpoints carry them. */
  async syncFromBoard(): Promise<void> {
    if (!this.onBoard) return
    const p = await this.sub.getParams()
    this.phys.adopt(p)
    const req = this.state.requested
    req.weights = doubles(this.phys.w)
    req.h = doubles(this.phys.h)
    req.psi = doubles(this.phys.second)
  }

  /**
   * The gradient over the trainable parameters from the per-edge one: by the chain rule a tied value's
   * gradient is the sum over its bonds (sumTiedGradient), the node families are copied. Untied: g itself.
   */
  private tiedGradient(edge: Float64Array): Float64Array {
    if (!this.tied) return edge
    const m = this.phys.m, g = this.grad
    sumTiedGradient(this.tied, edge.subarray(0, m), g)
    g.set(edge.subarray(m), this.T)
    return g
  }

  private async push(g: Float64Array): Promise<void> {
    const { n, m } = this.phys
    optimiserDelta(this.cfg.optimiser, this.state.opt, g, this.currentLr(), this.delta)
    const req = this.state.requested
    if (this.cfg.trainBias && this.cfg.biasLrScale !== 1) for (let i = this.T; i < this.P; i++) this.delta[i] *= this.cfg.biasLrScale
    const ls = this.layerScale
    if (ls) for (let k = 0; k < this.T; k++) this.delta[k] *= ls[k]
    // per-edge delta: a tied value's change goes to every bond it drives (expandTied), so bonds of one
    // parameter start equal, move equally and stay equal: requested weights = expandTied(theta)
    const d = this.edgeDelta
    if (this.tied) {
      expandTied(this.tied, this.delta, d)
      d.set(this.delta.subarray(this.T), m)
    }
    const rc = this.sub.info.ranges.coupling, rb = this.sub.info.ranges.bias
    const clip = { ...rc, levels: 0 }, clipB = { ...rb, levels: 0 }
    // the clip of applyRange (levels 0) written out: one call per coupling boxed 397,000 results a step
    const rw = req.weights, wLo = clip.min, wHi = clip.max
    for (let k = 0; k < m; k++) { const v = rw[k] + d[k]; rw[k] = v < wLo ? wLo : v > wHi ? wHi : v }
    const delta: Params = { weights: d.subarray(0, m) }
    if (this.cfg.trainBias) {
      for (let i = 0; i < n; i++) {
        req.h[i] = applyRange(req.h[i] + d[m + i], clipB)
        // the second family: psi (an angle) is not clipped; S is, like h
        req.psi[i] = this.phys.secondClipped ? applyRange(req.psi[i] + d[m + n + i], clipB) : req.psi[i] + d[m + n + i]
      }
      Object.assign(delta, this.phys.toParams(delta.weights, d.subarray(m, m + n), d.subarray(m + n, m + 2 * n)))
    }
    if (rc.levels > 0 || (this.cfg.trainBias && rb.levels > 0)) {
      // a quantising board would swallow small deltas: keep full-precision shadow values and write them
      this.phys.adopt(await this.sub.setParams(this.phys.toParams(Float64Array.from(req.weights), Float64Array.from(req.h), Float64Array.from(req.psi))))
    } else {
      this.phys.adopt(await this.sub.updateParams(delta))
    }
  }

  /** Clears ok[b] for samples whose nudged state is unsettled (unless keepUnsettled) or moved a node by more than maxNudgeShift. */
  private markUnusable(r: Pick<RelaxResult, 'states' | 'settled'>, free: Float64Array, ok: Uint8Array): void {
    const n = this.phys.n, lim = this.cfg.maxNudgeShift ?? Infinity, keep = this.cfg.keepUnsettled
    for (let b = 0; b < ok.length; b++) {
      if (!ok[b]) continue
      if (!r.settled[b] && !keep) { ok[b] = 0; continue }
      for (let i = 0, off = b * n; i < n; i++) {
        const d = r.states[off + i] - free[off + i]
        if (!(Math.abs(d) <= lim)) { ok[b] = 0; break }
      }
    }
  }

  /** Relaxes a batch of any size, in chunks of the device's maxBatch. */
  private async relax(req: RelaxRequest): Promise<RelaxResult> {
    const max = this.sub.info.maxBatch
    if (req.batch <= max) return this.sub.relax(req)
    const { n } = this.phys, B = req.batch
    const out = emptyResult(B, n)
    for (let a = 0; a < B; a += max) putResult(out, await this.sub.relax(sliceRequest(req, a, Math.min(B, a + max), n)), a, n)
    return out
  }

  /**
   * Metrics of free equilibria against encoded targets. Regression and pattern tasks add the MSE of the
   * output values; regression adds R^2 = 1 - MSE / variance, the variance of the target values over
   * `variance` (the split's; the training split's for a batch, so batch and epoch R^2 share a scale).
   */
  private metrics(r: RelaxResult, targets: Float64Array, B: number, variance?: number): BatchMetrics {
    const ph = this.phys, n = ph.n, K = this.nOut, kind = this.data.kind ?? 'classification'
    let d = 0, c = 0, ok = 0, st = 0, se = 0
    for (let b = 0; b < B; b++) {
      d += ph.distance(r.states, b * n, targets, b * K)
      c += ph.cost(r.states, b * n, targets, b * K)
      st += r.settled[b]
      if (kind === 'classification') {
        if (ph.predict(r.states, b * n) === ph.targetClass(targets, b * K)) ok++
        continue
      }
      const v = ph.outputValues(r.states, b * n, this.outVals), t = ph.targetValues(targets, b * K, this.tgtVals)
      let right = true
      for (let k = 0; k < K; k++) {
        se += (v[k] - t[k]) ** 2
        if (v[k] > 0 !== t[k] > 0) right = false
      }
      if (kind === 'patterns' && right) ok++
    }
    const m: BatchMetrics = { distance: d / B, cost: c / B, accuracy: ok / B, settled: st / B, dropped: 0, fallback: 0 }
    if (kind === 'classification') return m
    m.mse = se / (B * K)
    if (kind === 'regression') m.r2 = 1 - m.mse / (variance ?? this.trainVariance())
    return m
  }

  /** Pooled variance of the target values of encoded targets [rows, nOut] (per-output means); 0 -> tiny, so R^2 stays finite. */
  private targetVariance(targets: Float64Array, rows: number): number {
    const K = this.nOut, mean = new Float64Array(K), t = this.tgtVals
    for (let b = 0; b < rows; b++) { this.phys.targetValues(targets, b * K, t); for (let k = 0; k < K; k++) mean[k] += t[k] / rows }
    let ss = 0
    for (let b = 0; b < rows; b++) { this.phys.targetValues(targets, b * K, t); for (let k = 0; k < K; k++) ss += (t[k] - mean[k]) ** 2 }
    return Math.max(ss / (rows * K), 1e-12)
  }

  private trainVar: number | null = null
  /** Pooled variance of the training split's target values: the R^2 scale of batch and epoch metrics. */
  trainVariance(): number {
    this.trainVar ??= this.targetVariance(this.phys.encodeTargets(this.data.train.y), this.data.train.rows)
    return this.trainVar
  }

  /** Free-phase inference on a split from fresh random starts (evalRestarts each); training RNG untouched. */
  async evaluate(split: Split, name: 'train' | 'test' = 'test'): Promise<EvalMetrics> {
    if (!this.started) await this.start()
    const M = this.cfg.evalRestarts
    let B = split.rows * M
    const inputs = new Float64Array(B * this.nIn), targets = new Float64Array(B * this.nOut)
    for (let s = 0; s < split.rows; s++) {
      for (let r = 0; r < M; r++) {
        const b = s * M + r
        inputs.set(split.x.subarray(s * this.nIn, (s + 1) * this.nIn), b * this.nIn)
        targets.set(split.y.subarray(s * this.nOut, (s + 1) * this.nOut), b * this.nOut)
      }
    }
    // a seed of its own per epoch, so evaluating does not change the training stream
    const seed = new Rng((this.cfg.seed ^ 0x5bd1e995) + this.state.epoch * 7919).nextU32()
    let r = await this.relax({ batch: B, inputs: this.phys.encodeInputs(inputs), phase: 'free', start: { kind: 'random', seed } })
    let enc = this.phys.encodeTargets(targets)
    if (this.cfg.mInitSelect === 'lowest' && M > 1) {
      // score the lowest-energy restart of each sample, as training does
      const pick = lowestPerSample(r.energy, split.rows, M)
      r = pickResult(r, pick, this.phys.n)
      enc = pickRows(enc, pick, this.nOut)
      B = split.rows
    }
    const { dropped: _d, fallback: _f, ...m } = this.metrics(r, enc, B, this.data.kind === 'regression' ? this.targetVariance(enc, B) : undefined)
    return { split: name, samples: split.rows, ...m }
  }
}

/** The device's own learner when the run's rule is one the board applies (SPEC 13), else null (host-side learning). */
function onBoardLearner(sub: Substrate, cfg: TrainConfig, tied: boolean): OnBoardLearner | null {
  const info = sub.info, l = sub.learner
  if (!l || !info.onBoardLearning || cfg.learning === 'host' || info.model !== 'xy') return null
  if (cfg.estimator !== 'one-sided' || (cfg.mInitSelect === 'lowest' && cfg.mInit > 1) || cfg.optimiser.kind !== 'sgd' || tied || cfg.maxNudgeShift !== undefined || cfg.layerLrScale) return null
  // a quantising board would swallow updates below one level; the host keeps full-precision shadows instead
  if (info.ranges.coupling.levels > 0 || (cfg.trainBias && info.ranges.bias.levels > 0)) return null
  if (cfg.trainBias && !info.hasBias) return null
  return l
}

/**
 * Learning-rate scale of each trainable coupling value from per-layer scales: a coupling's layer is the
 * graph depth of its deeper node (1 = into the first hidden layer); a tied value takes its first bond's.
 */
function couplingLrScales(net: Network, scales: readonly number[], tied: Int32Array | null, T: number): Float64Array {
  const depth = nodeDepths(net.nodes, net.edges, net.inputs)
  let deepest = 0
  for (let i = 0; i < net.nodes; i++) deepest = Math.max(deepest, depth[i])
  if (scales.length !== deepest) {
    throw new EqpError('EQP_ERR_BAD_INPUT', ['layerLrScale', `has ${scales.length} entries, the network has couplings into ${deepest} depths (one entry per depth 1..${deepest})`])
  }
  const out = new Float64Array(T).fill(NaN)
  net.edges.forEach(([i, j], k) => {
    const d = Math.max(depth[i], depth[j])
    if (depth[i] < 0 || depth[j] < 0 || d < 1) throw new EqpError('EQP_ERR_BAD_INPUT', ['layerLrScale', `coupling ${k} (${i}-${j}) has no depth below the inputs`])
    const t = tied ? tied[k] : k
    if (Number.isNaN(out[t])) out[t] = scales[d - 1]
  })
  return out
}

/** For each of S samples with M consecutive restarts, the batch index of the restart of lowest energy. */
export function lowestPerSample(energy: Float64Array, S: number, M: number): number[] {
  const pick: number[] = []
  for (let s = 0; s < S; s++) {
    let best = s * M
    for (let r = 1; r < M; r++) if (energy[s * M + r] < energy[best]) best = s * M + r
    pick.push(best)
  }
  return pick
}

/** The rows `pick` of a row-major [rows, width] array. */
function pickRows(a: Float64Array, pick: number[], width: number): Float64Array {
  const out = new Float64Array(pick.length * width)
  pick.forEach((b, k) => out.set(a.subarray(b * width, (b + 1) * width), k * width))
  return out
}

/** The samples `pick` of a relax result with n nodes per sample. */
function pickResult(r: RelaxResult, pick: number[], n: number): RelaxResult {
  return {
    states: pickRows(r.states, pick, n),
    energy: Float64Array.from(pick, (b) => r.energy[b]),
    settled: Uint8Array.from(pick, (b) => r.settled[b]),
    steps: Float64Array.from(pick, (b) => r.steps[b]),
    timeS: r.timeS,
  }
}

/**
 * The values as a number[] that V8 stores as unboxed doubles. A spread of a typed array or a
 * structuredClone gives an array of boxed numbers, where every write of a coupling in push()
 * allocated (397,000 heap numbers a step on 784-500-10).
 */
function doubles(x: ArrayLike<number>): number[] {
  return Array.from(x instanceof Float64Array ? x : Float64Array.from(x))
}
