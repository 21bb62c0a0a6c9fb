// Paper-scale training speed (issue 12): EqProp training samples/s on the layered 784-500-10 network
// (the OIM peer's shape), batch 64 of MNIST digits, XY and OIM (solvers eliminate and fire-newton),
// one thread and every core, with the
// TensorFlow.js backend the CLI uses. Side by side, in the same run: the OIM peer's fixed-step method
// (20 free + 4 nudged Euler steps, no convergence test) restated in numpy (bench/peer/oim_euler.py),
// when python3 with numpy is present. Our relaxations run to max|force| < 1e-6; the peer's do not
// converge, so the ratio compares methods, not kernels (force_evals_per_sample says how far apart).
import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { ParallelSimSubstrate } from '../drivers/sim/parallel-sim.ts'
import { denseMatMul, initDenseBackend } from '../drivers/sim/tf-backend.ts'
import { loadDataset } from '../src/core/data/index.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import { asModel, openSimulator, withInputValues } from '../src/services/substrates.ts'
import '../src/services/datasets/sources.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const SPEC = 'layered:784,500,10', B = 64, STEPS = Number(process.env.EQP_BENCH_STEPS ?? 3)
// eliminate: the bipartite elimination, the whole batch in lockstep (XY and OIM); eliminate-per-sample: the same
// solver one sample after the other, its reference (docs/explanation/performance.md); fire-newton: the previous default here
type BenchSolver = 'eliminate' | 'eliminate-per-sample' | 'fire-newton'
const SOLVERS = (process.env.EQP_BENCH_SOLVERS ?? 'eliminate,fire-newton').split(',') as BenchSolver[]
const WORKERS = process.env.EQP_BENCH_WORKERS ? process.env.EQP_BENCH_WORKERS.split(',').map(Number) : [1, availableParallelism()]
const kernels = await initDenseBackend()
const data = loadDataset('digits', 0)
const base = buildNetwork(parseBuilderString(SPEC), { inputs: 784, outputs: 10 }, 0)

const results: Record<string, number> = {}
const perCpu: Record<string, number> = {}
const MODELS = (process.env.EQP_BENCH_MODELS ?? 'xy,oim').split(',') as ('xy' | 'oim')[]
for (const model of MODELS) {
  const net = model === 'oim' ? withInputValues(asModel(base, 'oim'), 'unit') : base
  for (const solver of SOLVERS) for (const workers of WORKERS) {
    if (workers === 1 && workers === availableParallelism() && results[`${model}-${solver}-1`]) continue
    const opts = solver === 'eliminate-per-sample' ? { solver: 'eliminate' as const, batching: 'per-sample' as const } : { solver }
    const sub = workers > 1 ? await ParallelSimSubstrate.create(net, opts, workers) : openSimulator(net, opts)
    try {
      const cfg = TrainConfig.parse({ epochs: 1, lr: 0.01, batchSize: B, mInit: 1, evalEvery: 0, seed: 0, optimiser: { kind: 'adam' } })
      const tr = new Trainer(sub, net, data, cfg, { matmul: denseMatMul() })
      await tr.start()
      await tr.step(Array.from({ length: B }, (_, k) => k)) // warm-up: JIT, WASM, worker start
      const evals0 = sub.forceEvals
      const c0 = process.cpuUsage(), t0 = performance.now()
      for (let s = 1; s <= STEPS; s++) await tr.step(Array.from({ length: B }, (_, k) => s * B + k))
      const wall = (performance.now() - t0) / 1000, cu = process.cpuUsage(c0), cpu = (cu.user + cu.system) / 1e6
      const sps = (STEPS * B) / wall
      results[`${model}-${solver}-${workers}`] = sps
      perCpu[`${model}-${solver}-${workers}`] = (STEPS * B) / cpu
      emit({
        bench: `train-${model}-784-500-10-batch64-${solver}-workers${workers}`, samples_per_s: +sps.toFixed(1), samples_per_cpu_s: +((STEPS * B) / cpu).toFixed(1),
        force_evals_per_sample: Math.round((sub.forceEvals - evals0) / (STEPS * B)), solver, tol: 1e-6, workers,
        batching: solver === 'eliminate' ? 'lockstep' : 'per-sample',
        contrast: denseMatMul().name, fold: kernels.dense, wall_s: +wall.toFixed(2), goal_samples_per_s: 600,
      })
    } finally {
      await sub.close()
    }
  }
}

// Training with solver eliminate in lockstep against one sample after the other, one thread: two trainers
// with the same seeds in this process, their steps alternated (ABBA),
// so that the load on the machine and the JIT's state fall on both alike.
for (const model of SOLVERS.includes('eliminate') ? MODELS : []) {
  const net = model === 'oim' ? withInputValues(asModel(base, 'oim'), 'unit') : base
  const mk = async (batching: 'lockstep' | 'per-sample') => {
    const sub = openSimulator(net, { solver: 'eliminate', batching })
    const cfg = TrainConfig.parse({ epochs: 1, lr: 0.01, batchSize: B, mInit: 1, evalEvery: 0, seed: 0, optimiser: { kind: 'adam' } })
    const tr = new Trainer(sub, net, data, cfg, { matmul: denseMatMul() })
    await tr.start()
    await tr.step(Array.from({ length: B }, (_, k) => k))
    return { sub, tr, ms: 0, evals: 0 }
  }
  const runs = { 'per-sample': await mk('per-sample'), lockstep: await mk('lockstep') }
  const N = Math.max(STEPS, 4)
  for (let s = 1; s <= N; s++) {
    // ABBA order: garbage one step leaves behind is collected in the next, whichever it is
    for (const k of s % 2 ? ['per-sample', 'lockstep'] as const : ['lockstep', 'per-sample'] as const) {
      const r = runs[k], e0 = r.sub.forceEvals, c0 = process.cpuUsage()
      await r.tr.step(Array.from({ length: B }, (_, j) => s * B + j))
      const cu = process.cpuUsage(c0)
      r.ms += (cu.user + cu.system) / 1000
      r.evals += r.sub.forceEvals - e0
    }
  }
  const per = (k: 'lockstep' | 'per-sample') => +(runs[k].ms / (N * B)).toFixed(2)
  emit({
    bench: `train-${model}-784-500-10-batch64-eliminate-lockstep-vs-per-sample`, ms_cpu_per_sample_lockstep: per('lockstep'), ms_cpu_per_sample_per_sample: per('per-sample'),
    ratio: +(runs['per-sample'].ms / runs.lockstep.ms).toFixed(2), samples_per_cpu_s_lockstep: +((1000 * N * B) / runs.lockstep.ms).toFixed(1),
    force_evals_per_sample_lockstep: +(runs.lockstep.evals / (N * B)).toFixed(1), force_evals_per_sample_per_sample: +(runs['per-sample'].evals / (N * B)).toFixed(1), steps: N, workers: 1,
  })
  for (const r of Object.values(runs)) await r.sub.close()
}

// The relaxations alone (a free phase from random starts, then a cost-nudged phase from there, batch 64, one
// thread): solver eliminate in lockstep against one sample after the other, alternated 4 times in this process.
// OIM inputs are values in [-1, 1] (the 'unit' encoding), XY inputs phases.
for (const model of MODELS) {
  const net = model === 'oim' ? withInputValues(asModel(base, 'oim'), 'unit') : base
  const subs = { lockstep: openSimulator(net, { solver: 'eliminate', batching: 'lockstep' }), 'per-sample': openSimulator(net, { solver: 'eliminate', batching: 'per-sample' }) }
  const inputs = Float64Array.from(data.train.x.slice(0, B * 784), (v) => (model === 'oim' ? 2 * v - 1 : v))
  const targets = new Float64Array(B * 10).fill(0.5)
  const ms = { lockstep: 0, 'per-sample': 0 }, evals = { lockstep: 0, 'per-sample': 0 }
  const REPS = 4
  for (let rep = -1; rep < REPS; rep++) { // rep -1 warms both up
    for (const k of ['per-sample', 'lockstep'] as const) {
      const sub = subs[k], e0 = sub.forceEvals, c0 = process.cpuUsage()
      await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: rep + 10 } })
      await sub.relax({ batch: B, inputs, phase: 'nudged', start: { kind: 'previous' }, nudge: { kind: 'cost', cost: 'log-cos', beta: 0.1, targets } })
      const cu = process.cpuUsage(c0)
      if (rep >= 0) { ms[k] += (cu.user + cu.system) / 1000; evals[k] += sub.forceEvals - e0 }
    }
  }
  emit({
    bench: `relax-${model}-784-500-10-batch64-eliminate`, ms_cpu_per_sample_lockstep: +(ms.lockstep / (REPS * B)).toFixed(3), ms_cpu_per_sample_per_sample: +(ms['per-sample'] / (REPS * B)).toFixed(3),
    ratio: +(ms['per-sample'] / ms.lockstep).toFixed(2), force_evals_per_sample_lockstep: +(evals.lockstep / (REPS * B)).toFixed(1), force_evals_per_sample_per_sample: +(evals['per-sample'] / (REPS * B)).toFixed(1),
  })
  await subs.lockstep.close(); await subs['per-sample'].close()
}

// The EqProp contrast of one training step (free and nudged phase, batch 64) on the same network: one
// accumulate per phase against both phases in one pass, where the clamped inputs' side of the 784x500
// block is shared and one float32 product serves both phases. Same process, alternated 4 times.
if (!process.env.EQP_BENCH_MODELS || MODELS.includes('xy')) {
  const { enginePhysics } = await import('../src/engine/physics.ts')
  const { Rng } = await import('../src/core/rng/rng.ts')
  const ph = enginePhysics(base, { matmul: denseMatMul() }), n = base.nodes, rng = new Rng(1)
  const free = Float64Array.from({ length: B * n }, () => rng.uniform(-Math.PI, Math.PI)), nudged = free.slice()
  for (let b = 0; b < B; b++) for (let i = 784; i < n; i++) nudged[b * n + i] += 0.01
  const terms = [{ states: free, c: -2 }, { states: nudged, c: 2 }], g = new Float64Array(base.edges.length + 2 * n)
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
  let sep = 0, one = 0
  const REPS = 6
  for (let rep = -1; rep < REPS; rep++) { // rep -1 warms both paths up
    let t = cpuMs(); for (const x of terms) ph.accumulate(x.states, B, x.c, false, g, null); const a = cpuMs() - t
    t = cpuMs(); ph.accumulatePhases!(terms, B, false, g, null); const b = cpuMs() - t
    if (rep >= 0) { sep += a; one += b }
  }
  emit({ bench: 'contrast-784-500-10-batch64', ms_cpu_per_step_per_phase_calls: +(sep / REPS).toFixed(1), ms_cpu_per_step_phases_at_once: +(one / REPS).toFixed(1), ratio: +(sep / one).toFixed(2), contrast: denseMatMul().name })
}

/** Best figure of model + solver over the worker counts, divided by the peer's (undefined when not run). */
function ratio(r: Record<string, number>, peer: number, prefix = 'xy-eliminate-'): number | undefined {
  const xs = Object.entries(r).filter(([k]) => k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length))).map(([, v]) => v)
  return xs.length ? +(Math.max(...xs) / peer).toFixed(3) : undefined
}

// the peer's method in numpy, same shape, batch and machine, measured now
const peerScript = fileURLToPath(new URL('./peer/oim_euler.py', import.meta.url))
const py = spawnSync('python3', [peerScript, '784,500,10', String(B), '6'], { encoding: 'utf8' })
if (py.status === 0) {
  const peer = JSON.parse(py.stdout.trim().split('\n').pop()!) as { samples_per_s: number; samples_per_cpu_s: number; force_evals_per_sample: number; numpy: string }
  const best = Math.max(0, ...Object.entries(results).filter(([k]) => k.startsWith('oim-')).map(([, v]) => v))
  emit({
    bench: 'train-oim-784-500-10-batch64-peer-method-numpy', samples_per_s: peer.samples_per_s, samples_per_cpu_s: peer.samples_per_cpu_s,
    force_evals_per_sample: peer.force_evals_per_sample, method: '20 free + 4 nudged Euler steps (eps 0.1), unconverged', numpy: peer.numpy,
    ratio_ours_to_peer: +(best / peer.samples_per_s).toFixed(3),
    ratio_oim_eliminate_to_peer_per_cpu_s: ratio(perCpu, peer.samples_per_cpu_s, 'oim-eliminate-'),
    // the XY eliminate path against the same peer (a different model: XY, not OIM), wall and per CPU second
    ratio_xy_eliminate_to_peer: ratio(results, peer.samples_per_s),
    ratio_xy_eliminate_to_peer_per_cpu_s: ratio(perCpu, peer.samples_per_cpu_s),
  })
} else {
  emit({ bench: 'train-oim-784-500-10-batch64-peer-method-numpy', skipped: 'python3 with numpy not found', stderr: (py.stderr ?? '').slice(0, 200) })
}
