// A study worker thread: trains one (entry, seed) per message and posts the run back (or the error).
// A job with `observe` (a queue worker writing trials to a run store) also gets the built network, the
// training events and the trained network, so the main thread can store the trial as a daemon stores a run.
import { parentPort } from 'node:worker_threads'
import type { StudyEntry } from './config.ts'
import { runStudySeed, type TrialObserver } from './run.ts'

parentPort!.on('message', (job: { entry: StudyEntry; seed: number; observe?: boolean }) => {
  const observe: TrialObserver = job.observe
    ? {
        onStart: (network, trainRows) => parentPort!.postMessage({ start: { network, trainRows } }),
        onEvent: (event) => parentPort!.postMessage({ event }),
        onOutcome: (outcome) => parentPort!.postMessage({ outcome }),
      }
    : {}
  runStudySeed(job.entry, job.seed, 1, observe).then(
    (run) => parentPort!.postMessage({ run }),
    (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  )
})
