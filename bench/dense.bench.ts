// Dense kernels (TensorFlow.js matMul vs typed arrays) on the layered MNIST network 784-500-10:
// the batched force, the input fold, and EqProp training samples/s. One JSON line per workload.
// Respects EQP_TF_BACKEND (e.g. EQP_TF_BACKEND=none runs the matrix products in Float64 loops).
import { initDenseBackend, denseMatMul } from '../drivers/sim/tf-backend.ts'
import { SimXySubstrate } from '../drivers/sim/xy.ts'
import { loadDataset } from '../src/core/data/index.ts'
import { DenseXyForce, DenseXyPlan, typedMatMul, type DenseMatMul } from '../src/core/physics/dense-xy.ts'
import { compileXy, xyEnergyGrad } from '../src/core/physics/xy.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import '../src/services/datasets/sources.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const SPEC = 'layered:784,500,10', BATCH = 64
const kernels = await initDenseBackend()
const data = loadDataset('digits', 0)
const network = buildNetwork(parseBuilderString(SPEC), { inputs: 784, outputs: 10 }, 0)
const net = compileXy(network)
// phases: real digits on the inputs, the rest spread over the circle
const phi = new Float64Array(BATCH * net.n)
for (let r = 0; r < BATCH; r++) for (let i = 0; i < net.n; i++) phi[r * net.n + i] = i < 784 ? data.train.x[r * 784 + i] : ((i * 2.399) % (2 * Math.PI)) - Math.PI

function timeIt(reps: number, f: () => void): number {
  f() // warm-up (JIT, WASM)
  const t0 = performance.now()
  for (let r = 0; r < reps; r++) f()
  return (performance.now() - t0) / 1000 / reps
}

// 1. one force evaluation of the whole batch: per-edge loop vs batched dense kernel
function forceBatch(): void {
  const out = new Float64Array(BATCH * net.n), g = new Float64Array(net.n)
  const perEdge = timeIt(2, () => { for (let r = 0; r < BATCH; r++) xyEnergyGrad(net, phi, r * net.n, g) })
  emit({ bench: `dense-force-${SPEC}-batch${BATCH}-per-edge`, backend: 'typed-array', s_per_batch_eval: Number(perEdge.toFixed(4)), force_evals_per_s: Math.round(BATCH / perEdge) })
  const mms: DenseMatMul[] = denseMatMul().name === 'typed-array' ? [typedMatMul] : [typedMatMul, denseMatMul()]
  for (const mm of mms) {
    const f = new DenseXyForce(net, mm)
    const s = timeIt(mm.float32 ? 10 : 2, () => f.force(phi, BATCH, out))
    f.dispose()
    emit({ bench: `dense-force-${SPEC}-batch${BATCH}-matmul`, backend: mm.name, simd: mm.name === 'wasm' ? kernels.simd : undefined, s_per_batch_eval: Number(s.toFixed(4)), force_evals_per_s: Math.round(BATCH / s) })
  }
}

// 2. the input fold (field of the clamped 784 inputs on the 500 hidden nodes), once per relax call
function fold(): void {
  const plan = DenseXyPlan.build(net, 4096)!
  const inputs = data.train.x.subarray(0, BATCH * 784)
  for (const mm of denseMatMul().name === 'typed-array' ? [typedMatMul] : [typedMatMul, denseMatMul()]) {
    const s = timeIt(mm.float32 ? 10 : 3, () => plan.fold(inputs, BATCH, mm))
    emit({ bench: `dense-fold-${SPEC}-batch${BATCH}`, backend: mm.name, s_per_fold: Number(s.toFixed(4)), note: 'once per relax call (free and nudged), not per force evaluation' })
  }
  plan.dispose()
}

// 3. EqProp training steps (free + nudged relaxation + update), flow-newton, real digits
async function training(kernel: 'dense' | 'typed', batch: number, steps: number): Promise<void> {
  const sub = new SimXySubstrate(network, { solver: 'flow-newton', kernel })
  try {
    const tr = new Trainer(sub, network, data, TrainConfig.parse({ epochs: 1, lr: 0.05, batchSize: batch, mInit: 1, evalEvery: 0, seed: 0 }))
    await tr.start()
    let relaxations = 0
    const t0 = performance.now()
    for (let s = 0; s < steps; s++) {
      await tr.step(Array.from({ length: batch }, (_, k) => s * batch + k))
      relaxations += 2 * batch
    }
    const wall = (performance.now() - t0) / 1000
    const used = sub.kernelInUse()
    emit({
      bench: `train-digits-${SPEC}-batch${batch}-${kernel}`, kernel: used.kernel, backend: used.matmul ?? 'typed-array', solver: 'flow-newton', steps, samples: steps * batch,
      samples_per_s: Number(((steps * batch) / wall).toFixed(2)), force_evals_per_relaxation: Math.round(sub.forceEvals / relaxations), wall_s: Number(wall.toFixed(2)),
    })
  } finally {
    await sub.close()
  }
}

forceBatch()
fold()
await training('dense', BATCH, 2)
// the per-edge path needs ~4 s per free relaxation here: one step of 4 samples keeps the bench short
await training('typed', 4, 1)
