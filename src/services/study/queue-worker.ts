// `eqprop-hil worker`: takes study trials from the queue, trains each on a worker thread (the same
// thread program a local study pool uses), sends the run back on the study's result subject and acks.
// The main thread only talks to NATS, so it keeps sending heartbeats (msg.working()) however long
// a trial trains; a worker killed mid-trial stops them, and after the ack wait JetStream hands the
// trial to another worker.
import { hostname } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { JsMsg } from 'nats'
import type { Network } from '../../core/network/network.ts'
import type { EngineEvent } from '../../engine/events.ts'
import { EqpError } from '../../errors.ts'
import type { RunResult } from '../runs/schemas.ts'
import { openStore, type Store } from '../store/index.ts'
import type { StudyJob, StudyRun } from './run.ts'
import { TrialRunWriter } from './trial-runs.ts'
import { connectQueue, ensureQueue, jc, queueNames, TrialMessage, type QueueUrl, type ResultMessage } from './trial-queue.ts'

export type WorkerEvent =
  | { type: 'ready'; queue: string; concurrency: number; ackWaitS: number }
  | { type: 'start'; label: string; seed: number; delivery: number }
  | { type: 'done'; label: string; seed: number; delivery: number; wallS: number }
  | { type: 'failed'; label: string; seed: number; delivery: number; error: string }
  | { type: 'rejected'; reason: string }

export interface QueueWorkerOptions {
  /** trials trained at once, each on its own thread */
  concurrency: number
  /** stop after this many trials (default: run until stopped) */
  maxTrials?: number
  onEvent?: (e: WorkerEvent) => void
  signal?: AbortSignal
  /** a shared run store (postgres:// URL) where each trial is written as a run, tagged with its study and trial */
  store?: string
}

/** What a trial thread posts: the training as it goes (only when observed), then the run or the error. */
type ThreadMessage =
  | { start: { network: Network; trainRows: number } } | { event: EngineEvent } | { outcome: { final: RunResult['final']; epochs: number; network: Network } }
  | { run: StudyRun } | { error: string }

/** A worker thread that trains one trial at a time. */
class TrialThread {
  private readonly w = new Worker(new URL('./worker.js', import.meta.url))
  /** Trains one trial; rejects with the trial's error message. With a writer, the trial is also stored as a run. */
  run(job: StudyJob, writer?: TrialRunWriter): Promise<StudyRun> {
    return new Promise((resolve, reject) => {
      const done = () => { this.w.off('error', onError); this.w.off('exit', onExit); this.w.off('message', onMessage) }
      const onError = (e: Error) => { done(); reject(e) }
      const onExit = (code: number) => { done(); reject(new Error(`trial thread exited (${code})`)) }
      let result: RunResult | null = null
      const onMessage = (m: ThreadMessage) => {
        if ('start' in m) writer?.begin(m.start.network, m.start.trainRows)
        else if ('event' in m) writer?.event(m.event)
        else if ('outcome' in m) result = { final: m.outcome.final, epochs: m.outcome.epochs, network: m.outcome.network }
        else {
          done()
          const error = 'error' in m ? m.error : null
          // the run is stored before the result goes back: a study that finished finds every trial in the store
          const stored = writer ? writer.end(error === null && result ? { result } : { error: error ?? 'the trial thread sent no outcome' }) : Promise.resolve()
          stored.then(
            () => (error !== null ? reject(new Error(error)) : resolve((m as { run: StudyRun }).run)),
            (e: Error) => reject(new Error(error ?? `storing the trial's run: ${e.message}`)),
          )
        }
      }
      this.w.once('error', onError)
      this.w.once('exit', onExit)
      this.w.on('message', onMessage)
      this.w.postMessage({ ...job, observe: writer !== undefined })
    })
  }
  close(): Promise<number> { return this.w.terminate() }
}

/** Runs trials from the queue until the signal aborts (or maxTrials are done); resolves with the count trained. */
export async function runQueueWorker(q: QueueUrl, opts: QueueWorkerOptions): Promise<{ trials: number }> {
  const n = queueNames(q.name), me = `${hostname()}:${process.pid}`
  // opened before the queue is joined: a bad store URL stops the worker before it takes a trial
  const store: Store | null = opts.store === undefined ? null : await openStore(opts.store)
  let nc: Awaited<ReturnType<typeof connectQueue>>
  try { nc = await connectQueue(q, `eqprop-hil worker ${me}`) } catch (e) { await store?.close(); throw e }
  const threads: TrialThread[] = []
  const running = new Set<JsMsg>()
  let trials = 0, claimed = 0
  const stopped = () => opts.signal?.aborted === true || (opts.maxTrials !== undefined && claimed >= opts.maxTrials)
  try {
    const jsm = await ensureQueue(nc, q)
    const currentAckWaitS = async () => (await jsm.consumers.info(n.trialStream, n.workers)).config.ack_wait! / 1e9
    const ackWaitS = await currentAckWaitS()
    const consumer = await nc.jetstream().consumers.get(n.trialStream, n.workers)
    opts.onEvent?.({ type: 'ready', queue: q.name, concurrency: opts.concurrency, ackWaitS })
    // a stopped worker hands its running trials back at once instead of after the ack wait
    const onAbort = () => {
      for (const m of running) m.nak()
      for (const t of threads) void t.close()
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const slot = async (thread: TrialThread) => {
      while (!stopped()) {
        let m: JsMsg | null
        try { m = await consumer.next({ expires: 2000 }) } catch {
          // the server restarting or the connection reconnecting: pull again shortly
          await new Promise((r) => setTimeout(r, 1000))
          continue
        }
        if (!m) continue
        if (stopped()) { m.nak(); break }
        const parsed = TrialMessage.safeParse(m.json())
        if (!parsed.success) {
          opts.onEvent?.({ type: 'rejected', reason: parsed.error.message })
          m.term('not a trial message')
          continue
        }
        claimed++
        const t = parsed.data, delivery = m.info.deliveryCount
        const base = { label: t.entry.label, seed: t.seed, entryKey: t.entryKey, worker: me, delivery }
        running.add(m)
        // heartbeats well inside the ack wait, so a live worker keeps its trial however long it trains;
        // the wait is read per trial because a study may have changed it (--ack-wait) since this worker started
        const waitS = await currentAckWaitS().catch(() => ackWaitS)
        const beat = setInterval(() => m.working(), Math.min(5000, (waitS * 1000) / 3))
        opts.onEvent?.({ type: 'start', label: base.label, seed: t.seed, delivery })
        let result: ResultMessage
        try {
          const writer = store ? new TrialRunWriter(store, { studyId: t.studyId, entry: t.entry, seed: t.seed, entryKey: t.entryKey, worker: me, delivery }) : undefined
          const run = await thread.run({ entry: t.entry, seed: t.seed }, writer)
          result = { ...base, run: run as unknown as ResultMessage['run'] }
          opts.onEvent?.({ type: 'done', label: base.label, seed: t.seed, delivery, wallS: run.wallS })
        } catch (e) {
          if (opts.signal?.aborted) break
          result = { ...base, error: (e as Error).message }
          opts.onEvent?.({ type: 'failed', label: base.label, seed: t.seed, delivery, error: result.error! })
        } finally {
          clearInterval(beat)
        }
        if (opts.signal?.aborted) break // nak'ed already: another worker trains it again
        // the result is stored in its stream before the trial leaves the queue, so a crash between the two repeats the trial, never loses it
        await nc.jetstream().publish(n.resultSubject(t.studyId), jc.encode(result))
        if (result.error !== undefined) m.term(result.error)
        else await m.ackAck()
        running.delete(m)
        trials++
      }
    }
    for (let k = 0; k < opts.concurrency; k++) threads.push(new TrialThread())
    await Promise.all(threads.map(slot))
    opts.signal?.removeEventListener('abort', onAbort)
    return { trials }
  } catch (e) {
    if (e instanceof EqpError) throw e
    throw new EqpError('EQP_ERR_QUEUE_CONNECT', [q.url, (e as Error).message], { cause: e })
  } finally {
    await Promise.all(threads.map((t) => t.close()))
    await nc.drain().catch(() => nc.close())
    await store?.close().catch(() => {})
  }
}
