// Identification and twin training on what the CLI names: the built-in simulator with a board's
// imperfections (a null target), or a board on a serial port, an MQTT broker, or sim-wire.
import type { Substrate } from '../../../drivers/substrate.ts'
import type { DeviceStatus } from '../../../drivers/remote/index.ts'
import type { Network } from '../../core/network/network.ts'
import type { EngineEvent } from '../../engine/events.ts'
import { deviceStatus, openDeviceTarget, type DeviceTargetInput } from '../boards.ts'
import { openSimulator } from '../substrates.ts'
import { loadTask, TrainJob, type TaskLoader, type TrainJobInput } from '../training.ts'
import { compareWithTruth, identifyBoard, type IdentifyOptionsInput, type IdentifyResult, type TruthComparison } from './identify.ts'
import { trainWithTwin, type TwinPretrainInput, type TwinPretrainOutcome } from './pretrain.ts'

async function openTarget(network: Network, target: DeviceTargetInput | null, job: TrainJob, onStatus?: (s: DeviceStatus) => void): Promise<Substrate> {
  return target === null ? openSimulator(network, job.sim) : openDeviceTarget(network, target, job, onStatus)
}

/**
 * Identifies the target board and closes it. On the simulator (target null) the fit is also compared
 * with the board's true physical couplings, which only a simulated board can report.
 */
export async function identifyOnTarget(network: Network, target: DeviceTargetInput | null, jobIn: TrainJobInput, opts: IdentifyOptionsInput,
  onStatus?: (s: DeviceStatus) => void): Promise<IdentifyResult & { truth: TruthComparison | null }> {
  const board = await openTarget(network, target, TrainJob.parse(jobIn), onStatus)
  try {
    const r = await identifyBoard(board, network, opts)
    return { ...r, truth: target === null ? compareWithTruth(r.report, await board.getParams()) : null }
  } finally {
    await board.close()
  }
}

/** trainWithTwin on the target board; force evaluations are the simulated board's (0 on a real one). */
export async function trainWithTwinOnTarget(network: Network, target: DeviceTargetInput | null, jobIn: TrainJobInput, pretrain: TwinPretrainInput,
  onEvent?: (e: EngineEvent) => void, onStatus?: (s: DeviceStatus) => void, load: TaskLoader = loadTask): Promise<TwinPretrainOutcome & { device: DeviceStatus | null }> {
  const job = TrainJob.parse(jobIn)
  const board = await openTarget(network, target, job, onStatus)
  const r = await trainWithTwin(board, network, job, pretrain, onEvent, undefined, load)
  const evals = 'forceEvals' in board ? (board as { forceEvals: number }).forceEvals : 0
  return { ...r, forceEvals: r.forceEvals + evals, device: deviceStatus(board) }
}
