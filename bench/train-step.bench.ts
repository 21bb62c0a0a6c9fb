// One paper-scale training configuration in its own process, for profiles and A/B runs of two
// checkouts alternated in time (the machine is shared, so only runs close in time compare):
// 784-500-10, batch 64 of MNIST digits, one thread, EQP_STEP_STEPS steps after a warm-up step.
// EQP_STEP_MODEL=xy|oim, EQP_STEP_SOLVER=<solver>, EQP_STEP_BATCHING=lockstep|per-sample (solver
// eliminate: the whole batch in lockstep where built, or one sample after the other); EQP_STEP_PROFILE=<file> writes a V8 CPU profile
// of the measured steps only (the inspector's sampling profiler, 100 us interval).
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { denseMatMul, initDenseBackend } from '../drivers/sim/tf-backend.ts'
import { loadDataset } from '../src/core/data/index.ts'
import type { SolverName } from '../src/core/solvers/index.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import { asModel, openSimulator, withInputValues } from '../src/services/substrates.ts'
import '../src/services/datasets/sources.ts'

const model = (process.env.EQP_STEP_MODEL ?? 'xy') as 'xy' | 'oim'
const solver = (process.env.EQP_STEP_SOLVER ?? 'eliminate') as SolverName
const batching = (process.env.EQP_STEP_BATCHING ?? 'lockstep') as 'lockstep' | 'per-sample'
const STEPS = Number(process.env.EQP_STEP_STEPS ?? 4), B = 64
await initDenseBackend()
const data = loadDataset('digits', 0)
const base = buildNetwork(parseBuilderString('layered:784,500,10'), { inputs: 784, outputs: 10 }, 0)
const net = model === 'oim' ? withInputValues(asModel(base, 'oim'), 'unit') : base
const sub = openSimulator(net, { solver, batching })
const cfg = TrainConfig.parse({ epochs: 1, lr: 0.01, batchSize: B, mInit: 1, evalEvery: 0, seed: 0, optimiser: { kind: 'adam' } })
const tr = new Trainer(sub, net, data, cfg, { matmul: denseMatMul() })
await tr.start()
await tr.step(Array.from({ length: B }, (_, k) => k))
const profile = process.env.EQP_STEP_PROFILE
const session = new Session()
if (profile) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
  await session.post('Profiler.start')
}
const evals0 = (sub as { forceEvals?: number }).forceEvals ?? 0
const c0 = process.cpuUsage(), t0 = performance.now()
for (let k = 1; k <= STEPS; k++) await tr.step(Array.from({ length: B }, (_, j) => k * B + j))
const cu = process.cpuUsage(c0), cpu = (cu.user + cu.system) / 1e6, wall = (performance.now() - t0) / 1000
if (profile) writeFileSync(profile, JSON.stringify((await session.post('Profiler.stop')).profile))
process.stdout.write(JSON.stringify({
  bench: `train-step-${model}-784-500-10-batch64-${solver}`, batching: (sub as { kernelInUse?: () => { batching: string } }).kernelInUse?.().batching ?? 'per-sample', samples_per_cpu_s: +((STEPS * B) / cpu).toFixed(1), samples_per_s: +((STEPS * B) / wall).toFixed(1),
  ms_cpu_per_sample: +((1000 * cpu) / (STEPS * B)).toFixed(2), force_evals_per_sample: +((((sub as { forceEvals?: number }).forceEvals ?? 0) - evals0) / (STEPS * B)).toFixed(1), steps: STEPS,
}) + '\n')
await sub.close()
