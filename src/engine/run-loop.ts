// Drives one Trainer for a daemon run: checkpoints at a step cadence and at epoch ends, stops at step
// boundaries on request (pause, cancel, shutdown), and yields to the event loop between relaxation
// slices. A run resumed from any of its checkpoints ends with bit-identical parameters and metrics.
import type { Substrate } from '../../drivers/substrate.ts'
import type { Dataset } from '../core/data/dataset.ts'
import type { Network } from '../core/network/network.ts'
import type { TrainConfig } from './config.ts'
import type { BatchMetrics, EvalMetrics } from './events.ts'
import { paramsToJson, SlicedSubstrate, yieldToLoop, type ParamsJson } from './sliced-substrate.ts'
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

  constructor(device: Substrate, readonly network: Network, readonly data: Dataset, readonly cfg: TrainConfig, private readonly opts: RunLoopOptions) {
    this.sub = new SlicedSubstrate(device, opts.slice)
    const cp = opts.checkpoint
    this.resumed = cp !== undefined
    this.acc = cp ? { ...cp.epochAcc } : emptyAcc()
    this.lastEval = cp?.lastEval ?? null
    this.lastEpochDistance = cp?.lastEpochDistance ?? null
    this.batchInEpoch = cp?.state.batch ?? 0
    if (cp?.phases) this.sub.lastFree = { phases: cp.phases, inputs: [] }
    this.trainer = new Trainer(this.sub, network, data, cfg, { state: cp?.state, onEvent: (e) => { if (e.type === 'batch') this.onBatch(e) } })
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

  /** The run's resumable state now (between steps). */
  checkpointNow(): RunCheckpoint {
    return {
      state: this.trainer.snapshot(),
      epochAcc: { ...this.acc },
      applied: this.sub.applied ? paramsToJson(this.sub.applied) : null,
      phases: this.sub.lastFree?.phases ?? null,
      lastEval: this.lastEval,
      lastEpochDistance: this.lastEpochDistance,
    }
  }

  private checkpoint(reason: CheckpointReason): void {
    this.opts.onEvent({ type: 'checkpoint', reason, checkpoint: this.checkpointNow() })
  }

  /** Asks the run to stop at the next step boundary; run() then resolves with { kind: 'stopped' }. */
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
    while (!this.trainer.done) {
      if (this.stop !== null) return { kind: 'stopped', reason: this.stop }
      const t0 = performance.now()
      const m = await this.trainer.runEpoch(shouldStop)
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
      const early = this.opts.stopAtDistance !== undefined && metrics.distance < this.opts.stopAtDistance
      if ((this.cfg.evalEvery > 0 && ep % this.cfg.evalEvery === 0) || ep === this.cfg.epochs || early) {
        await yieldToLoop()
        this.lastEval = await this.trainer.evaluate(this.data.test, 'test')
        this.opts.onEvent({ type: 'eval', epoch: ep, metrics: this.lastEval })
      }
      this.checkpoint('epoch')
      if (early) break
    }
    return { kind: 'done', final: this.lastEval, network: this.trainer.trainedNetwork(), applied: this.sub.applied ? paramsToJson(this.sub.applied) : null }
  }
}
