// Runs a study: every (entry, seed) through the same training service `eqprop-hil train` uses, on this
// thread or on a pool of worker threads (each run is seeded, so the results do not depend on the pool).
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { subsetPerClass } from '../../core/data/images.ts'
import type { Dataset } from '../../core/data/dataset.ts'
import { countParameters } from '../../core/topology/index.ts'
import { EqpError } from '../../errors.ts'
import type { EngineEvent } from '../../engine/events.ts'
import { networkFromArg } from '../networks.ts'
import { asModel, withInputValues, withResistorGain } from '../substrates.ts'
import type { Network } from '../../core/network/network.ts'
import { loadTask, trainOnSimulator, type TrainOutcome } from '../training.ts'
import { entrySeeds, type StudyConfig, type StudyEntry } from './config.ts'
import { writeStudyFigures } from './figures.ts'
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
  /** fingerprint of the entry's settings (entryKey): a resumed study keeps a run file only if it matches */
  entryKey: string
  /** learning curve for the study's figures (absent in run files written before it was recorded) */
  curve?: RunCurve
}

/** A run's learning curve: each epoch's mean training D and accuracy, and the test accuracy at each evaluation
 *  (fractions; D in the task's units; JSON writes a non-finite value as null). */
export interface RunCurve { epoch: number[]; distance: (number | null)[]; accuracy: (number | null)[]; testEpoch: number[]; testAccuracy: (number | null)[] }

/** The network an entry trains: built (or read), as its substrate, with its input values and gain. */
function studyNetwork(entry: StudyEntry, io: { inputs: number; outputs: number }, seed: number): Network {
  const built = networkFromArg(entry.network, io, seed)
  const modelled = entry.substrate ? asModel(built, entry.substrate) : built
  const gained = entry.inputGain === undefined ? modelled : withResistorGain(modelled, { input: entry.inputGain }, { input: 'inputGain', layers: 'layerGain' })
  return withInputValues(gained, entry.inputValues)
}

/** The task with its test split cut to the first perClass rows of each class (the loader's split is stratified by seed). */
function withTestPerClass(data: Dataset, perClass: number): Dataset {
  if (data.kind === 'regression') throw new EqpError('EQP_ERR_BAD_INPUT', ['testPerClass', `task '${data.name}' is a regression task: it has no classes to take rows from`])
  return { ...data, test: subsetPerClass(data.test, data.classes, perClass) }
}

/** A fingerprint of everything that shapes an entry's runs (its parsed settings), so changed settings retrain. */
export function entryKey(entry: StudyEntry): string {
  const { seeds: _seeds, ...settings } = entry
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16)
}

/** Watchers of one trial (a queue worker that writes it to a run store); they see, never steer, the training. */
export interface TrialObserver {
  /** the network as built, before training, and the rows of the task's training split */
  onStart?: (network: Network, trainRows: number) => void
  onEvent?: (e: EngineEvent) => void
  /** the trained network and the final test evaluation */
  onOutcome?: (o: { final: TrainOutcome['final']; epochs: number; network: Network }) => void
}

/**
 * Trains one seed of one entry (what a worker thread runs); the seed is the run, network and data seed,
 * as `train --seed`. `workers` relax threads for this run: 1 inside a pool of runs, which uses the cores already.
 */
export async function runStudySeed(entry: StudyEntry, seed: number, workers: number | 'auto' = 1, observe: TrialObserver = {}): Promise<StudyRun> {
  const data = loadTask(entry.task, seed)
  const network = studyNetwork(entry, { inputs: data.nIn, outputs: data.nOut }, seed)
  const { label, network: spec, task, seeds: _s, solver, dynamics, dynamicsT, tol, stopAtDistance, target, substrate: _m, inputValues: _v, inputGain: _g, trainPerClass, testPerClass, ...train } = entry
  const counts = countParameters(network)
  // trainable parameters as the trainer counts them: the bias fields only when they are trained
  const parameters = counts.couplingParameters + (train.trainBias ? 2 * network.nodes : 0)
  let epochsToTarget: number | null = null
  const curve: RunCurve = { epoch: [], distance: [], accuracy: [], testEpoch: [], testAccuracy: [] }
  // the rows an epoch trains on, for a watcher's progress (the training service cuts the same rows)
  observe.onStart?.(network, trainPerClass === undefined ? data.train.rows : subsetPerClass(data.train, data.classes, trainPerClass).rows)
  const onEvent = (e: EngineEvent) => {
    observe.onEvent?.(e)
    if (e.type === 'epoch') { curve.epoch.push(e.epoch); curve.distance.push(e.metrics.distance); curve.accuracy.push(e.metrics.accuracy) }
    if (e.type === 'eval' && e.metrics.split === 'test') { curve.testEpoch.push(e.epoch); curve.testAccuracy.push(e.metrics.accuracy) }
    if (!target || epochsToTarget !== null) return
    if (target.metric === 'distance' && e.type === 'epoch' && e.metrics.distance < target.value) epochsToTarget = e.epoch
    if (target.metric === 'test_acc' && e.type === 'eval' && e.metrics.split === 'test' && e.metrics.accuracy >= target.value) epochsToTarget = e.epoch
  }
  const load = testPerClass === undefined ? loadTask : (name: string, s: number) => withTestPerClass(loadTask(name, s), testPerClass)
  const r = await trainOnSimulator(network, { task, train: { ...train, seed }, sim: { solver, dynamics, dynamicsT, tol }, dataSeed: seed, stopAtDistance, workers, trainPerClass }, onEvent, {}, load)
  observe.onOutcome?.({ final: r.final, epochs: r.epochs, network: r.network })
  return {
    label, seed, network: spec, task, nodes: network.nodes, couplings: counts.couplings, parameters, epochs: r.epochs,
    train: r.train, test: r.final && { accuracy: r.final.accuracy, distance: r.final.distance },
    target: target ?? null, epochsToTarget, wallS: r.wallS, forceEvals: r.forceEvals, entryKey: entryKey(entry), curve,
  }
}

/** One trial of a study: an entry and one of its seeds. */
export interface StudyJob { entry: StudyEntry; seed: number }

/** Runs trials somewhere (threads here, workers on a queue) and calls record(k, run) as each finishes, in any order. */
export type TrialRunner = (jobs: StudyJob[], record: (k: number, run: StudyRun) => void) => Promise<void>

export interface StudyOptions {
  /** directory for results.md, results.csv and the per-run JSON files */
  outDir: string
  /** runs trained at once, each on its own worker thread (1 = on this thread) */
  workers?: number
  /** keep the run files an earlier, interrupted study wrote for the same settings (default true) */
  resume?: boolean
  /** where the trials run instead of this host's threads (queueRunner: workers on a queue); `workers` is then unused */
  runner?: TrialRunner
  /** called after each run; etaS estimates the time left from this session's runs (null before the first) */
  onRun?: (run: StudyRun, done: number, total: number, etaS: number | null) => void
}

export interface StudyResult { runs: StudyRun[]; summaries: EntrySummary[]; markdown: string; files: string[]; figures: string[]; wallS: number }

/** Trains every (entry, seed), writes DIR/<label>-seed<k>.json per run, DIR/results.md, DIR/results.csv and the figures (DIR/<figure>.png); returns the summaries. */
export async function runStudy(config: StudyConfig, opts: StudyOptions): Promise<StudyResult> {
  const t0 = performance.now()
  // a task or network that cannot load fails here, with its error code, before any training
  for (const e of config.entries) {
    const data = loadTask(e.task, entrySeeds(e)[0])
    studyNetwork(e, { inputs: data.nIn, outputs: data.nOut }, entrySeeds(e)[0])
  }
  mkdirSync(opts.outDir, { recursive: true })
  const all = config.entries.flatMap((entry) => entrySeeds(entry).map((seed) => ({ entry, seed })))
  const runs: (StudyRun | undefined)[] = new Array(all.length)
  const files: string[] = []
  const runPath = (label: string, seed: number) => join(opts.outDir, `${label}-seed${seed}.json`)
  // an interrupted study resumes: finished runs of unchanged entries are read back, not retrained
  const todo: number[] = []
  all.forEach(({ entry, seed }, k) => {
    const old = opts.resume === false ? null : readRun(runPath(entry.label, seed))
    if (old && old.entryKey === entryKey(entry)) { runs[k] = old; files.push(runPath(entry.label, seed)) }
    else todo.push(k)
  })
  let done = all.length - todo.length, fresh = 0
  const md = join(opts.outDir, 'results.md'), csv = join(opts.outDir, 'results.csv')
  const tables = () => {
    const finished = runs.filter((r): r is StudyRun => r !== undefined)
    const summaries = config.entries.map((e) => summarise(e, finished.filter((r) => r.label === e.label)))
    const markdown = studyMarkdown(config.name, summaries, { done: finished.length, total: all.length })
    writeFileSync(md, markdown)
    writeFileSync(csv, studyCsv(summaries))
    const figures = writeStudyFigures(opts.outDir, config, finished)
    return { finished, summaries, markdown, figures }
  }
  const record = (t: number, run: StudyRun) => {
    runs[todo[t]] = run
    const path = runPath(run.label, run.seed)
    writeFileSync(path, runJson(run))
    files.push(path)
    tables() // partial tables as runs finish, so a long study can be read (and resumed) midway
    fresh++
    const elapsed = (performance.now() - t0) / 1000
    opts.onRun?.(run, ++done, all.length, (elapsed / fresh) * (all.length - done))
  }
  const jobs = todo.map((k) => all[k])
  const workers = Math.max(1, Math.min(opts.workers ?? 1, jobs.length))
  if (opts.runner) {
    if (jobs.length > 0) await opts.runner(jobs, record)
  } else if (workers === 1) {
    for (let t = 0; t < jobs.length; t++) record(t, await runStudySeed(jobs[t].entry, jobs[t].seed, 'auto'))
  } else if (jobs.length > 0) {
    await runPool(jobs, workers, record)
  }
  const { finished, summaries, markdown, figures } = tables()
  files.push(md, csv, ...figures)
  return { runs: finished, summaries, markdown, files, figures, wallS: (performance.now() - t0) / 1000 }
}

/** A run file's text: indented, but each curve array on one line so a 1000-epoch run stays readable. */
export function runJson(run: StudyRun): string {
  const { curve, ...rest } = run
  const head = JSON.stringify(rest, null, 2)
  if (!curve) return head + '\n'
  const arrays = (Object.keys(curve) as (keyof RunCurve)[]).map((k) => `    "${k}": ${JSON.stringify(curve[k])}`).join(',\n')
  return `${head.slice(0, -2)},\n  "curve": {\n${arrays}\n  }\n}\n`
}

/** A run file of an earlier study, or null when it is missing or unreadable (then the run is trained again). */
function readRun(path: string): StudyRun | null {
  if (!existsSync(path)) return null
  try { return JSON.parse(readFileSync(path, 'utf8')) as StudyRun } catch { return null }
}

/** Hands jobs to `size` worker threads, one at a time each, until none are left. */
async function runPool(jobs: StudyJob[], size: number, record: (k: number, run: StudyRun) => void): Promise<void> {
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
