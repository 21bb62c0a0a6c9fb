// The study side of a distributed study: puts the missing trials on the queue and collects the
// workers' results, which the local runner then records exactly as it records its own runs.
import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { AckPolicy, type JsMsg } from 'nats'
import { EqpError } from '../../errors.ts'
import { entryKey, type StudyRun, type TrialRunner } from './run.ts'
import { connectQueue, ensureQueue, jc, MAX_DELIVER, queueNames, ResultMessage, type QueueUrl, type TrialMessage } from './trial-queue.ts'

/** A study's identity on the queue: this host and its output directory, so a rerun of the same command finds its results. */
export function studyIdFor(outDir: string): string {
  return createHash('sha256').update(`${hostname()}\u0000${resolve(outDir)}`).digest('hex').slice(0, 16)
}

export interface QueueRunnerOptions {
  studyId: string
  /** seconds without a worker heartbeat before a trial goes to another worker (sets the queue's worker consumer) */
  ackWaitS?: number
  /** called when a result arrives from a worker (after it is recorded) */
  onResult?: (r: { label: string; seed: number; worker: string; delivery: number }) => void
}

/**
 * A TrialRunner that runs the trials on `eqprop-hil worker` processes through the queue. Results that
 * arrived while this study was not running (an earlier, interrupted session) are taken first; only the
 * trials still missing are enqueued. A result is acked after it is recorded (its run file written).
 */
export function queueRunner(q: QueueUrl, opts: QueueRunnerOptions): TrialRunner {
  return async (jobs, record) => {
    const id = opts.studyId, n = queueNames(q.name)
    const nc = await connectQueue(q, `eqprop-hil study ${hostname()}:${process.pid}`)
    try {
      const jsm = await ensureQueue(nc, q, opts.ackWaitS)
      const js = nc.jetstream()
      const tag = (label: string, seed: number) => `${label}\u0000${seed}`
      const pending = new Map(jobs.map((j, k) => [tag(j.entry.label, j.seed), k]))
      const keys = jobs.map((j) => entryKey(j.entry))
      let failure: Error | null = null
      const take = (m: JsMsg) => {
        let parsed: ReturnType<typeof ResultMessage.safeParse> | null = null
        try { parsed = ResultMessage.safeParse(m.json()) } catch { /* not JSON */ }
        const r = parsed?.success ? parsed.data : null
        const k = r ? pending.get(tag(r.label, r.seed)) : undefined
        // a malformed message, a result of another session's settings, or a duplicate of one already recorded, is dropped
        if (r && k !== undefined && r.entryKey === keys[k]) {
          if (r.error !== undefined || !r.run) failure ??= new EqpError('EQP_ERR_QUEUE_TRIAL_FAILED', [r.label, r.seed, r.worker, r.error ?? 'the result carries no run'])
          else {
            pending.delete(tag(r.label, r.seed))
            record(k, r.run as unknown as StudyRun)
            opts.onResult?.({ label: r.label, seed: r.seed, worker: r.worker, delivery: r.delivery })
          }
        }
        m.ack()
      }
      const name = n.collector(id)
      // a collector left by an interrupted session may hold results it was delivered and never acked (its
      // client prefetches): they would count as neither pending nor recorded, and their trials would run
      // again. A fresh collector sees every result still in the stream (work-queue retention keeps a
      // message until it is acked); the ones already recorded are dropped by take().
      try { await jsm.consumers.delete(n.resultStream, name) } catch { /* none yet */ }
      await jsm.consumers.add(n.resultStream, { durable_name: name, ack_policy: AckPolicy.Explicit, filter_subject: n.resultSubject(id) })
      const collector = await js.consumers.get(n.resultStream, name)
      for (let left = (await collector.info()).num_pending; left > 0 && pending.size > 0; left--) {
        const m = await collector.next({ expires: 2000 })
        if (!m) break
        take(m)
      }
      // this study's trials from an earlier session would run twice: drop them, then enqueue what is missing
      await jsm.streams.purge(n.trialStream, { filter: n.trialSubject(id) })
      const seqJob = new Map<number, number>()
      for (const k of pending.values()) {
        const msg: TrialMessage = { studyId: id, entry: jobs[k].entry, seed: jobs[k].seed, entryKey: keys[k] }
        seqJob.set((await js.publish(n.trialSubject(id), jc.encode(msg))).seq, k)
      }
      if (pending.size > 0) {
        const results = await collector.consume()
        // JetStream gives up on a trial after MAX_DELIVER deliveries without an ack and says so on this subject
        const advisories = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${n.trialStream}.${n.workers}`, {
          callback: (_e, m) => {
            const a = jc.decode(m.data) as { stream_seq?: number }
            const k = a.stream_seq === undefined ? undefined : seqJob.get(a.stream_seq)
            if (k === undefined || !pending.has(tag(jobs[k].entry.label, jobs[k].seed))) return
            failure ??= new EqpError('EQP_ERR_QUEUE_TRIAL_FAILED', [jobs[k].entry.label, jobs[k].seed, 'the queue', `delivered ${MAX_DELIVER} times, never acknowledged (workers died or stalled)`])
            results.stop()
          },
        })
        try {
          for await (const m of results) {
            take(m)
            if (pending.size === 0 || failure) break
          }
        } finally {
          advisories.unsubscribe()
          results.stop()
        }
        if (failure) throw failure
        if (pending.size > 0) throw new EqpError('EQP_ERR_QUEUE_CONNECT', [q.url, `the result stream ended with ${pending.size} trials outstanding`])
      }
      await jsm.consumers.delete(n.resultStream, name).catch(() => undefined)
    } finally {
      await nc.drain().catch(() => nc.close())
    }
  }
}
