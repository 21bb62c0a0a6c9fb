// Training runs under the daemon: queued per device, trained in the background in small slices,
// persisted (metrics, checkpoints, events) in one transaction per step, and resumable after a pause,
// a device fault or a daemon restart with bit-identical results. Writes to one run go through that
// run's queue, in order, so the training loop never waits on the database and events keep their order.
import { checkSameTopology, FleetSubstrate } from '../../../drivers/fleet/fleet-substrate.ts'
import { fitColumns } from './fit-columns.ts'
import type { Substrate } from '../../../drivers/substrate.ts'
import { denseMatMul } from '../../../drivers/sim/tf-backend.ts'
import type { Dataset } from '../../core/data/dataset.ts'
import type { Network } from '../../core/network/network.ts'
import { TrainConfig } from '../../engine/config.ts'
import { RunLoop, type RunCheckpoint, type RunLoopEvent, type RunLoopOutcome, type StopReason } from '../../engine/run-loop.ts'
import { checkTransition, HOLDS_DEVICE, isTerminal, type RunState } from '../../engine/run-state.ts'
import { EqpError } from '../../errors.ts'
import type { DatasetService } from '../datasets/service.ts'
import type { DeviceService } from '../devices/service.ts'
import type { RunRow, RunSummaryRow, Store, StoreTables } from '../store/index.ts'
import { metricsCsv } from './csv.ts'
import { ListCache } from './list-cache.ts'
import { RunList, type CheckpointInfo, type LastMetrics, type MetricRow, type Progress, type Provenance, type RunCreate, type RunSnapshot, type RunStreamEvent, type RunSummary, type RunView } from './schemas.ts'
import { gridView } from './snapshot.ts'

export interface RunServiceOptions {
  /** default checkpoint cadence in steps (a run's checkpointEvery overrides it) */
  checkpointEvery: number
  /** samples per relax call between yields to the event loop */
  slice: number
  /** checkpoints kept per run */
  keepCheckpoints: number
  /** resume interrupted runs at start-up */
  autoResume: boolean
  /** software versions recorded in each run's provenance */
  versions: Record<string, string>
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void }
  /** on a shared store: how often a stream of another daemon's run reads new events, in seconds */
  pollS?: number
}

/** An event as stored and streamed: a per-run sequence number, a type and its data. */
export interface StoredEvent { seq: number; type: RunStreamEvent['type']; data: RunStreamEvent; t: number }

interface Active {
  stop: StopReason | null
  loop: RunLoop | null
  done: Promise<void>
  /** the first write of the run's events that failed; the run then stops and fails with it */
  writeError: Error | null
}

/** Appends an event to a run inside the open transaction. */
type Emit = (runId: string, data: RunStreamEvent) => Promise<void>

/** What a training loop keeps of its run row, so events need not read it back. */
interface LiveRun { progress: Progress; lastMetrics: LastMetrics; trainRows: number }

/** Progress at a position in the run. */
function progressAt(p: Progress, epoch: number, batch: number, step: number): Progress {
  return { ...p, epoch, batch, step, fraction: p.steps > 0 ? step / p.steps : 1 }
}

const TRAIN_KEYS = Object.keys(TrainConfig.shape) as (keyof TrainConfig)[]
const now = () => new Date().toISOString()

export class RunService {
  private readonly active = new Map<string, Active>()
  private readonly seqs = new Map<string, number>()
  private readonly cpSeqs = new Map<string, number>()
  private readonly listeners = new Map<string, Set<(e: StoredEvent) => void>>()
  private readonly queues = new Map<string, Promise<unknown>>()
  private closing = false
  /** GET /runs bodies; every write to a run, its checkpoints or events goes through tx(), which drops them */
  private readonly lists = new ListCache()

  constructor(private readonly store: Store, private readonly devices: DeviceService, private readonly datasets: DatasetService, private readonly opts: RunServiceOptions) {
    devices.queuedFor = async (id) => (await this.store.runs.list({ device: id, state: 'queued' })).map((r) => r.id)
  }

  /** On a shared store, the runs on this daemon's devices; on a SQLite file, all of them. */
  private get mine(): { owner?: string } {
    return this.store.shared ? { owner: this.devices.owner } : {}
  }

  /** After a restart: marks runs that were running as interrupted, restores leases, resumes or schedules. */
  async init(): Promise<void> {
    for (const r of await this.store.runs.list({ state: 'running', ...this.mine })) {
      await this.setState(r, 'suspended', 'interrupted: the daemon stopped while the run was running; resume to continue from the last checkpoint', { interrupted: true })
    }
    for (const state of HOLDS_DEVICE) {
      for (const r of await this.store.runs.list({ state, ...this.mine })) {
        const missing = this.members(r).find((id) => !this.devices.has(id))
        if (missing === undefined) for (const id of this.members(r)) this.devices.lease(id, { run: r.id, client: r.client })
        else await this.setState(r, state === 'running' ? 'failed' : 'cancelled', `device '${missing}' is no longer attached`)
      }
    }
    if (this.opts.autoResume) {
      for (const r of await this.store.runs.list({ state: 'suspended', ...this.mine })) if (r.interrupted) await this.resume(r.id, 'auto-resume')
    }
    for (const id of this.devices.ids()) await this.schedule(id)
  }

  /**
   * Takes over the runs on devices this daemon has just adopted from daemon `from`, which died (its
   * id's lease ran out): runs it left running are marked interrupted and resume here from their last
   * checkpoint (bit-identical, as after a restart), its paused runs keep their devices, and its queued
   * runs are scheduled here. Resolves with the ids of the runs resumed.
   */
  async adopt(deviceIds: string[], from: string): Promise<string[]> {
    const on = new Set(deviceIds)
    const pick = async (state: string) => (await this.store.runs.list({ state, ...this.mine })).filter((r) => on.has(r.deviceId))
    for (const r of await pick('running')) {
      await this.setState(r, 'suspended', `interrupted: daemon '${from}' died while the run was running; adopted by '${this.devices.owner}'`, { interrupted: true })
    }
    for (const state of HOLDS_DEVICE) {
      for (const r of await pick(state)) {
        const missing = this.members(r).find((id) => !this.devices.has(id))
        if (missing === undefined) for (const id of this.members(r)) this.devices.lease(id, { run: r.id, client: r.client })
        else await this.setState(r, state === 'running' ? 'failed' : 'cancelled', `device '${missing}' is no longer attached`)
      }
    }
    const resumed: string[] = []
    for (const r of await pick('suspended')) {
      if (!r.interrupted) continue
      await this.resume(r.id, `adopted from daemon '${from}'; resumed`)
      resumed.push(r.id)
    }
    for (const id of deviceIds) await this.schedule(id)
    return resumed
  }

  // ---- persistence helpers

  /** Runs fn after every write already queued for the run, and before any queued later. */
  private queued<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(runId) ?? Promise.resolve()
    // every write to a run goes through its queue or tx(): either way, kept GET /runs texts are dropped
    const next = prev.then(() => fn()).finally(() => this.lists.invalidate())
    const tail = next.then(() => {}, () => {})
    this.queues.set(runId, tail)
    void tail.then(() => { if (this.queues.get(runId) === tail) this.queues.delete(runId) })
    return next
  }

  /** Runs fn in one transaction, then delivers the events it appended to stream listeners. */
  private async tx<T>(fn: (t: StoreTables, emit: Emit) => Promise<T>): Promise<T> {
    const pending: { runId: string; e: StoredEvent }[] = []
    const emit: Emit = async (runId, data) => {
      // a run's events are written by its own queue only, so the cached number cannot be raced
      const seq = (this.seqs.get(runId) ?? await t0!.runs.maxEventSeq(runId)) + 1
      this.seqs.set(runId, seq)
      const e: StoredEvent = { seq, type: data.type, data, t: Date.now() }
      pending.push({ runId, e })
      await t0!.runs.appendEvent(runId, seq, data.type, data, e.t)
    }
    let t0: StoreTables | null = null
    let out: T
    try {
      out = await this.store.tx((t) => { t0 = t; return fn(t, emit) })
    } catch (e) {
      for (const p of pending) this.seqs.delete(p.runId)
      throw e
    } finally {
      this.lists.invalidate()
    }
    for (const { runId, e } of pending) for (const l of this.listeners.get(runId) ?? []) l(e)
    return out
  }

  /** Moves a run to another state with its event; the caller holds the run's queue (or is alone with it). */
  private async setState(run: RunRow, to: RunState, reason: string | null, extra: Partial<RunRow> = {}): Promise<RunRow> {
    checkTransition(run.state, to)
    const at = now()
    const fields: Partial<RunRow> = { state: to, stateReason: reason, updatedAt: at, ...extra }
    if (to === 'running' && !run.startedAt) fields.startedAt = at
    if (isTerminal(to)) fields.endedAt = at
    await this.tx(async (t, emit) => {
      await t.runs.update(run.id, fields)
      await emit(run.id, { type: 'state', from: run.state, to, reason })
    })
    this.opts.log.info({ run: run.id, from: run.state, to, reason }, 'run state')
    return { ...run, ...fields }
  }

  private async row(id: string): Promise<RunRow> {
    const r = await this.store.runs.get(id)
    if (!r) throw new EqpError('EQP_ERR_RUN_NOT_FOUND', [id])
    return r
  }

  /** 409 for a run on another daemon's device (a shared store): only its daemon may change it. */
  private async checkHere(run: RunRow): Promise<void> {
    if (!this.store.shared || this.devices.has(run.deviceId)) return
    const owner = (await this.store.devices.get(run.deviceId))?.owner ?? 'unknown'
    if (owner !== this.devices.owner) throw new EqpError('EQP_ERR_RUN_ELSEWHERE', [run.id, owner])
  }

  // ---- views

  private async summary(r: RunSummaryRow): Promise<RunSummary> {
    return {
      id: r.id, label: r.label, device: r.deviceId, task: r.task, client: r.client, state: r.state, stateReason: r.stateReason,
      interrupted: r.interrupted, createdAt: r.createdAt, startedAt: r.startedAt, endedAt: r.endedAt, updatedAt: r.updatedAt,
      progress: r.progress, lastMetrics: r.lastMetrics, checkpoint: await this.store.runs.lastCheckpointInfo(r.id), error: r.error,
    }
  }

  /** Every run in the store (on a shared store, other daemons' runs too), oldest first. */
  async list(filter: { state?: string; device?: string } = {}): Promise<RunSummary[]> {
    return Promise.all((await this.store.runs.summaries(filter)).map((r) => this.summary(r)))
  }

  /** The JSON text of `{ runs: list(filter) }` as GET /runs sends it, built once per change of any run. */
  listJson(filter: { state?: string; device?: string } = {}): Promise<string> {
    return this.lists.get(`${filter.state ?? ''}/${filter.device ?? ''}`, async () => JSON.stringify(RunList.encode({ runs: await this.list(filter) })))
  }

  async get(id: string): Promise<RunView> {
    const r = await this.row(id)
    return { ...await this.summary(r), config: r.config, request: r.request, provenance: r.provenance, result: r.result }
  }

  // ---- lifecycle

  /** Queues a run on its device (it starts at once when the device is free). */
  async create(body: RunCreate, client: string): Promise<RunView> {
    if (this.closing) throw new EqpError('EQP_ERR_SHUTTING_DOWN', [])
    if (!this.devices.has(body.device)) throw new EqpError('EQP_ERR_DEVICE_NOT_FOUND', [body.device])
    const config = Object.fromEntries(TRAIN_KEYS.map((k) => [k, body[k]])) as TrainConfig
    const dataSeed = body.dataSeed ?? config.seed
    const data = await this.datasets.load(body.task, dataSeed, 'task')
    const dev = this.devices.local(body.device)
    if (data.nIn !== dev.description.inputs.length || data.nOut !== dev.description.outputs.length) {
      throw new EqpError('EQP_ERR_TASK_MISMATCH', [`task '${body.task}' has ${data.nIn} inputs and ${data.nOut} outputs, device '${dev.id}' ${dev.description.inputs.length} and ${dev.description.outputs.length}`])
    }
    if (config.trainBias && !dev.info.hasBias) throw new EqpError('EQP_ERR_TASK_MISMATCH', [`device '${dev.id}' has no bias fields to train (set trainBias: false)`])
    const fleet = body.fleet ? [body.device, ...body.fleet.filter((id) => id !== body.device)] : null
    if (fleet) {
      if (new Set(fleet).size !== fleet.length) throw new EqpError('EQP_ERR_BAD_INPUT', ['fleet', 'names a device twice'])
      for (const id of fleet) if (!this.devices.has(id)) throw new EqpError('EQP_ERR_DEVICE_NOT_FOUND', [id])
      checkSameTopology(fleet.map((id) => ({ name: id, sub: { info: this.devices.local(id).info } as Substrate })))
    }
    const batches = Math.ceil(data.train.rows / Math.min(config.batchSize, data.train.rows))
    const at = now()
    const build = (n: number): RunRow => ({
      id: `run-${n}`, n, deviceId: body.device, label: body.label ?? null, client, task: body.task, state: 'queued', stateReason: null, interrupted: false,
      createdAt: at, startedAt: null, endedAt: null, updatedAt: at, request: { ...body }, config: { ...config, dataSeed, checkpointEvery: body.checkpointEvery ?? this.opts.checkpointEvery, stopAtDistance: body.stopAtDistance ?? null, fleet, fleetLostAfterS: body.fleetLostAfterS },
      provenance: null, progress: { epoch: 0, epochs: config.epochs, batch: 0, batches, step: 0, steps: config.epochs * batches, fraction: 0 },
      lastMetrics: { batch: null, epoch: null, eval: null }, result: null, error: null,
    })
    // the number is drawn in the insert's transaction: daemons sharing a store never draw the same
    const run = await this.tx(async (t, emit) => {
      const r = build(await t.runs.nextN())
      await t.runs.insert(r)
      await emit(r.id, { type: 'state', from: null, to: 'queued', reason: null })
      return r
    })
    this.opts.log.info({ run: run.id, device: run.deviceId, task: run.task, client }, 'run queued')
    await this.schedule(body.device)
    return this.get(run.id)
  }

  /** Starts the oldest queued run of a device when no run holds it (nor, for a fleet run, any of its devices). */
  private async schedule(deviceId: string): Promise<void> {
    if (this.closing || !this.devices.has(deviceId) || this.devices.leaseOf(deviceId)) return
    const next = (await this.store.runs.list({ device: deviceId, state: 'queued' }))[0]
    if (!next) return
    const members = this.members(next)
    // checked again after the read: a fleet run waits until all of its devices are free, and is looked
    // at again whenever one is released; no await between this check and the leases
    if (this.closing || members.some((id) => !this.devices.has(id) || this.devices.leaseOf(id))) return
    for (const id of members) this.devices.lease(id, { run: next.id, client: next.client })
    const started = await this.queued(next.id, async () => {
      const r = await this.row(next.id)
      if (r.state !== 'queued') return null   // cancelled meanwhile
      return this.setState(r, 'running', null)
    }).catch((e: Error) => { this.opts.log.error({ run: next.id, err: e }, 'run not started'); return null })
    if (started) this.launch(started, undefined)
    else for (const id of members) this.devices.release(id, next.id)
  }

  /** The devices a run trains on: its device, then the rest of its fleet. */
  private members(run: RunRow): string[] {
    return (run.config as { fleet?: string[] | null }).fleet ?? [run.deviceId]
  }

  /** Releases every device of a run and looks for queued runs that can start now. */
  private async releaseAll(run: RunRow): Promise<void> {
    const members = this.members(run)
    for (const id of members) this.devices.release(id, run.id)
    // a fleet run queued on another primary may have waited for one of these devices
    const primaries = new Set([...members, ...(await this.store.runs.list({ state: 'queued', ...this.mine })).map((r) => r.deviceId)])
    for (const id of primaries) await this.schedule(id)
  }

  /** The substrate a run trains on: its device, or a fleet over all of its devices that records drop-outs. */
  private substrateOf(run: RunRow, live: LiveRun): Substrate {
    const members = this.members(run)
    if (members.length === 1) return this.devices.substrateFor(run.deviceId, run.id)
    return new FleetSubstrate(members.map((id) => ({ name: id, sub: this.devices.substrateFor(id, run.id) })), {
      lostAfterS: (run.config as { fleetLostAfterS?: number }).fleetLostAfterS ?? 10,
      onEvent: (e) => {
        const reason = e.type === 'suspended' ? e.reason : null
        this.opts.log.warn({ run: run.id, device: e.member, reason }, e.type === 'suspended' ? 'fleet device suspended; the others go on' : 'fleet device rejoined')
        this.write(run.id, (emit) => emit(run.id, { type: 'fleet', member: e.member, change: e.type, reason, step: live.progress.step }))
      },
    })
  }

  /** Trains a run in the background, from a checkpoint or from its start. */
  private launch(run: RunRow, cp: RunCheckpoint | undefined): void {
    const a: Active = { stop: null, loop: null, done: Promise.resolve(), writeError: null }
    this.active.set(run.id, a)
    a.done = (async () => {
      let outcome: RunLoopOutcome
      try {
        const cfg = TrainConfig.parse(Object.fromEntries(TRAIN_KEYS.map((k) => [k, run.config[k]])))
        // as trainOnSimulator does: under fixed-T dynamics the state at T is the equilibrium, settled or not
        if (cfg.keepUnsettled === undefined && this.members(run).some((id) => this.devices.local(id).fixedTime)) cfg.keepUnsettled = true
        const extra = run.config as { dataSeed: number; checkpointEvery: number; stopAtDistance: number | null }
        const data = await this.datasets.load(run.task, extra.dataSeed, 'task')
        let network: Network
        if (run.provenance) network = run.provenance.network
        else {
          network = await this.devices.currentNetwork(run.deviceId)
          const dev = this.devices.local(run.deviceId)
          const provenance: Provenance = {
            versions: { ...this.opts.versions, ...this.store.versions }, startedAt: now(),
            task: { name: run.task, dataSeed: extra.dataSeed, nIn: data.nIn, nOut: data.nOut, trainRows: data.train.rows, testRows: data.test.rows },
            device: { id: dev.id, kind: dev.kind, info: dev.info }, network,
          }
          const members = this.members(run)
          if (members.length > 1) provenance.fleet = members.map((id) => { const d = this.devices.local(id); return { id, kind: d.kind, uid: d.info.uid } })
          await this.queued(run.id, () => this.store.runs.update(run.id, { provenance }))
          run = { ...run, provenance }
        }
        const live: LiveRun = { progress: run.progress, lastMetrics: run.lastMetrics, trainRows: data.train.rows }
        const loop = new RunLoop(this.substrateOf(run, live), network, data, cfg, {
          checkpoint: cp, checkpointEvery: extra.checkpointEvery, slice: this.opts.slice * this.members(run).length, stopAtDistance: extra.stopAtDistance ?? undefined,
          onEvent: (e) => this.onLoopEvent(run.id, live, e),
          // as train does: the contrast of big layer blocks as float32 products when a TF backend is up
          matmul: denseMatMul(),
        })
        a.loop = loop
        if (a.stop) loop.requestStop(a.stop)
        outcome = await loop.run()
        // the loop is ahead of the store: its last events are written before the run changes state
        await this.queued(run.id, async () => {})
        if (a.writeError) throw a.writeError
      } catch (e) {
        await this.queued(run.id, async () => {})
        this.active.delete(run.id)
        await this.fail(run.id, a.writeError ?? e as Error)
        return
      }
      this.active.delete(run.id)
      await this.finish(run.id, outcome)
    })()
  }

  /** Queues a transaction of a training run's writes; a failure stops the run, which then fails with it. */
  private write(runId: string, fn: (emit: Emit, t: StoreTables) => Promise<void>): void {
    this.queued(runId, () => this.tx((t, emit) => fn(emit, t))).catch((e: Error) => {
      const a = this.active.get(runId)
      if (!a) { this.opts.log.error({ run: runId, err: e }, 'run event not stored'); return }
      if (!a.writeError) {
        a.writeError = e
        this.opts.log.error({ run: runId, err: e }, 'run event not stored: stopping the run')
        if (!a.stop) { a.stop = 'cancel'; a.loop?.requestStop('cancel') }
      }
    })
  }

  /** Persists one engine event: a metrics row or a checkpoint, with the run row, in one transaction (queued). */
  private onLoopEvent(runId: string, live: LiveRun, e: RunLoopEvent): void {
    const t = Date.now()
    const at = new Date(t).toISOString()
    if (e.type === 'checkpoint') {
      const s = e.checkpoint.state
      const progress = live.progress = progressAt(live.progress, s.epoch, s.batch, s.step)
      this.write(runId, async (emit, t) => {
        const seq = (this.cpSeqs.get(runId) ?? (await t.runs.lastCheckpointInfo(runId))?.seq ?? 0) + 1
        this.cpSeqs.set(runId, seq)
        const info: CheckpointInfo = { seq, reason: e.reason, epoch: s.epoch, batch: s.batch, step: s.step, at }
        await t.runs.insertCheckpoint(runId, info, e.checkpoint, this.opts.keepCheckpoints)
        await t.runs.update(runId, { updatedAt: at, progress })
        await emit(runId, { type: 'checkpoint', checkpoint: info })
      })
      return
    }
    let row: MetricRow
    if (e.type === 'batch') {
      row = { kind: 'batch', epoch: e.epoch, batch: e.batch, step: e.step, split: null, samples: e.samples, ...e.metrics, ...fitColumns(e.metrics), timeS: null, t }
      live.progress = progressAt(live.progress, e.epoch - 1, e.batch, e.step)
    } else if (e.type === 'epoch') {
      const step = live.progress.step
      row = { kind: 'epoch', epoch: e.epoch, batch: null, step, split: null, samples: live.trainRows, ...e.metrics, ...fitColumns(e.metrics), timeS: e.timeS, t }
      live.progress = progressAt(live.progress, e.epoch, 0, step)
    } else {
      const m = e.metrics
      row = { kind: 'eval', epoch: e.epoch, batch: null, step: live.progress.step, split: m.split, samples: m.samples, distance: m.distance, cost: m.cost, accuracy: m.accuracy, settled: m.settled, dropped: null, fallback: null, ...fitColumns(m), timeS: null, t }
    }
    const lastMetrics = live.lastMetrics = { ...live.lastMetrics, [row.kind]: row }
    const progress = live.progress
    this.write(runId, async (emit, t) => {
      await t.runs.insertMetric(runId, row)
      await t.runs.update(runId, { progress, lastMetrics, updatedAt: at })
      await emit(runId, { type: row.kind, row })
    })
  }

  private async finish(id: string, outcome: RunLoopOutcome): Promise<void> {
    const first = await this.row(id)
    for (const id of this.members(first)) await this.devices.persistParams(id).catch(() => {})
    const release = await this.queued(id, async () => {
      const run = await this.row(id)
      if (outcome.kind === 'done') {
        const epochs = (run.config as { epochs: number }).epochs
        await this.setState(run, 'done', null, {
          result: { final: outcome.final, epochs: run.progress.epoch, network: outcome.network },
          progress: { ...run.progress, fraction: run.progress.epoch >= epochs ? 1 : run.progress.fraction },
        })
        return true
      }
      if (outcome.reason === 'pause') await this.setState(run, 'paused', 'paused on request')
      else if (outcome.reason === 'shutdown') await this.setState(run, 'suspended', 'interrupted: daemon shutdown; resume to continue from the last checkpoint', { interrupted: true })
      else {
        await this.setState(run, 'cancelled', 'cancelled on request')
        return true
      }
      return false
    })
    if (release) await this.releaseAll(first)
  }

  private async fail(id: string, err: Error): Promise<void> {
    const lost = err instanceof EqpError && (err.code === 'EQP_ERR_DEVICE_CLOSED' || (err.code as string) === 'EQP_ERR_DEVICE_LOST')
    this.opts.log.error({ run: id, err }, lost ? 'device lost under a run' : 'run failed')
    const msg = err instanceof EqpError ? `${err.code}: ${err.message}` : `${err.name}: ${err.message}`
    const run = await this.queued(id, async () => {
      const run = await this.row(id)
      if (lost && run.state === 'running') {
        await this.setState(run, 'suspended', `device fault: ${msg}`, { error: msg })
        return null
      }
      if (!isTerminal(run.state)) await this.setState(run, 'failed', msg, { error: msg })
      return run
    })
    if (run) await this.releaseAll(run)
  }

  /** Pauses a running run when its relax call in flight returns (a step under way is redone on resume), after a checkpoint. */
  async pause(id: string): Promise<RunView> {
    const run = await this.row(id)
    await this.checkHere(run)
    const a = this.active.get(id)
    if (run.state === 'running' && a) {
      if (!a.stop) { a.stop = 'pause'; a.loop?.requestStop('pause') }
      await a.done
      return this.get(id)
    }
    checkTransition(run.state, 'paused')
    throw new EqpError('EQP_ERR_RUN_BAD_TRANSITION', [run.state, 'paused'])
  }

  /** Resumes a paused or suspended run from its last checkpoint. */
  async resume(id: string, why = 'resumed on request'): Promise<RunView> {
    if (this.closing) throw new EqpError('EQP_ERR_SHUTTING_DOWN', [])
    await this.checkHere(await this.row(id))
    if (this.active.has(id)) await this.active.get(id)!.done
    const started = await this.queued(id, async () => {
      let run = await this.row(id)
      checkTransition(run.state, 'running')
      if (this.active.has(id)) throw new EqpError('EQP_ERR_RUN_BAD_TRANSITION', [run.state, 'running'])
      for (const d of this.members(run)) this.devices.lease(d, { run: run.id, client: run.client })
      const cp = await this.store.runs.lastCheckpoint(id)
      this.cpSeqs.delete(id)
      await this.store.runs.truncateMetrics(id, cp?.info.step ?? 0, cp?.info.epoch ?? 0)
      const reason = cp ? `${why} from checkpoint ${cp.info.seq} (epoch ${cp.info.epoch}, step ${cp.info.step})` : `${why} from the start (no checkpoint)`
      const progress = cp ? progressAt(run.progress, cp.info.epoch, cp.info.batch, cp.info.step) : run.progress
      run = await this.setState(run, 'running', reason, { interrupted: false, error: null, progress })
      return { run, cp }
    })
    this.launch(started.run, started.cp?.data as RunCheckpoint | undefined)
    return this.get(id)
  }

  /** Cancels a run in any non-final state; a running one stops when its relax call in flight returns. */
  async cancel(id: string): Promise<RunView> {
    await this.checkHere(await this.row(id))
    for (;;) {
      const a = this.active.get(id)
      if (a) {
        if (!a.stop) { a.stop = 'cancel'; a.loop?.requestStop('cancel') }
        await a.done
        const after = await this.row(id)
        if (after.state === 'cancelled' || isTerminal(after.state)) return this.get(id)
        continue
      }
      const run = await this.queued(id, async () => {
        const run = await this.row(id)
        // a run started meanwhile is stopped by the loop above
        if (this.active.has(id)) return null
        await this.setState(run, 'cancelled', 'cancelled on request')
        return run
      })
      if (!run) continue
      await this.releaseAll(run)
      return this.get(id)
    }
  }

  /** Stops every running run when its relax call in flight returns, with a checkpoint; they show as interrupted. */
  async shutdown(): Promise<void> {
    this.closing = true
    const waits: Promise<void>[] = []
    for (const a of this.active.values()) {
      if (!a.stop) { a.stop = 'shutdown'; a.loop?.requestStop('shutdown') }
      waits.push(a.done)
    }
    await Promise.all(waits)
    await Promise.all([...this.queues.values()])
  }

  /** Resolves once the run has no training loop in flight (for tests and shutdown). */
  async idle(id: string): Promise<void> {
    await this.active.get(id)?.done
  }

  // ---- data

  async metrics(id: string, q: { kind?: string; since?: number } = {}): Promise<MetricRow[]> {
    await this.row(id)
    return this.store.runs.metrics(id, q)
  }

  /** The run's task at its data seed (what it trains and evaluates on), e.g. to draw its pictures. */
  async dataset(id: string): Promise<Dataset> {
    const run = await this.row(id)
    return this.datasets.load(run.task, (run.config as { dataSeed: number }).dataSeed, 'task')
  }

  async metricsCsv(id: string, q: { kind?: string; since?: number } = {}): Promise<string> {
    return metricsCsv(await this.metrics(id, q))
  }

  /** Stored events after seq, and a subscription for the ones that follow (no gap, no duplicate). A run
   *  another daemon trains (shared store) is followed by reading its new events every pollS seconds. */
  async follow(id: string, since: number, listener: (e: StoredEvent) => void): Promise<{ backlog: StoredEvent[]; terminal: boolean; unsubscribe: () => void }> {
    const run = await this.row(id)
    // subscribed before the backlog is read: what is appended meanwhile is held, then merged by seq
    let held: StoredEvent[] | null = []
    let last = since
    // a run adopted from a dead daemon while followed here has two sources (the store poll, then this
    // daemon's own writes): each event goes out once, in order
    const deliver = (e: StoredEvent) => { if (e.seq > last) { last = e.seq; listener(e) } }
    const hold = (e: StoredEvent) => { if (held) held.push(e); else deliver(e) }
    let set = this.listeners.get(id)
    if (!set) this.listeners.set(id, (set = new Set()))
    set.add(hold)
    const read = async (after: number) => (await this.store.runs.eventsSince(id, after)).map((e) => ({ ...e, type: e.type as StoredEvent['type'], data: e.data as RunStreamEvent }))
    let backlog: StoredEvent[]
    try {
      backlog = await read(since)
    } catch (e) {
      set.delete(hold)
      throw e
    }
    last = backlog.at(-1)?.seq ?? since
    for (const e of held) if (e.seq > last) { backlog.push(e); last = e.seq }
    held = null
    let timer: NodeJS.Timeout | null = null
    if (this.store.shared && !this.devices.has(run.deviceId) && !isTerminal(run.state)) {
      let busy = false
      timer = setInterval(() => {
        if (busy) return
        busy = true
        read(last).then((es) => { for (const e of es) deliver(e) }, () => {}).finally(() => { busy = false })
      }, (this.opts.pollS ?? 1) * 1000)
      timer.unref()
    }
    const unsubscribe = () => {
      if (timer) clearInterval(timer)
      set.delete(hold)
      if (set.size === 0) this.listeners.delete(id)
    }
    return { backlog, terminal: isTerminal(run.state), unsubscribe }
  }

  /** Phases and couplings now (live while training), laid out on the grid for lattices. */
  async snapshot(id: string): Promise<RunSnapshot> {
    const run = await this.row(id)
    const loop = this.active.get(id)?.loop
    let net: Network, source: RunSnapshot['source'], phases: number[] | null = null, params: { weights: number[]; h: number[]; psi: number[] }
    let epoch = run.progress.epoch, step = run.progress.step
    if (loop && loop.sub.applied) {
      net = loop.network
      const p = loop.sub.applied
      params = { weights: Array.from(p.weights), h: p.h ? Array.from(p.h) : [], psi: p.psi ? Array.from(p.psi) : [] }
      phases = loop.sub.lastFree?.phases ?? null
      source = 'live'
    } else if (run.result) {
      net = run.result.network
      params = { weights: net.weights, h: net.bias?.h ?? [], psi: net.bias?.psi ?? [] }
      phases = ((await this.store.runs.lastCheckpoint(id))?.data as RunCheckpoint | undefined)?.phases ?? null
      source = 'result'
    } else {
      const cp = await this.store.runs.lastCheckpoint(id)
      net = run.provenance?.network ?? await this.devices.currentNetwork(run.deviceId)
      const data = cp?.data as RunCheckpoint | undefined
      if (data) {
        params = data.applied ?? data.state.requested
        phases = data.phases
        epoch = cp!.info.epoch; step = cp!.info.step
        source = 'checkpoint'
      } else {
        params = { weights: net.weights, h: net.bias?.h ?? [], psi: net.bias?.psi ?? [] }
        source = 'start'
      }
    }
    return {
      run: id, state: run.state, source, epoch, step, nodes: net.nodes, edges: net.edges, couplings: params.weights, h: params.h, psi: params.psi,
      phases, inputs: net.inputs, outputs: net.outputs, layout: net.layout ?? null, grid: gridView(net, params.weights, params.h, params.psi, phases),
    }
  }

  /** Run counts by state (every state listed), for /metrics and /health. */
  async countByState(): Promise<Record<string, number>> {
    const c = await this.store.runs.countByState()
    return Object.fromEntries(['queued', 'running', 'paused', 'suspended', 'done', 'failed', 'cancelled'].map((s) => [s, c[s] ?? 0]))
  }
}
