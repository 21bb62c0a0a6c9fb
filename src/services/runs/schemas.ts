// Request and reply shapes of the runs resource; the REST routes and `eqprop-hil runs` share them.
import { z } from 'zod'
import { SubstrateInfo } from '../../../drivers/substrate.ts'
import { Layout, Network } from '../../core/network/network.ts'
import { TrainConfig } from '../../engine/config.ts'
import { RUN_STATES, type RunState } from '../../engine/run-state.ts'
import { ResourceId } from '../devices/schemas.ts'

export const RunParams = z.strictObject({ id: ResourceId })
export const RunStateName = z.enum(RUN_STATES as [RunState, ...RunState[]])

/** POST /runs: which device, which task, and the hyper-parameters (TrainConfig's fields, flat). */
export const RunCreate = TrainConfig.extend({
  device: ResourceId,
  /** a dataset name: built in (xor, iris) or uploaded */
  task: z.string().min(1).max(64),
  label: z.string().max(200).optional(),
  /** seed of the dataset split; the run seed when absent */
  dataSeed: z.int().min(0).max(2 ** 32 - 1).optional(),
  /** checkpoint every this many steps inside an epoch (0 = only at epoch ends); the daemon default when absent */
  checkpointEvery: z.int().min(0).max(1_000_000).optional(),
  /** finish once an epoch's mean training distance D is below this */
  stopAtDistance: z.number().positive().optional(),
  /** more devices of the same topology: each relaxes a shard of every batch, all apply the same update */
  fleet: z.array(ResourceId).min(1).max(32).optional(),
  /** a fleet device that has not answered for this long is suspended and the others take its shards (s) */
  fleetLostAfterS: z.number().positive().max(3600).default(10),
})
export type RunCreate = z.infer<typeof RunCreate>
export type RunCreateInput = z.input<typeof RunCreate>

export const RunListQuery = z.strictObject({
  state: RunStateName.optional(),
  device: ResourceId.optional(),
})

const Count = z.string().regex(/^\d{1,15}$/, 'not a whole number').transform(Number)

export const MetricsQuery = z.strictObject({
  kind: z.enum(['batch', 'epoch', 'eval']).optional(),
  format: z.enum(['json', 'csv']).optional(),
  /** only rows with step > since */
  since: Count.optional(),
})
export const EventsQuery = z.strictObject({
  /** replay events with seq > since (the Last-Event-ID header does the same) */
  since: Count.optional(),
})

export const EvalMetricsView = z.object({
  split: z.enum(['train', 'test']), samples: z.int(), accuracy: z.number(), distance: z.number(), cost: z.number(), settled: z.number(),
  /** regression and pattern tasks: MSE of the output values in [-1, 1]; regression: R^2 */
  mse: z.number().optional(), r2: z.number().optional(),
})

/** One metrics row: a batch, an epoch mean, or a test evaluation. */
export const MetricRow = z.object({
  kind: z.enum(['batch', 'epoch', 'eval']),
  epoch: z.int(),
  batch: z.int().nullable(),
  step: z.int(),
  split: z.string().nullable(),
  samples: z.int(),
  distance: z.number().nullable(),
  cost: z.number().nullable(),
  accuracy: z.number().nullable(),
  settled: z.number().nullable(),
  dropped: z.number().nullable(),
  fallback: z.number().nullable(),
  /** regression and pattern tasks: MSE of the output values in [-1, 1]; null for classification */
  mse: z.number().nullable(),
  /** regression tasks: R^2 against the training targets' variance; null otherwise */
  r2: z.number().nullable(),
  timeS: z.number().nullable(),
  /** wall clock, ms since 1970 */
  t: z.number(),
})
export type MetricRow = z.infer<typeof MetricRow>
export const METRIC_COLUMNS = ['kind', 'epoch', 'batch', 'step', 'split', 'samples', 'distance', 'cost', 'accuracy', 'settled', 'dropped', 'fallback', 'mse', 'r2', 'timeS', 't'] as const satisfies readonly (keyof MetricRow)[]

export const MetricsView = z.object({ run: z.string(), columns: z.array(z.string()), rows: z.array(MetricRow) })

export const Progress = z.object({
  /** completed epochs */
  epoch: z.int(),
  epochs: z.int(),
  /** next batch within the epoch */
  batch: z.int(),
  batches: z.int(),
  step: z.int(),
  steps: z.int(),
  fraction: z.number(),
})
export type Progress = z.infer<typeof Progress>

export const LastMetrics = z.object({ batch: MetricRow.nullable(), epoch: MetricRow.nullable(), eval: MetricRow.nullable() })
export type LastMetrics = z.infer<typeof LastMetrics>

export const CheckpointInfo = z.object({ seq: z.int(), reason: z.string(), epoch: z.int(), batch: z.int(), step: z.int(), at: z.string() })
export type CheckpointInfo = z.infer<typeof CheckpointInfo>

export const Provenance = z.object({
  versions: z.record(z.string(), z.string()),
  startedAt: z.string(),
  task: z.object({ name: z.string(), dataSeed: z.int(), nIn: z.int(), nOut: z.int(), trainRows: z.int(), testRows: z.int() }),
  device: z.object({ id: z.string(), kind: z.string(), info: SubstrateInfo }),
  /** fleet runs: every device that relaxes shards, the primary first */
  fleet: z.array(z.object({ id: z.string(), kind: z.string(), uid: z.string() })).optional(),
  /** the network with the device's parameters when the run started */
  network: Network,
})
export type Provenance = z.infer<typeof Provenance>

export const RunResult = z.object({ final: EvalMetricsView.nullable(), epochs: z.int(), network: Network })
export type RunResult = z.infer<typeof RunResult>

export const RunSummary = z.object({
  id: z.string(),
  label: z.string().nullable(),
  device: z.string(),
  task: z.string(),
  client: z.string(),
  state: RunStateName,
  stateReason: z.string().nullable(),
  /** the daemon stopped while the run was running; it resumes from its last checkpoint */
  interrupted: z.boolean(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  updatedAt: z.string(),
  progress: Progress,
  lastMetrics: LastMetrics,
  checkpoint: CheckpointInfo.nullable(),
  error: z.string().nullable(),
})
export type RunSummary = z.infer<typeof RunSummary>

export const RunView = RunSummary.extend({
  config: z.record(z.string(), z.unknown()),
  request: z.record(z.string(), z.unknown()),
  provenance: Provenance.nullable(),
  result: RunResult.nullable(),
})
export type RunView = z.infer<typeof RunView>
export const RunList = z.object({ runs: z.array(RunSummary) })

const Grid = z.array(z.array(z.number().nullable()))

/** Phases and couplings now; on a lattice also laid out on its grid (the data behind heatmaps). */
export const RunSnapshot = z.object({
  run: z.string(),
  state: RunStateName,
  /** live (from the running trainer), checkpoint (last one stored), or result (a finished run) */
  source: z.enum(['live', 'checkpoint', 'result', 'start']),
  epoch: z.int(),
  step: z.int(),
  nodes: z.int(),
  edges: z.array(z.tuple([z.int(), z.int()])),
  couplings: z.array(z.number()),
  h: z.array(z.number()),
  psi: z.array(z.number()),
  /** equilibrium phases (rad) of one training sample of the last free relaxation, when known */
  phases: z.array(z.number()).nullable(),
  inputs: z.array(z.int()),
  outputs: z.array(z.int()),
  layout: Layout.nullable(),
  grid: z.object({
    rows: z.int(),
    cols: z.int(),
    /** rows x cols; node (r, c) is id r*cols + c */
    phases: Grid.nullable(),
    h: Grid,
    psi: Grid,
    /** rows x (cols-1): coupling between (r, c) and (r, c+1); null where there is no bond */
    horizontal: Grid,
    /** (rows-1) x cols: coupling between (r, c) and (r+1, c) */
    vertical: Grid,
    /** every other bond (diagonals, skips) with its sites */
    other: z.array(z.object({ from: z.tuple([z.int(), z.int()]), to: z.tuple([z.int(), z.int()]), coupling: z.number() })),
  }).nullable(),
})
export type RunSnapshot = z.infer<typeof RunSnapshot>

/** What the events stream and the events table carry. */
export type RunStreamEvent =
  | { type: 'state'; from: string | null; to: string; reason: string | null }
  | { type: 'batch' | 'epoch' | 'eval'; row: MetricRow }
  | { type: 'checkpoint'; checkpoint: CheckpointInfo }
  /** a fleet member dropped out (its shards go to the others) or came back */
  | { type: 'fleet'; member: string; change: 'suspended' | 'rejoined'; reason: string | null; step: number }
