// Core figures: the XY force kernel, the solvers' force evaluations, and XOR training wall time.
import { ParallelSimSubstrate } from '../drivers/sim/parallel-sim.ts'
import { SimXySubstrate } from '../drivers/sim/xy.ts'
import { loadDataset } from '../src/core/data/index.ts'
import { compileXy, xyEnergyGrad } from '../src/core/physics/xy.ts'
import { XySystem } from '../src/core/physics/xy-system.ts'
import { Rng } from '../src/core/rng/rng.ts'
import { createRelaxWorkspace, DEFAULT_SOLVE, relaxWith, SOLVER_NAMES } from '../src/core/solvers/index.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { TrainConfig, type TrainConfigInput } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import { randomStarts } from './random-starts.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const XOR15 = 'lattice:15x15:in=6,6;7,10:out=10,8'

function forceKernel(): void {
  const net = compileXy(buildNetwork(parseBuilderString(XOR15), { inputs: 2, outputs: 1 }, 0))
  const B = 150, rng = new Rng(1)
  const phi = Float64Array.from({ length: B * net.n }, () => rng.uniform(-Math.PI, Math.PI))
  const out = new Float64Array(net.n)
  const sweep = () => { for (let b = 0; b < B; b++) xyEnergyGrad(net, phi, b * net.n, out) }
  for (let r = 0; r < 50; r++) sweep()
  gc()
  const heap0 = process.memoryUsage().heapUsed
  const reps = 400
  const t0 = performance.now()
  for (let r = 0; r < reps; r++) sweep()
  const s = (performance.now() - t0) / 1000
  const heap1 = process.memoryUsage().heapUsed
  emit({ bench: 'xy-force-15x15-batch150', edge_updates_per_s: Math.round((net.m * B * reps) / s), force_evals_per_s: Math.round((B * reps) / s), heap_growth_bytes: heap1 - heap0, edges: net.m, nodes: net.n })
}

function solvers(): void {
  const problems = [
    { name: 'xor-15x15', net: buildNetwork(parseBuilderString(XOR15), { inputs: 2, outputs: 1 }, 0) },
    { name: 'lattice-5x5-std1', net: buildNetwork(parseBuilderString('lattice:5x5:std=1:bias=random'), { inputs: 2, outputs: 1 }, 0) },
    { name: 'all-to-all-6', net: buildNetwork(parseBuilderString('all-to-all:6:std=0.7:bias=random'), { inputs: 2, outputs: 1 }, 0) },
  ]
  for (const p of problems) {
    const net = compileXy(p.net)
    const sys = new XySystem(net)
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    const starts = 10
    const x0s = randomStarts(net, starts, 2)
    const ref: Float64Array[] = []
    const polish = { ...DEFAULT_SOLVE, tol: 1e-10 }
    for (const solver of SOLVER_NAMES) {
      let evals = 0, settled = 0, same = 0
      const t0 = performance.now()
      x0s.forEach((x0, s) => {
        const x = x0.slice()
        const st = relaxWith(solver, sys, x, DEFAULT_SOLVE, ws)
        evals += st.forceEvals; settled += st.settled ? 1 : 0
        // compare minima, not where each solver stopped: polish to the exact minimum first
        relaxWith('fire-newton', sys, x, polish, ws)
        if (solver === 'rk45') ref[s] = x
        else {
          let d = 0
          for (let i = 0; i < net.n; i++) d = Math.max(d, Math.abs(Math.sin((x[i] - ref[s][i]) / 2)))
          if (d < 1e-6) same++
        }
      })
      const ms = (performance.now() - t0) / starts
      emit({ bench: `relax-free-${p.name}-${solver}`, force_evals_per_relax: Math.round(evals / starts), settled_fraction: settled / starts, same_minimum_as_rk45: solver === 'rk45' ? 1 : same / starts, ms_per_relax: Number(ms.toFixed(3)), tol: DEFAULT_SOLVE.tol })
    }
  }
}

async function xorTraining(spec: string, name: string, solver: 'fire-newton' | 'flow-newton', train: TrainConfigInput, workers = 1): Promise<void> {
  const net = buildNetwork(parseBuilderString(spec), { inputs: 2, outputs: 1 }, 0)
  const sub = workers > 1 ? await ParallelSimSubstrate.create(net, { solver }, workers) : new SimXySubstrate(net, { solver })
  const cfg = TrainConfig.parse({ epochs: 1000, mInit: 5, batchSize: 4, seed: 0, evalEvery: 0, ...train })
  let last = NaN
  const tr = new Trainer(sub, net, loadDataset('xor', 0), cfg, { onEvent: (e) => { if (e.type === 'epoch') last = e.metrics.distance } })
  const t0 = performance.now()
  await tr.train()
  const wall = (performance.now() - t0) / 1000
  emit({ bench: `xor-${name}-1000steps-M5-${solver}${workers > 1 ? `-${workers}workers` : ''}`, wall_s: Number(wall.toFixed(3)), final_D: last, force_evals: sub.forceEvals, reference_gpu_s: name.startsWith('5x5') ? '164-253' : undefined })
  await sub.close()
}

const only = process.env.BENCH_ONLY
if (!only || only === 'force') forceKernel()
if (!only || only === 'solvers') solvers()
if (!only || only === 'xor') for (const solver of ['fire-newton', 'flow-newton'] as const) {
  // the 5x5 configuration that trains (docs/explanation/results.md): central sites, frozen nudge, Adam
  await xorTraining('lattice:5x5:in=1,1;1,3:out=3,2', '5x5', solver, { estimator: 'frozen-nudge', optimiser: { kind: 'adam' }, lr: 0.01 })
  await xorTraining('all-to-all:6:std=0.7:bias=random', 'a2a6', solver, {})
}
if (!only || only === 'xor') {
  await xorTraining('lattice:5x5:in=1,1;1,3:out=3,2', '5x5', 'fire-newton', { estimator: 'frozen-nudge', optimiser: { kind: 'adam' }, lr: 0.01 }, 2)
}
