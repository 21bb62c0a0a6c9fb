// eqprop-hil worker: trains study trials from a queue (NATS JetStream) until stopped.
import { availableParallelism } from 'node:os'
import { runQueueWorker } from '../../services/study/queue-worker.ts'
import { parseQueueUrl } from '../../services/study/trial-queue.ts'
import { isPostgresUrl } from '../../services/store/index.ts'
import { num, parseFlags, required, UsageError } from '../usage.ts'

export const WORKER_HELP = `eqprop-hil worker --queue nats://HOST:4222[/NAME] [--store postgres://...] [--concurrency N|auto] [--max-trials K] [--quiet]

  --queue URL        the queue a study was started on (study --queue URL); NAME defaults to eqprop-study
  --store URL        also write each trial as a run (metrics, events, result) to this shared PostgreSQL
                     store, so GET /runs on every daemon using it lists the study's trials
  --concurrency N    trials trained at once, one thread each (default 1; auto = one per core)
  --max-trials K     exit after K trials (default: run until SIGINT / SIGTERM)
  --quiet            no line per trial on stderr

Each trial (one study entry x one seed) trains on a thread; the result goes back to the study through
the queue. SIGINT / SIGTERM hand the running trials back to the queue at once, for another worker.
A worker killed outright (kill -9) loses nothing either: its trials go to another worker after the
queue's ack wait (study --ack-wait). See docs/how-to/distributed-study.md.`

export async function workerCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, { queue: { type: 'string' }, store: { type: 'string' }, concurrency: { type: 'string' }, 'max-trials': { type: 'string' }, quiet: { type: 'boolean' } })
  const q = parseQueueUrl(required(f.queue, 'queue'))
  const concurrency = f.concurrency === 'auto' ? availableParallelism() : num(f.concurrency, 'concurrency', 1, { int: true, min: 1, max: 64 })
  if (f.store !== undefined && !isPostgresUrl(f.store)) throw new UsageError(`--store: '${f.store}' is not a shared store; give postgres://user@host/db (a SQLite file belongs to one daemon)`)
  const maxTrials = f['max-trials'] === undefined ? undefined : num(f['max-trials'], 'max-trials', 1, { int: true, min: 1 })
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const say = (s: string) => { if (!f.quiet) process.stderr.write(s + '\n') }
  try {
    const r = await runQueueWorker(q, {
      concurrency, maxTrials, signal: stop.signal, store: f.store,
      onEvent: (e) => {
        if (e.type === 'ready') process.stderr.write(`worker ready on queue ${e.queue} (${e.concurrency} at once, ack wait ${e.ackWaitS} s)\n`)
        else if (e.type === 'start') say(`start ${e.label} seed ${e.seed} (delivery ${e.delivery})`)
        else if (e.type === 'done') say(`done ${e.label} seed ${e.seed} (delivery ${e.delivery}), ${e.wallS.toFixed(1)} s`)
        else if (e.type === 'failed') say(`failed ${e.label} seed ${e.seed}: ${e.error}`)
        else say(`rejected a message: ${e.reason}`)
      },
    })
    process.stderr.write(`worker stopped after ${r.trials} trials\n`)
    return 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
