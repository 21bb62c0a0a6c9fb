// Local training on the built-in simulator: what `eqprop-hil train` runs, and what the daemon's
// runs will wrap. One schema describes a job, whether it comes from flags, a file or a request.
import { availableParallelism } from 'node:os'
import { z } from 'zod'
import { FleetSubstrate } from '../../drivers/fleet/fleet-substrate.ts'
import { ParallelSimSubstrate } from '../../drivers/sim/parallel-sim.ts'
import { IsingAnneal } from '../../drivers/sim/ising.ts'
import { SimXyOptions } from '../../drivers/sim/xy.ts'
import { denseMatMul } from '../../drivers/sim/tf-backend.ts'
import { loadDataset, type Dataset } from '../core/data/index.ts'
import { subsetPerClass } from '../core/data/images.ts'
import { holdOutValidation } from '../core/data/validation.ts'
import type { Network } from '../core/network/network.ts'
import { EqpError } from '../errors.ts'
import { TrainConfig } from '../engine/config.ts'
import type { EngineEvent, EvalMetrics } from '../engine/events.ts'
import { Trainer } from '../engine/trainer.ts'
import { openSimulator } from './substrates.ts'
import type { Substrate } from '../../drivers/substrate.ts'
import { CountingSubstrate } from './twin/counting-substrate.ts'
import './datasets/sources.ts'   // registers the image-source loaders (paper scale)

export const TrainJob = z.strictObject({
  task: z.string().min(1),
  train: TrainConfig,
  sim: SimXyOptions.prefault({}),
  /** seed of the dataset split (Iris); the run seed when absent */
  dataSeed: z.int().min(0).optional(),
  /** stop early once an epoch's mean training distance D falls below this */
  stopAtDistance: z.number().positive().optional(),
  /** relax on this many worker threads (1 = in this thread), or 'auto' (resolveWorkers); results are identical either way */
  workers: z.union([z.int().min(1).max(64), z.literal('auto')]).default('auto'),
  /** data-parallel over this many simulated boards, board k with device seed deviceSeed + k (their
   *  variation and drift differ like real boards'); without imperfections identical to one board */
  fleet: z.int().min(1).max(64).default(1),
  /** train on the first K training rows of each class only (MNIST/100-style subsets; the test split is kept) */
  trainPerClass: z.int().positive().optional(),
  /** Ising networks only: the annealer's schedule (IsingAnneal fields; absent ones keep their defaults) */
  anneal: IsingAnneal.partial().optional(),
  /** share of the training rows held out (stratified, by the data seed) as the validation split that the
   *  periodic evaluations and the best checkpoint use; 0: they use the test split */
  valFraction: z.number().min(0).max(0.5).default(0),
})
export type TrainJob = z.infer<typeof TrainJob>
export type TrainJobInput = z.input<typeof TrainJob>

/** Loads a task by name; an unknown name is a bad-input error listing the known ones. */
export function loadTask(name: string, seed: number): Dataset {
  try {
    return loadDataset(name, seed)
  } catch (e) {
    if (e instanceof RangeError) throw new EqpError('EQP_ERR_BAD_INPUT', ['task', e.message])
    throw e
  }
}

/** Finds a task's dataset by name and split seed; loadTask (the built-in tasks) unless a command resolved it otherwise. */
export type TaskLoader = (name: string, seed: number) => Dataset

/** The job's task, its training split cut to trainPerClass rows per class when asked. */
export function jobData(job: TrainJob, load: TaskLoader = loadTask): Dataset {
  const data = load(job.task, job.dataSeed ?? job.train.seed)
  if (job.trainPerClass === undefined) return data
  if (data.kind === 'regression') throw new EqpError('EQP_ERR_BAD_INPUT', ['trainPerClass', `task '${data.name}' is a regression task: it has no classes to take rows from`])
  // the split is the loader's (stratified by seed), so the first rows of each class are a random pick
  return { ...data, train: subsetPerClass(data.train, data.classes, job.trainPerClass) }
}

export interface TrainOutcome {
  network: Network
  final: EvalMetrics | null
  train: { distance: number; accuracy: number; mse?: number; r2?: number } | null
  epochs: number
  /** first epoch whose mean training D was below 0.01 (null if none) */
  epochsToD01: number | null
  wallS: number
  forceEvals: number
  /** samples the device relaxed in this run (free and nudged phases, evaluations included): the board time a run costs */
  relaxations: number
  /** the network at the periodic evaluation with the highest accuracy (ties: the lower distance, then
   *  the earlier epoch), and that evaluation; on the validation split when the job holds one out */
  best: BestCheckpoint | null
}

/** The best network seen at a periodic evaluation. */
export interface BestCheckpoint { epoch: number; split: 'validation' | 'test'; metrics: EvalMetrics; network: Network }

/** Whether evaluation a beats b: higher R^2 (regression, where accuracy means nothing), else higher accuracy, then lower distance. */
const beats = (a: EvalMetrics, b: EvalMetrics | undefined) => b === undefined ||
  (a.r2 !== undefined && b.r2 !== undefined ? a.r2 > b.r2 : a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.distance < b.distance))

/** Observers of a run beyond its events. */
export interface TrainHooks {
  /** after every `every`-th epoch: the network with the parameters the device applies at that point */
  epochNetwork?: { every: number; onNetwork: (epoch: number, network: Network) => void }
}

/** Trains a network on the simulator of its model (XY or OIM); events go to onEvent. */
export async function trainOnSimulator(network: Network, jobIn: TrainJobInput, onEvent?: (e: EngineEvent) => void, hooks: TrainHooks = {}, load: TaskLoader = loadTask): Promise<TrainOutcome> {
  const job = TrainJob.parse(jobIn)
  const data = jobData(job, load)
  if (job.anneal && network.model !== 'ising') throw new EqpError('EQP_ERR_BAD_INPUT', ['anneal', `an anneal schedule is for an Ising network (the model is '${network.model}')`])
  const workers = resolveWorkers(job, network)
  // drift and noise streams live in one simulator: worker threads would each drift on their own
  if (workers > 1 && (job.sim.drift > 0 || (job.sim.noise?.sigma ?? 0) > 0)) throw new EqpError('EQP_ERR_BAD_INPUT', ['workers', 'coupling drift and Langevin noise need a single simulator thread (workers 1)'])
  if (job.fleet > 1) {
    if (workers > 1) throw new EqpError('EQP_ERR_BAD_INPUT', ['workers', 'a fleet relaxes its boards concurrently already; give fleet or workers, not both'])
    const boards = Array.from({ length: job.fleet }, (_, k) => openSimulator(network, { ...job.sim, deviceSeed: (job.sim.deviceSeed + k) >>> 0 }, job.anneal))
    const fleet = new FleetSubstrate(boards.map((sub, k) => ({ name: `sim-${k}`, sub })))
    return trainOnSubstrate(fleet, network, data, job, onEvent, () => boards.reduce((s, b) => s + b.forceEvals, 0), hooks)
  }
  // worker threads run the deterministic simulators (XY, OIM, resistor); the annealer samples in this thread
  const sub = workers > 1 && network.model !== 'ising' ? await ParallelSimSubstrate.create(network, job.sim, workers) : openSimulator(network, job.sim, job.anneal)
  return trainOnSubstrate(sub, network, data, job, onEvent, () => sub.forceEvals, hooks)
}

/** Couplings from which 'auto' relaxes on worker threads: below, a thread's start-up (~1 s) costs more than it saves. */
export const AUTO_WORKERS_MIN_EDGES = 20_000

/**
 * The worker threads a job relaxes on. 'auto' means the machine's cores for a deterministic simulator
 * (XY, OIM, resistor) of at least AUTO_WORKERS_MIN_EDGES couplings with batches of at least two
 * samples per core, and one thread otherwise (small networks, fleets, drift or Langevin noise, the
 * Ising annealer). The results are the same for every thread count.
 */
export function resolveWorkers(job: TrainJob, network: Network): number {
  if (job.workers !== 'auto') return job.workers
  const cores = availableParallelism()
  const single = network.model === 'ising' || job.fleet > 1 || job.sim.drift > 0 || (job.sim.noise?.sigma ?? 0) > 0
  if (single || cores < 2 || network.edges.length < AUTO_WORKERS_MIN_EDGES || job.train.batchSize < 2 * cores) return 1
  return cores
}

/**
 * Trains `network` on an open substrate with the job's config, closes the substrate at the end, and
 * reports the last epoch's metrics, the first epoch below D = 0.01 and the final test evaluation.
 * `count` reads the substrate's force evaluations (0 where a board does not count them).
 */
export async function trainOnSubstrate(sub: Substrate, network: Network, data: Dataset, job: TrainJob, onEvent?: (e: EngineEvent) => void,
  count: () => number = () => 0, hooks: TrainHooks = {}): Promise<TrainOutcome> {
  let lastEpoch: TrainOutcome['train'] = null
  let epochsToD01: number | null = null
  let best: BestCheckpoint | null = null
  const t0 = performance.now()
  const counted = new CountingSubstrate(sub)
  try {
    // with a validation split the trainer's periodic evaluations run on it, and the test split is used once, at the end
    let held: ReturnType<typeof holdOutValidation> | null = null
    if (job.valFraction > 0) {
      try { held = holdOutValidation(data, job.valFraction, job.dataSeed ?? job.train.seed) } catch (e) {
        if (e instanceof RangeError) throw new EqpError('EQP_ERR_BAD_INPUT', ['valFraction', e.message])
        throw e
      }
    }
    const split = held ? 'validation' : 'test'
    const trainerData = held ? { ...data, train: held.train, test: held.validation } : data
    // under fixed-T dynamics the state at T is the equilibrium, settled or not (as the published code uses it)
    const cfg = job.sim.dynamics === 'reference' && !job.train.keepUnsettled ? { ...job.train, keepUnsettled: true } : job.train
    const trainer = new Trainer(counted, network, trainerData, cfg, {
      onEvent: (e) => {
        if (e.type === 'eval' && beats(e.metrics, best?.metrics)) best = { epoch: e.epoch, split, metrics: e.metrics, network: trainer.trainedNetwork() }
        if (e.type === 'epoch') {
          lastEpoch = { distance: e.metrics.distance, accuracy: e.metrics.accuracy, ...(e.metrics.mse !== undefined ? { mse: e.metrics.mse } : {}), ...(e.metrics.r2 !== undefined ? { r2: e.metrics.r2 } : {}) }
          if (epochsToD01 === null && e.metrics.distance < 0.01) epochsToD01 = e.epoch
          const every = hooks.epochNetwork
          if (every && e.epoch % every.every === 0) every.onNetwork(e.epoch, trainer.trainedNetwork())
        }
        onEvent?.(e)
      },
      // the contrast of big layer blocks as float32 products when a TensorFlow.js backend is up
      matmul: denseMatMul(),
    })
    const stop = job.stopAtDistance
    let final = await trainer.train(() => stop !== undefined && lastEpoch !== null && lastEpoch.distance < stop)
    if (final === null || held) final = await trainer.evaluate(data.test, 'test')
    return { network: trainer.trainedNetwork(), final, train: lastEpoch, epochs: trainer.epoch, epochsToD01, wallS: (performance.now() - t0) / 1000, forceEvals: count(), relaxations: counted.counts.relaxations, best }
  } finally {
    await sub.close()
  }
}

/** Evaluates a network on a task's split with the simulator. */
export async function evaluateOnSimulator(network: Network, task: string, opts: { split: 'train' | 'test'; restarts: number; seed: number; dataSeed?: number; sim?: z.input<typeof SimXyOptions> },
  load: TaskLoader = loadTask): Promise<EvalMetrics> {
  const data = load(task, opts.dataSeed ?? opts.seed)
  const sub = openSimulator(network, opts.sim ?? {})
  try {
    const cfg = TrainConfig.parse({ seed: opts.seed, evalRestarts: opts.restarts, trainBias: false, epochs: 1 })
    const trainer = new Trainer(sub, network, data, cfg)
    return await trainer.evaluate(opts.split === 'train' ? data.train : data.test, opts.split)
  } finally {
    await sub.close()
  }
}
