// Drives one Trainer for a daemon run: checkpoints at a step cadence and at epoch ends, stops on request
// (pause, cancel, shutdown) before its next relax call, and yields to the event loop between relaxation
// slices. A stop in the middle of a step abandons that step and checkpoints the boundary before it; a
// stop in an epoch's evaluation checkpoints the epoch with the evaluation still to do. A run resumed
// from any of its checkpoints ends with bit-identical parameters and metrics.
import type { Substrate } from '../../drivers/substrate.ts'
import type { DenseMatMul } from '../core/physics/dense-xy.ts'
import type { Dataset } from '../core/data/dataset.ts'
import type { Network } from '../core/network/network.ts'
import type { TrainConfig } from './config.ts'
import type { BatchMetrics, EvalMetrics } from './events.ts'
import { paramsToJson, SlicedSubstrate, StepAborted, yieldToLoop, type ParamsJson } from './sliced-substrate.ts'
import { Trainer, type TrainState } from './trainer.ts'

/** Batch metrics of the current epoch, summed with each batch weighted by its sample count. */
export interface EpochAcc { distance: number; cost: number; accuracy: number; settled: number; dropped: number; fallback: number; seen: number; mse?: number }

/** Everything a run needs to continue exactly where it stopped (plain JSON). */
export interface RunCheckpoint {
  state: TrainState
  epochAcc: EpochAcc
  /** parameters as the device applied them at the checkpoint */
  applied: ParamsJson | null
  /** sample 0 of the last free relaxation (rad), for snapshots after a restart */
  phases: number[] | null
  lastEval: EvalMetrics | null
  lastEpochDistance: number | null
  /** the epoch just finished still owes its evaluation (a stop came during it) */
  evalPending?: boolean
}

export type CheckpointReason = 'start' | 'periodic' | 'epoch' | 'stop'

export type RunLoopEvent =
  | { type: 'batch'; epoch: number; batch: number; batches: number; step: number; samples: number; metrics: BatchMetrics }
  | { type: 'epoch'; epoch: number; epochs: number; metrics: BatchMetrics; timeS: number }
  | { type: 'eval'; epoch: number; metrics: EvalMetrics }
  | { type: 'checkpoint'; reason: CheckpointReason; checkpoint: RunCheckpoint }

export type StopReason = 'pause' | 'cancel' | 'shutdown'

export type RunLoopOutcome =
  | { kind: 'done'; final: EvalMetrics | null; network: Network; applied: ParamsJson | null }
  | { kind: 'stopped'; reason: StopReason }

export interface RunLoopOptions {
  /** resume from this checkpoint; absent = start from the network's parameters */
  checkpoint?: RunCheckpoint
  /** checkpoint every this many steps inside an epoch (0 = only at epoch ends and stops) */
  checkpointEvery: number
  /** samples per relax call between yields to the event loop */
  slice: number
  /** finish once an epoch's mean training distance D is below this */
  stopAtDistance?: number
  /** called synchronously for each event, so a store can persist it before training goes on */
  onEvent: (e: RunLoopEvent) => void
  /** a float32 matrix-product backend for the contrast of dense layer blocks (TrainerOptions.matmul) */
  matmul?: DenseMatMul | null
}

const emptyAcc = (): EpochAcc => ({ distance: 0, cost: 0, accuracy: 0, settled: 0, dropped: 0, fallback: 0, seen: 0 })

/** One run of the EqProp trainer under daemon control. */
export class RunLoop {
  readonly sub: SlicedSubstrate
  private readonly trainer: Trainer
  private acc: EpochAcc
  private lastEval: EvalMetrics | null
  private lastEpochDistance: number | null
  /** next batch within the current epoch, as the trainer's batch events report it */
  private batchInEpoch: number
  private stop: StopReason | null = null
  private readonly resumed: boolean
  private evalPending: boolean

  constructor(device: Substrate, readonly network: Network, readonly data: Dataset, readonly cfg: TrainConfig, private readonly opts: RunLoopOptions) {
    this.sub = new SlicedSubstrate(device, opts.slice, () => this.stop !== null)
    const cp = opts.checkpoint
    this.evalPending = cp?.evalPending === true
    this.resumed = cp !== undefined
    this.acc = cp ? { ...cp.epochAcc } : emptyAcc()
    this.lastEval = cp?.lastEval ?? null
    this.lastEpochDistance = cp?.lastEpochDistance ?? null
    this.batchInEpoch = cp?.state.batch ?? 0
    if (cp?.phases) this.sub.lastFree = { phases: cp.phases, inputs: [] }
    this.trainer = new Trainer(this.sub, network, data, cfg, { state: cp?.state, matmul: opts.matmul, syncEvery: opts.checkpointEvery, onEvent: (e) => { if (e.type === 'batch') this.onBatch(e) } })
  }

  /** Samples in batch b (1-based) of an epoch, as the trainer slices its shuffled order. */
  private samplesIn(b: number): number {
    const rows = this.data.train.rows, bs = Math.min(this.cfg.batchSize, rows)
    return Math.min(bs, rows - (b - 1) * bs)
  }

  private onBatch(e: { epoch: number; batch: number; batches: number; step: number; metrics: BatchMetrics }): void {
    const s = this.samplesIn(e.batch), a = this.acc, m = e.metrics
    // the same order of operations as Trainer.runEpoch, so epoch means match an uninterrupted run
    a.distance += m.distance * s; a.cost += m.cost * s
    a.accuracy += m.accuracy * s; a.settled += m.settled * s; a.dropped += m.dropped * s; a.fallback += m.fallback * s
    if (m.mse !== undefined) a.mse = (a.mse ?? 0) + m.mse * s
    a.seen += s
    this.batchInEpoch = e.batch
    this.opts.onEvent({ ...e, type: 'batch', samples: s })
    const every = this.opts.checkpointEvery
    // the last batch of an epoch is followed by the epoch-end checkpoint
    if (every > 0 && e.step % every === 0 && e.batch < e.batches) this.checkpoint('periodic')
  }

  /** The run's resumable state now (between steps), or at the boundary before the step under way. */
  checkpointNow(boundary = false): RunCheckpoint {
    return {
      state: boundary ? this.trainer.boundarySnapshot() : this.trainer.snapshot(),
      epochAcc: { ...this.acc },
      applied: this.sub.applied ? paramsToJson(this.sub.applied) : null,
      phases: this.sub.lastFree?.phases ?? null,
      lastEval: this.lastEval,
      lastEpochDistance: this.lastEpochDistance,
      ...(this.evalPending ? { evalPending: true } : {}),
    }
  }

  private checkpoint(reason: CheckpointReason, boundary = false): void {
    this.opts.onEvent({ type: 'checkpoint', reason, checkpoint: this.checkpointNow(boundary) })
  }

  /** Asks the run to stop before its next relax call (a step under way is abandoned); run() then resolves with { kind: 'stopped' }. */
  requestStop(reason: StopReason): void {
    if (this.stop === null) this.stop = reason
  }

  get stopRequested(): StopReason | null { return this.stop }

  /** Trains until done or stopped. */
  async run(): Promise<RunLoopOutcome> {
    await this.trainer.start()
    if (!this.resumed) this.checkpoint('start')
    // stopping is only allowed once an epoch has begun: a stop before its first batch would leave the
    // epoch's shuffle consumed from the RNG without the order being used
    const shouldStop = () => this.stop !== null && this.batchInEpoch > 0
    if (this.evalPending) {
      const end = await this.closeEpoch(this.isEarly(this.lastEpochDistance))
      if (end !== 'next') return end === 'stopped' ? { kind: 'stopped', reason: this.stop ?? 'pause' } : this.done()
    }
    while (!this.trainer.done) {
      if (this.stop !== null) return { kind: 'stopped', reason: this.stop }
      const t0 = performance.now()
      let m: BatchMetrics | null
      try {
        m = await this.trainer.runEpoch(shouldStop)
      } catch (e) {
        if (!(e instanceof StepAborted)) throw e
        // the abandoned step changed nothing but the RNG: checkpoint the boundary before it
        this.checkpoint('stop', true)
        return { kind: 'stopped', reason: this.stop ?? 'pause' }
      }
      if (m === null) {
        this.checkpoint('stop')
        return { kind: 'stopped', reason: this.stop ?? 'pause' }
      }
      const a = this.acc, n = a.seen
      const metrics: BatchMetrics = { distance: a.distance / n, cost: a.cost / n, accuracy: a.accuracy / n, settled: a.settled / n, dropped: a.dropped / n, fallback: a.fallback / n }
      if (a.mse !== undefined) {
        metrics.mse = a.mse / n
        if (this.data.kind === 'regression') metrics.r2 = 1 - metrics.mse / this.trainer.trainVariance()
      }
      this.acc = emptyAcc()
      this.batchInEpoch = 0
      this.lastEpochDistance = metrics.distance
      const ep = this.trainer.epoch
      this.opts.onEvent({ type: 'epoch', epoch: ep, epochs: this.cfg.epochs, metrics, timeS: (performance.now() - t0) / 1000 })
      const end = await this.closeEpoch(this.isEarly(metrics.distance))
      if (end === 'stopped') return { kind: 'stopped', reason: this.stop ?? 'pause' }
      if (end === 'early') break
    }
    return this.done()
  }

  private isEarly(distance: number | null): boolean {
    return this.opts.stopAtDistance !== undefined && distance !== null && distance < this.opts.stopAtDistance
  }

  /** An epoch's end: its evaluation when due, then its checkpoint. A stop during the evaluation
   *  checkpoints the epoch with the evaluation pending, so a resume evaluates it first. */
  private async closeEpoch(early: boolean): Promise<'next' | 'early' | 'stopped'> {
    const ep = this.trainer.epoch
    if ((this.cfg.evalEvery > 0 && ep % this.cfg.evalEvery === 0) || ep === this.cfg.epochs || early) {
      await yieldToLoop()
      this.evalPending = true
      let ev: EvalMetrics
      try {
        ev = await this.trainer.evaluate(this.data.test, 'test')
      } catch (e) {
        if (!(e instanceof StepAborted)) throw e
        this.checkpoint('stop')
        return 'stopped'
      }
      this.evalPending = false
      this.lastEval = ev
      this.opts.onEvent({ type: 'eval', epoch: ep, metrics: ev })
    }
    this.checkpoint('epoch')
    return early ? 'early' : 'next'
  }

  private done(): RunLoopOutcome {
    return { kind: 'done', final: this.lastEval, network: this.trainer.trainedNetwork(), applied: this.sub.applied ? paramsToJson(this.sub.applied) : null }
  }
}
