// The digital twin on simulated boards with device variation, drift and a coarse readout:
// (1) how close identification gets to the board's true couplings, and whether its reported
// uncertainty covers the error; (2) board relaxations and accuracy of training on the board alone,
// through a nominal pretrain (train on the ideal simulator of the setpoints, no identification), and
// through the identified twin. CPU seconds by process.cpuUsage (the machine is shared).
import { networkFromArg } from '../src/services/networks.ts'
import { openSimulator } from '../src/services/substrates.ts'
import { evaluateOnSimulator, jobData, TrainJob, trainOnSimulator, trainOnSubstrate } from '../src/services/training.ts'
import { compareWithTruth, identifyBoard } from '../src/services/twin/identify.ts'
import { trainWithTwin } from '../src/services/twin/pretrain.ts'
import type { SimXySubstrate } from '../drivers/sim/xy.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
const r3 = (v: number) => Number(v.toPrecision(3))
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length

const only = process.argv[2]   // 'identify' or 'train': one half

// ---- (1) identification against the truth
const XOR_NET = 'all-to-all:6:std=0.7:bias=random'
const cases = [
  { name: 'variation 0.2', sim: { variation: 0.2 } },
  { name: 'variation 0.2, readout 10 bits', sim: { variation: 0.2, readoutBits: 10 } },
  { name: 'variation 0.2, readout 8 bits', sim: { variation: 0.2, readoutBits: 8 } },
  { name: 'variation 0.2, readout 10 bits, drift 1e-3', sim: { variation: 0.2, readoutBits: 10, drift: 1e-3 } },
]
for (const c of only === 'train' ? [] : cases) {
  const rows: ReturnType<typeof compareWithTruth>[] = []
  let relax = 0
  const t0 = cpu()
  for (let s = 0; s < 5; s++) {
    const net = networkFromArg(XOR_NET, { inputs: 2, outputs: 1 }, s)
    const board = openSimulator(net, { solver: 'fire-newton', ...c.sim, deviceSeed: 100 + s }) as SimXySubstrate
    const r = await identifyBoard(board, net, { readoutBits: 'readoutBits' in c.sim ? c.sim.readoutBits : undefined, seed: s })
    rows.push(compareWithTruth(r.report, await board.getParams()))
    relax = r.report.relaxations
    await board.close()
  }
  emit({
    bench: 'twin-identify', board: c.name, network: XOR_NET, devices: 5, relaxations_per_device: relax,
    rms_error: r3(mean(rows.map((x) => x.rmsError))), setpoint_deviation_rms: r3(mean(rows.map((x) => x.rmsDeviation))),
    within_1_sigma: r3(mean(rows.map((x) => x.within1))), within_2_sigma: r3(mean(rows.map((x) => x.within2))), within_3_sigma: r3(mean(rows.map((x) => x.within3))),
    bias_rms_error: r3(mean(rows.map((x) => x.biasRmsError ?? 0))), cpu_s_per_device: r3((cpu() - t0) / 5), units: 'coupling units; coverage as shares of the 14 observed couplings',
  })
}

// ---- (2) board time with and without the twin
const BOARDS = [0.2, 0.4].map((variation) => ({ solver: 'fire-newton' as const, variation, drift: 1e-3, readoutBits: 10 }))
const tasks = [
  { task: 'xor', spec: XOR_NET, io: { inputs: 2, outputs: 1 }, seeds: [0, 1, 2, 3, 4], train: { epochs: 300, mInit: 5, batchSize: 4, evalEvery: 0 }, stopAtDistance: 0.01, boardEpochs: undefined },
  { task: 'iris', spec: 'lattice:4x4:n8', io: { inputs: 4, outputs: 3 }, seeds: [1, 2, 3], train: { epochs: 60, batchSize: 16, evalEvery: 0, optimiser: { kind: 'adam' }, lr: 0.02 }, stopAtDistance: undefined, boardEpochs: 5 },
] as const
for (const BOARD of only === 'identify' ? [] : BOARDS) for (const t of tasks) {
  const res: Record<string, { relax: number[]; acc: number[]; epochs: number[]; transfer: number[] }> = {
    board: { relax: [], acc: [], epochs: [], transfer: [] }, nominal: { relax: [], acc: [], epochs: [], transfer: [] }, twin: { relax: [], acc: [], epochs: [], transfer: [] },
  }
  const t0 = cpu()
  for (const seed of t.seeds) {
    const net = networkFromArg(t.spec, t.io, seed)
    const sim = { ...BOARD, deviceSeed: 200 + seed }
    const job = TrainJob.parse({ task: t.task, train: { ...t.train, seed }, sim, stopAtDistance: t.stopAtDistance, workers: 1 })
    const boardJob = t.boardEpochs ? { ...job, train: { ...job.train, epochs: t.boardEpochs } } : job
    const alone = await trainOnSubstrate(openSimulator(net, sim), net, jobData(job), job)
    // nominal: train on the ideal simulator of the setpoints, write the result as it is, fine-tune
    const { solver } = BOARD
    const nominalSim = await trainOnSimulator(net, { ...job, sim: { solver } })
    const nominal = await trainOnSubstrate(openSimulator(net, sim), nominalSim.network, jobData(boardJob), boardJob)
    const twin = await trainWithTwin(openSimulator(net, sim), net, job, { identify: { samples: 64, readoutBits: BOARD.readoutBits, seed }, boardEpochs: t.boardEpochs })
    // the board's test accuracy right after the transfer, before any fine-tuning: what identification buys
    const onBoard = { split: 'test' as const, restarts: 1, seed, sim }
    res.nominal.transfer.push((await evaluateOnSimulator(nominalSim.network, t.task, onBoard)).accuracy)
    res.twin.transfer.push((await evaluateOnSimulator(twin.transferred, t.task, onBoard)).accuracy)
    for (const [k, r] of [['board', alone], ['nominal', nominal], ['twin', twin]] as const) {
      res[k].relax.push(r.relaxations); res[k].acc.push(r.final?.accuracy ?? NaN); res[k].epochs.push(r.epochs)
    }
  }
  for (const k of ['board', 'nominal', 'twin']) {
    emit({
      bench: 'twin-train', task: t.task, network: t.spec, board: `variation ${BOARD.variation}, drift 1e-3, readout 10 bits`, strategy: k, seeds: t.seeds.length,
      target: t.stopAtDistance ? `train D < ${t.stopAtDistance}` : `${t.train.epochs} epochs (board alone) / ${t.boardEpochs} board epochs after pretraining`,
      board_relaxations: r3(mean(res[k].relax)), board_epochs: r3(mean(res[k].epochs)), test_accuracy: r3(mean(res[k].acc)),
      ...(k === 'board' ? {} : { test_accuracy_on_board_before_fine_tuning: r3(mean(res[k].transfer)) }),
      cpu_s_all_strategies: r3(cpu() - t0), units: 'relaxed samples on the board (free + nudged + evaluations), mean over seeds',
    })
  }
}
