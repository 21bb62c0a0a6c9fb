// The trial queue of distributed studies on NATS JetStream: the queue URL, the two streams (trials
// to run, results to collect), the shared worker consumer, and the messages both sides exchange.
// Why JetStream and not BullMQ: docs/how-to/distributed-study.md#why-nats-jetstream.
import { AckPolicy, connect, DeliverPolicy, JSONCodec, nanos, RetentionPolicy, type JetStreamManager, type NatsConnection } from 'nats'
import { z } from 'zod'
import { EqpError } from '../../errors.ts'
import { StudyEntry } from './config.ts'

/** A parsed --queue URL: NATS servers and the queue's name (streams and subjects are named after it). */
export interface QueueUrl { url: string; servers: string; name: string }

const NAME = /^[A-Za-z0-9_-]{1,64}$/

/** Parses `nats://host:port[/name]` (default name eqprop-study); anything else is EQP_ERR_BAD_INPUT naming --queue. */
export function parseQueueUrl(raw: string): QueueUrl {
  let u: URL
  try { u = new URL(raw) } catch { throw new EqpError('EQP_ERR_BAD_INPUT', ['--queue', `'${raw}' is not a URL (nats://host:4222[/name])`]) }
  if (u.protocol === 'redis:' || u.protocol === 'rediss:') {
    throw new EqpError('EQP_ERR_BAD_INPUT', ['--queue', 'redis:// (BullMQ) is not supported: studies queue on NATS JetStream, give nats://host:4222[/name] (docs/how-to/distributed-study.md)'])
  }
  if (u.protocol !== 'nats:') throw new EqpError('EQP_ERR_BAD_INPUT', ['--queue', `'${u.protocol}' is not a queue scheme; give nats://host:4222[/name]`])
  const name = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, '')) || 'eqprop-study'
  if (!NAME.test(name)) throw new EqpError('EQP_ERR_BAD_INPUT', ['--queue', `queue name '${name}': use 1-64 letters, digits, "_" and "-"`])
  if (u.search || u.hash) throw new EqpError('EQP_ERR_BAD_INPUT', ['--queue', 'takes no query or fragment'])
  return { url: raw, servers: `${u.hostname}:${u.port || '4222'}`, name }
}

/** Stream, subject and consumer names of one queue. */
export function queueNames(name: string) {
  return {
    trialStream: `EQP_${name}_TRIALS`, trialSubject: (studyId: string) => `eqprop.${name}.trials.${studyId}`,
    resultStream: `EQP_${name}_RESULTS`, resultSubject: (studyId: string) => `eqprop.${name}.results.${studyId}`,
    workers: 'workers', collector: (studyId: string) => `study-${studyId}`,
  }
}

/** One trial on the queue: an entry (parsed, defaults filled) and a seed, for the study that asked. */
export const TrialMessage = z.strictObject({ studyId: z.string().regex(NAME), entry: StudyEntry, seed: z.int().min(0), entryKey: z.string() })
export type TrialMessage = z.infer<typeof TrialMessage>

/** A worker's answer: the run (as runStudySeed returns it) or why the trial could not run. */
export const ResultMessage = z.object({
  label: z.string(),
  seed: z.int().min(0),
  entryKey: z.string(),
  /** hostname:pid of the worker */
  worker: z.string(),
  /** how many times JetStream had delivered this trial when it finished (1 = first try) */
  delivery: z.int().min(1),
  /** a StudyRun; its fields are written by runStudySeed of the same code, so only its identity is checked */
  run: z.looseObject({ label: z.string(), seed: z.number(), entryKey: z.string() }).optional(),
  error: z.string().optional(),
})
export type ResultMessage = z.infer<typeof ResultMessage>

export const jc = JSONCodec()

/** Trial deliveries before a trial counts as failed (each one a worker that died or stalled). */
export const MAX_DELIVER = 5
/** Default ack wait: a trial whose worker sends no heartbeat for this long is handed to another worker. */
export const DEFAULT_ACK_WAIT_S = 30

/** Connects to the queue's server; a refused or unreachable server is EQP_ERR_QUEUE_CONNECT. */
export async function connectQueue(q: QueueUrl, name: string): Promise<NatsConnection> {
  try {
    return await connect({ servers: q.servers, name, timeout: 5000, maxReconnectAttempts: -1, reconnectTimeWait: 1000 })
  } catch (e) {
    throw new EqpError('EQP_ERR_QUEUE_CONNECT', [q.url, (e as Error).message], { cause: e })
  }
}

/**
 * Creates the two work-queue streams and the shared worker consumer when they are missing (idempotent).
 * ackWaitS given (the study's choice) updates the worker consumer; absent, an existing one is kept.
 */
export async function ensureQueue(nc: NatsConnection, q: QueueUrl, ackWaitS?: number): Promise<JetStreamManager> {
  const n = queueNames(q.name)
  try {
    const jsm = await nc.jetstreamManager({ timeout: 5000 })
    for (const [stream, subjects] of [[n.trialStream, [`eqprop.${q.name}.trials.*`]], [n.resultStream, [`eqprop.${q.name}.results.*`]]] as const) {
      try { await jsm.streams.info(stream) } catch {
        // work-queue retention: a message leaves the stream when it is acked, so nothing piles up
        await jsm.streams.add({ name: stream, subjects: [...subjects], retention: RetentionPolicy.Workqueue, max_age: nanos(7 * 24 * 3600 * 1000) })
      }
    }
    const config = { durable_name: n.workers, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_deliver: MAX_DELIVER, ack_wait: nanos((ackWaitS ?? DEFAULT_ACK_WAIT_S) * 1000) }
    let exists = true
    try { await jsm.consumers.info(n.trialStream, n.workers) } catch { exists = false }
    if (!exists) {
      try { await jsm.consumers.add(n.trialStream, config) } catch (e) {
        // another process created it between our two calls: theirs stands
        if (!/already|exists|in use/i.test((e as Error).message)) throw e
      }
    } else if (ackWaitS !== undefined) {
      await jsm.consumers.update(n.trialStream, n.workers, { ack_wait: config.ack_wait })
    }
    return jsm
  } catch (e) {
    if (e instanceof EqpError) throw e
    throw new EqpError('EQP_ERR_QUEUE_CONNECT', [q.url, `JetStream: ${(e as Error).message}`], { cause: e })
  }
}
