// A study worker thread: trains one (entry, seed) per message and posts the run back (or the error).
import { parentPort } from 'node:worker_threads'
import type { StudyEntry } from './config.ts'
import { runStudySeed } from './run.ts'

parentPort!.on('message', (job: { entry: StudyEntry; seed: number }) => {
  runStudySeed(job.entry, job.seed).then(
    (run) => parentPort!.postMessage({ run }),
    (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  )
})
