// A study trial written to a run store as a run, so `GET /runs` on every daemon sharing the store lists
// the trials of distributed studies beside its own runs. The run's id is a function of the study and the
// trial, and every write is an upsert on it: a trial trained again (its worker was killed, JetStream
// delivered it once more) resets the same row and its series, so the store ends with one finished run per
// trial, never a duplicate, and never a half run left "running" once the trial finished somewhere.
import { createHash } from 'node:crypto'
import { fitColumns } from '../runs/fit-columns.ts'
import type { Network } from '../../core/network/network.ts'
import type { EngineEvent } from '../../engine/events.ts'
import type { RunState } from '../../engine/run-state.ts'
import type { LastMetrics, MetricRow, Progress, RunResult, RunStreamEvent } from '../runs/schemas.ts'
import type { Store, StoreTables } from '../store/index.ts'
import type { StudyEntry } from './config.ts'

/** The run id of a trial: `trial-<study id>-<12 hex of label and seed>` (a valid resource id, at most 35 characters). */
export function trialRunId(studyId: string, label: string, seed: number): string {
  return `trial-${studyId}-${createHash('sha256').update(`${label}\u0000${seed}`).digest('hex').slice(0, 12)}`
}

export interface TrialTag {
  studyId: string
  entry: StudyEntry
  seed: number
  entryKey: string
  /** hostname:pid of the worker */
  worker: string
  /** JetStream's delivery count of this attempt */
  delivery: number
}

const nowIso = () => new Date().toISOString()
/** Metric rows are written at an epoch's end once this many ms have passed since the last write (and at the end). */
const FLUSH_MS = 500

/** Writes one attempt at a trial; calls are queued in order, so the training thread never waits on the database. */
export class TrialRunWriter {
  readonly id: string
  /** this attempt's mark in the row's client column: a later attempt that took the row over makes our writes stop */
  private readonly attempt: string
  private chain: Promise<unknown> = Promise.resolve()
  private error: Error | null = null
  private superseded = false
  private seq = 0
  private pending: MetricRow[] = []
  private flushedAt = 0
  /** training rows of the trial's task (the samples of an epoch row) */
  private trainRows = 0
  private progress: Progress
  private lastMetrics: LastMetrics = { batch: null, epoch: null, eval: null }

  constructor(private readonly store: Store, private readonly tag: TrialTag) {
    this.id = trialRunId(tag.studyId, tag.entry.label, tag.seed)
    this.attempt = `worker ${tag.worker} (delivery ${tag.delivery})`
    this.progress = { epoch: 0, epochs: tag.entry.epochs, batch: 0, batches: 0, step: 0, steps: 0, fraction: 0 }
  }

  private queue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.error || this.superseded) return
      try { await fn() } catch (e) { this.error = e as Error }
    })
  }

  /** Appends events to the run inside the transaction (sequence numbers restart at 1 with each attempt). */
  private async emit(t: StoreTables, data: RunStreamEvent[]): Promise<void> {
    const now = Date.now()
    await t.runs.appendEvents(this.id, data.map((d) => ({ seq: ++this.seq, type: d.type, data: d, t: now })))
  }

  /** Whether the row still belongs to this attempt (another worker may have taken the trial over). */
  private async ours(t: StoreTables): Promise<boolean> {
    const r = await t.runs.get(this.id)
    if (r?.client !== this.attempt) this.superseded = true
    return !this.superseded
  }

  /** Creates the run as running, or resets the row an earlier attempt left (its metrics, checkpoints and events too). */
  begin(network: Network, trainRows: number): void {
    this.trainRows = trainRows
    this.queue(() => this.store.tx(async (t) => {
      const at = nowIso()
      const { label, network: spec, task, seeds: _s, ...settings } = this.tag.entry
      const fields = {
        label: `${label}-seed${this.tag.seed}`, client: this.attempt, task: String(task), state: 'running' as RunState, stateReason: null,
        interrupted: false, startedAt: at, endedAt: null, updatedAt: at,
        request: { study: this.tag.studyId, trial: `${label}-seed${this.tag.seed}`, entryKey: this.tag.entryKey, entry: this.tag.entry, seed: this.tag.seed },
        config: { ...settings, seed: this.tag.seed, dataSeed: this.tag.seed, network: spec },
        provenance: null, progress: this.progress, lastMetrics: this.lastMetrics, result: null, error: null,
      }
      // run numbers are drawn under the runs lock (DeviceTable/RunTable.nextN), which also serialises two attempts' resets
      const runN = await t.runs.nextN()
      const old = await t.runs.get(this.id)
      if (old) {
        await t.runs.clearSeries(this.id)
        await t.runs.update(this.id, fields)
      } else {
        const n = await t.devices.nextN()
        const deviceId = `dev-${n}`
        // the trial's simulator, stored as a detached device: no daemon reopens it, and run rows need a device
        await t.devices.insert({ id: deviceId, n, kind: 'study-trial', name: fields.label, createdAt: at, spec: { kind: 'study-trial', study: this.tag.studyId, network: spec }, network, params: null, owner: `worker ${this.tag.worker}` })
        await t.devices.detach(deviceId, at)
        await t.runs.insert({ id: this.id, n: runN, deviceId, createdAt: at, ...fields })
      }
      await this.emit(t, [{ type: 'state', from: null, to: 'running', reason: `study ${this.tag.studyId} trial on ${this.attempt}` }])
    }))
  }

  /** Takes one training event; metric rows are written at an epoch's end (at most every FLUSH_MS), with the run's progress. */
  event(e: EngineEvent): void {
    const t = Date.now(), p = this.progress
    const none = { split: null, dropped: null, fallback: null, timeS: null }
    let row: MetricRow
    if (e.type === 'batch') {
      const m = e.metrics, bs = Math.min(this.tag.entry.batchSize, this.trainRows)
      const samples = Math.min(bs, this.trainRows - (e.batch - 1) * bs)
      row = { ...none, kind: 'batch', epoch: e.epoch, batch: e.batch, step: e.step, samples, distance: m.distance, cost: m.cost, accuracy: m.accuracy, settled: m.settled, dropped: m.dropped, fallback: m.fallback, ...fitColumns(m), t }
      const steps = p.epochs * e.batches
      this.progress = { ...p, epoch: e.epoch - 1, batch: e.batch, batches: e.batches, step: e.step, steps, fraction: steps > 0 ? e.step / steps : 0 }
    } else if (e.type === 'epoch') {
      const m = e.metrics
      row = { ...none, kind: 'epoch', epoch: e.epoch, batch: null, step: p.step, samples: this.trainRows, distance: m.distance, cost: m.cost, accuracy: m.accuracy, settled: m.settled, dropped: m.dropped, fallback: m.fallback, ...fitColumns(m), timeS: e.timeS, t }
      this.progress = { ...p, epoch: e.epoch, batch: 0 }
    } else {
      const m = e.metrics
      row = { ...none, kind: 'eval', epoch: e.epoch, batch: null, step: p.step, split: m.split, samples: m.samples, distance: m.distance, cost: m.cost, accuracy: m.accuracy, settled: m.settled, ...fitColumns(m), t }
    }
    this.lastMetrics = { ...this.lastMetrics, [row.kind]: row }
    this.pending.push(row)
    // at an epoch's end, at most every FLUSH_MS: a transaction per epoch made a small trial (40 epochs
    // of XOR, 0.1 s of training) wait 0.5 s for its writes (npm run bench study-store)
    if (e.type !== 'batch' && t - this.flushedAt >= FLUSH_MS) this.flush()
  }

  /** Writes the metric rows taken since the last flush, with progress and last metrics, in one transaction. */
  private flush(): void {
    const rows = this.pending
    this.pending = []
    this.flushedAt = Date.now()
    const progress = this.progress, lastMetrics = this.lastMetrics
    this.queue(() => this.store.tx(async (t) => {
      if (!await this.ours(t)) return
      await t.runs.insertMetrics(this.id, rows)
      await t.runs.update(this.id, { progress, lastMetrics, updatedAt: nowIso() })
      await this.emit(t, rows.map((row) => ({ type: row.kind, row })))
    }))
  }

  /** Ends the run as done with its result, or as failed with the trial's error; resolves once every write is stored
   *  (rejects with the first write that failed). */
  async end(outcome: { result: RunResult } | { error: string }): Promise<void> {
    if (this.pending.length) this.flush()
    this.queue(() => this.store.tx(async (t) => {
      if (!await this.ours(t)) return
      const at = nowIso()
      const to: RunState = 'result' in outcome ? 'done' : 'failed'
      const progress = 'result' in outcome ? { ...this.progress, fraction: 1 } : this.progress
      await t.runs.update(this.id, {
        state: to, stateReason: 'error' in outcome ? outcome.error : null, endedAt: at, updatedAt: at, progress, lastMetrics: this.lastMetrics,
        result: 'result' in outcome ? outcome.result : null, error: 'error' in outcome ? outcome.error : null,
      })
      await this.emit(t, [{ type: 'state', from: 'running', to, reason: 'error' in outcome ? outcome.error : null }])
    }))
    await this.chain
    if (this.error) throw this.error
  }
}

