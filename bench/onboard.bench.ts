// On-board learning (SPEC section 13) against host-side learning on the same board: link bytes and
// steps per second per training step, side by side with their ratio, and how far apart the two trained
// networks end. A 10x10 XY lattice (100 nodes, 180 couplings, biases) learns iris, batch 8, one epoch
// (15 steps, the epoch-end parameter read of on-board learning included), with the board on a socat pty
// and both sides pacing their writes to a 115200-baud UART (a pty has no rate of its own). One JSON line
// for the C reference firmware and one for the TS virtual board. CPU time is the host's (process.cpuUsage).
import { loadDataset } from '../src/core/data/index.ts'
import type { Network } from '../src/core/network/network.ts'
import { buildNetwork } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import { createPtyPair, openSerialBoard, startBoard } from '../src/services/boards.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const BAUD = 115200, MAX_FRAME = 1024, BATCH = 8
const net = buildNetwork({ kind: 'lattice', rows: 10, cols: 10, weightStd: 0.5, bias: 'random' }, { inputs: 4, outputs: 3 }, 2)
const data = loadDataset('iris', 2)
const flat = (n: Network) => [...n.weights, ...n.bias!.h, ...n.bias!.psi]

interface Side { bytesPerStep: { host_to_board: number; board_to_host: number }; stepsPerS: number; hostCpuMsPerStep: number; commandsPerStep: number; params: number[]; onBoard: boolean }

async function side(impl: 'c' | 'ts', learning: 'auto' | 'host'): Promise<Side> {
  const pair = await createPtyPair()
  const board = await startBoard({ network: net, impl, path: pair.boardPath, baud: BAUD, pace: true, board: { maxBatch: BATCH, maxFrame: MAX_FRAME, onBoardLearning: true } })
  const sub = await openSerialBoard({ path: pair.hostPath, baud: BAUD, pace: true, maxFrame: MAX_FRAME })
  try {
    const cfg = TrainConfig.parse({ epochs: 1, batchSize: BATCH, lr: 0.05, beta: 0.1, seed: 4, evalEvery: 0, learning })
    const trainer = new Trainer(sub, net, data, cfg)
    await trainer.start()
    const c0 = sub.status().counters, cpu0 = process.cpuUsage(), t0 = performance.now()
    await trainer.runEpoch()
    const s = (performance.now() - t0) / 1000, cpu = process.cpuUsage(cpu0), c1 = sub.status().counters
    const steps = trainer.snapshot().step
    return {
      bytesPerStep: { host_to_board: Math.round((c1.bytesOut - c0.bytesOut) / steps), board_to_host: Math.round((c1.bytesIn - c0.bytesIn) / steps) },
      stepsPerS: steps / s, hostCpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps, commandsPerStep: (c1.commands - c0.commands) / steps,
      params: flat(trainer.trainedNetwork()), onBoard: trainer.onBoard !== null,
    }
  } finally {
    await sub.close()
    await board.close()
    await pair.close()
  }
}

for (const impl of ['c', 'ts'] as const) {
  const host = await side(impl, 'host')
  const onBoard = await side(impl, 'auto')
  if (host.onBoard || !onBoard.onBoard) throw new Error('the two runs did not learn where they were meant to')
  const total = (x: Side) => x.bytesPerStep.host_to_board + x.bytesPerStep.board_to_host
  const r3 = (v: number) => Number(v.toFixed(3))
  emit({
    bench: 'onboard-learning', board: impl === 'c' ? 'C reference firmware' : 'TS virtual board',
    network: `lattice 10x10 (100 nodes, ${net.edges.length} couplings, biases), iris, batch ${BATCH}, 1 epoch = ${Math.ceil(data.train.rows / BATCH)} steps`, baud: BAUD, frame_limit_bytes: MAX_FRAME,
    host_side: { bytes_per_step: host.bytesPerStep, steps_per_s: r3(host.stepsPerS), commands_per_step: r3(host.commandsPerStep), host_cpu_ms_per_step: r3(host.hostCpuMsPerStep) },
    on_board: { bytes_per_step: onBoard.bytesPerStep, steps_per_s: r3(onBoard.stepsPerS), commands_per_step: r3(onBoard.commandsPerStep), host_cpu_ms_per_step: r3(onBoard.hostCpuMsPerStep) },
    bytes_ratio: r3(total(host) / total(onBoard)), steps_per_s_ratio: r3(onBoard.stepsPerS / host.stepsPerS),
    max_param_difference: Number(Math.max(...host.params.map((v, i) => Math.abs(v - onBoard.params[i]))).toExponential(2)),
  })
}
