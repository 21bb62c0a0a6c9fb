// Hybrid training through a digital twin: identify the board, train on the twin at simulator speed,
// write the learned couplings to the board as setpoints corrected for its identified gain and offset
// ((desired - offset) / gain), then fine-tune on the board. Board time is what this saves.
import { z } from 'zod'
import { applyRange, type Substrate } from '../../../drivers/substrate.ts'
import { setpointsFor } from '../../core/identify/xy-fit.ts'
import { Network } from '../../core/network/network.ts'
import type { EngineEvent } from '../../engine/events.ts'
import { EqpError } from '../../errors.ts'
import { jobData, loadTask, trainOnSimulator, trainOnSubstrate, TrainJob, type TaskLoader, type TrainJobInput, type TrainOutcome } from '../training.ts'
import { identifyBoard, IdentifyOptions, type IdentifyOptionsInput, type IdentifyReport } from './identify.ts'

export const TwinPretrain = z.strictObject({
  /** how the board is probed (IdentifyOptions) */
  identify: IdentifyOptions.prefault({}),
  /** epochs on the twin (default: the job's epochs) */
  twinEpochs: z.int().min(1).optional(),
  /** epochs of fine-tuning on the board (default: the job's epochs; --stop-at-d ends it early) */
  boardEpochs: z.int().min(1).optional(),
  /** learning rate of the fine-tuning on the board (default: the job's); the optimiser starts afresh there */
  boardLr: z.number().positive().optional(),
})
export type TwinPretrainInput = z.input<typeof TwinPretrain>

/** A twin run: the fine-tune's outcome, with wallS covering the whole run and relaxations every board stage. */
export interface TwinPretrainOutcome extends TrainOutcome {
  identify: IdentifyReport
  /** the run on the twin: its epochs, last training metrics and test evaluation, its trained network */
  twin: Pick<TrainOutcome, 'epochs' | 'train' | 'final' | 'wallS' | 'network'>
  /** board relaxations by stage; `relaxations` (inherited) is their sum */
  boardRelaxations: { identify: number; fineTune: number }
  /** the fine-tune's start: the setpoints written (corrected for gain and offset) */
  transferred: Network
}

/**
 * Identifies `board`, trains `network`'s task on its twin, transfers and fine-tunes on the board, and
 * closes the board. Events of the board stage go to onEvent, those of the twin stage to onTwinEvent.
 */
export async function trainWithTwin(board: Substrate, network: Network, jobIn: TrainJobInput, pretrainIn: TwinPretrainInput = {},
  onEvent?: (e: EngineEvent) => void, onTwinEvent?: (e: EngineEvent) => void, load: TaskLoader = loadTask): Promise<TwinPretrainOutcome> {
  const t0 = performance.now()
  const job = TrainJob.parse(jobIn)
  const parsed = TwinPretrain.safeParse(pretrainIn)
  if (!parsed.success) {
    await board.close()
    const i = parsed.error.issues[0]
    throw new EqpError('EQP_ERR_BAD_INPUT', [i.path.join('.') || 'pretrain', i.message])
  }
  const o = parsed.data
  let id
  try {
    id = await identifyBoard(board, network, o.identify as IdentifyOptionsInput)
  } catch (e) {
    await board.close()
    throw e
  }
  // the twin is an ideal simulator of the identified network: the board's flaws are in its parameters now
  const { solver, tol, coupling, kernel, dynamics, dynamicsT } = job.sim
  const twinJob: TrainJobInput = {
    ...job, fleet: 1, sim: { solver, tol, kernel, dynamics, dynamicsT, coupling: { ...coupling, levels: 0 } },
    train: { ...job.train, epochs: o.twinEpochs ?? job.train.epochs },
  }
  const twin = await trainOnSimulator(id.twin, twinJob, onTwinEvent, {}, load)
  const rc = board.info.ranges.coupling
  const desired = Float64Array.from(twin.network.weights)
  const set = setpointsFor(desired, id.gain, id.offset)
  const transferred = Network.parse({
    ...network,
    weights: Array.from(set, (v) => applyRange(v, { ...rc, levels: 0 })),
    ...(twin.network.bias ? { bias: twin.network.bias } : {}),
  })
  const boardJob = { ...job, train: { ...job.train, epochs: o.boardEpochs ?? job.train.epochs, lr: o.boardLr ?? job.train.lr } }
  const fine = await trainOnSubstrate(board, transferred, jobData(boardJob, load), boardJob, onEvent)
  return {
    ...fine,
    wallS: (performance.now() - t0) / 1000,
    relaxations: id.report.relaxations + fine.relaxations,
    identify: id.report,
    twin: { epochs: twin.epochs, train: twin.train, final: twin.final, wallS: twin.wallS, network: twin.network },
    boardRelaxations: { identify: id.report.relaxations, fineTune: fine.relaxations },
    transferred,
  }
}
