// Runs a study: every (entry, seed) through the same training service `eqprop-hil train` uses, on this
// thread or on a pool of worker threads (each run is seeded, so the results do not depend on the pool).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { countParameters } from '../../core/topology/index.ts'
import type { EngineEvent } from '../../engine/events.ts'
import { networkFromArg } from '../networks.ts'
import { loadTask, trainOnSimulator } from '../training.ts'
import { entrySeeds, type StudyConfig, type StudyEntry } from './config.ts'
import { studyCsv, studyMarkdown, summarise, type EntrySummary } from './report.ts'

/** The final metrics of one (entry, seed) run, as written to <label>-seed<k>.json. */
export interface StudyRun {
  label: string
  seed: number
  network: string
  task: string
  nodes: number
  couplings: number
  /** trainable parameters: coupling values (fewer than couplings when tied) plus h and psi when trained */
  parameters: number
  epochs: number
  /** mean over the last epoch's training batches (free phase, as trained) */
  train: { accuracy: number; distance: number } | null
  /** the final test evaluation */
  test: { accuracy: number; distance: number } | null
  target: StudyEntry['target'] | null
  /** first epoch that met the target (test accuracy is checked at evaluations only), null if none */
  epochsToTarget: number | null
  wallS: number
  forceEvals: number
}

/** Trains one seed of one entry (what a worker thread runs); the seed is the run, network and data seed, as `train --seed`. */
export async function runStudySeed(entry: StudyEntry, seed: number): Promise<StudyRun> {
  const data = loadTask(entry.task, seed)
  const network = networkFromArg(entry.network, { inputs: data.nIn, outputs: data.nOut }, seed)
  const { label, network: spec, task, seeds: _s, solver, tol, stopAtDistance, target, ...train } = entry
  const counts = countParameters(network)
  // trainable parameters as the trainer counts them: the bias fields only when they are trained
  const parameters = counts.couplingParameters + (train.trainBias ? 2 * network.nodes : 0)
  let epochsToTarget: number | null = null
  const onEvent = (e: EngineEvent) => {
    if (!target || epochsToTarget !== null) return
    if (target.metric === 'distance' && e.type === 'epoch' && e.metrics.distance < target.value) epochsToTarget = e.epoch
    if (target.metric === 'test_acc' && e.type === 'eval' && e.metrics.split === 'test' && e.metrics.accuracy >= target.value) epochsToTarget = e.epoch
  }
  const r = await trainOnSimulator(network, { task, train: { ...train, seed }, sim: { solver, tol }, dataSeed: seed, stopAtDistance }, onEvent)
  return {
    label, seed, network: spec, task, nodes: network.nodes, couplings: counts.couplings, parameters, epochs: r.epochs,
    train: r.train, test: r.final && { accuracy: r.final.accuracy, distance: r.final.distance },
    target: target ?? null, epochsToTarget, wallS: r.wallS, forceEvals: r.forceEvals,
  }
}

export interface StudyOptions {
  /** directory for results.md, results.csv and the per-run JSON files */
  outDir: string
  /** runs trained at once, each on its own worker thread (1 = on this thread) */
  workers?: number
  /** called after each run */
  onRun?: (run: StudyRun, done: number, total: number) => void
}

export interface StudyResult { runs: StudyRun[]; summaries: EntrySummary[]; markdown: string; files: string[]; wallS: number }

/** Trains every (entry, seed), writes DIR/<label>-seed<k>.json per run and DIR/results.md, DIR/results.csv; returns the summaries. */
export async function runStudy(config: StudyConfig, opts: StudyOptions): Promise<StudyResult> {
  const t0 = performance.now()
  // a task or network that cannot load fails here, with its error code, before any training
  for (const e of config.entries) {
    const data = loadTask(e.task, entrySeeds(e)[0])
    networkFromArg(e.network, { inputs: data.nIn, outputs: data.nOut }, entrySeeds(e)[0])
  }
  mkdirSync(opts.outDir, { recursive: true })
  const jobs = config.entries.flatMap((entry) => entrySeeds(entry).map((seed) => ({ entry, seed })))
  const runs: StudyRun[] = new Array(jobs.length)
  const files: string[] = []
  let done = 0
  const record = (k: number, run: StudyRun) => {
    runs[k] = run
    const path = join(opts.outDir, `${run.label}-seed${run.seed}.json`)
    writeFileSync(path, JSON.stringify(run, null, 2) + '\n')
    files.push(path)
    opts.onRun?.(run, ++done, jobs.length)
  }
  const workers = Math.max(1, Math.min(opts.workers ?? 1, jobs.length))
  if (workers === 1) {
    for (let k = 0; k < jobs.length; k++) record(k, await runStudySeed(jobs[k].entry, jobs[k].seed))
  } else {
    await runPool(jobs, workers, record)
  }
  const summaries = config.entries.map((e) => summarise(e, runs.filter((r) => r.label === e.label)))
  const md = join(opts.outDir, 'results.md'), csv = join(opts.outDir, 'results.csv')
  const markdown = studyMarkdown(config.name, summaries)
  writeFileSync(md, markdown)
  writeFileSync(csv, studyCsv(summaries))
  files.push(md, csv)
  return { runs, summaries, markdown, files, wallS: (performance.now() - t0) / 1000 }
}

/** Hands jobs to `size` worker threads, one at a time each, until none are left. */
async function runPool(jobs: { entry: StudyEntry; seed: number }[], size: number, record: (k: number, run: StudyRun) => void): Promise<void> {
  let next = 0
  // From source, worker.js is the wrapper that registers tsx before loading worker.ts; compiled
  // (dist/), tsc emits worker.ts under that same name and the wrapper is not copied, so the
  // compiled worker starts with no transpiling.
  const url = new URL('./worker.js', import.meta.url)
  const one = (w: Worker) => new Promise<void>((resolve, reject) => {
    const feed = () => {
      if (next >= jobs.length) { resolve(); return }
      const k = next++
      w.once('message', (m: { run?: StudyRun; error?: string }) => {
        if (m.error !== undefined) { reject(new Error(`study run ${jobs[k].entry.label} seed ${jobs[k].seed}: ${m.error}`)); return }
        record(k, m.run!)
        feed()
      })
      w.postMessage(jobs[k])
    }
    w.once('error', reject)
    feed()
  })
  const pool = Array.from({ length: size }, () => new Worker(url))
  try {
    await Promise.all(pool.map(one))
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
}
