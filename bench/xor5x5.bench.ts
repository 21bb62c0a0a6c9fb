// XOR on the 5x5 lattice, 1000 steps, M_init 5, in the README's learning configuration (central
// sites, frozen nudge, Adam lr 0.01), in CPU and wall seconds: first with the solver a user gets by
// default ('auto', which is implicit-flow on a lattice: the gradient flow's minimum), then with
// fire-newton (the Results table's runs) and flow-newton (the flow by explicit steps plus Newton);
// and, in the same run when Debian's python3-scipy is there, the reference's CPU path: one training
// step of LSODA relaxations to T = 100 (bench/reference/xy_lsoda_step.py), extrapolated to 1000
// steps, with the ratio. Each line also gives the final D and the first step with D < 0.01.
// BENCH_ONLY=auto (or fire-newton, flow-newton) times one solver. network_md5 (over the trained
// weights, h and psi as float64 bytes) shows whether a change kept the trained network to the bit.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SimXySubstrate } from '../drivers/sim/xy.ts'
import { loadDataset } from '../src/core/data/index.ts'
import { compileXy } from '../src/core/physics/xy.ts'
import { XySystem } from '../src/core/physics/xy-system.ts'
import { autoSolver, createRelaxWorkspace } from '../src/core/solvers/index.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const SPEC = 'lattice:5x5:in=1,1;1,3:out=3,2'
const STEPS = 1000
const net = buildNetwork(parseBuilderString(SPEC), { inputs: 2, outputs: 1 }, 0)
/** what 'auto' resolves to on this network (the simulator's per-edge path) */
const AUTO_IS = (() => { const sys = new XySystem(compileXy(net)); return autoSolver(sys, createRelaxWorkspace(sys.n, sys.bandwidth)) })()
const cfg = TrainConfig.parse({ epochs: STEPS, mInit: 5, batchSize: 4, seed: 0, evalEvery: 0, estimator: 'frozen-nudge', optimiser: { kind: 'adam' }, lr: 0.01 })

/** CPU seconds of this process (all its threads) and wall seconds of one training run. */
async function ours(solver: 'auto' | 'fire-newton' | 'flow-newton', refCpu: number | null): Promise<void> {
  const sub = new SimXySubstrate(net, { solver })
  let last = NaN, firstBelow: number | null = null
  const tr = new Trainer(sub, net, loadDataset('xor', 0), cfg, {
    onEvent: (e) => {
      if (e.type !== 'epoch') return
      last = e.metrics.distance
      if (firstBelow === null && last < 0.01) firstBelow = e.epoch
    },
  })
  const c0 = process.cpuUsage(), t0 = performance.now()
  await tr.train()
  const u = process.cpuUsage(c0), wall = (performance.now() - t0) / 1000, cpu = (u.user + u.system) / 1e6
  const p = await sub.getParams(), md5 = createHash('md5')
  for (const a of [p.weights, p.h ?? [], p.psi ?? []]) md5.update(Buffer.from(Float64Array.from(a).buffer))
  emit({
    bench: `xor5x5-${STEPS}steps-M5-${solver}`, units: 's', ...(solver === 'auto' ? { solver_in_use: AUTO_IS } : {}), cpu_s: Number(cpu.toFixed(3)), wall_s: Number(wall.toFixed(3)), final_D: last, first_step_below_D_0_01: firstBelow, force_evals: sub.forceEvals, network_md5: md5.digest('hex'), goal_cpu_s: 5,
    ...(refCpu !== null ? { ratio_reference_lsoda_over_ours_cpu: Number((refCpu / cpu).toFixed(1)), goal_ratio: 100 } : {}),
  })
  await sub.close()
}

/** The reference's LSODA path timed for a few steps at the initial couplings, or null without scipy. */
function reference(): { cpu_s_per_step: number; rhs_evals_per_relaxation: number; scipy: string; steps_timed: number } | null {
  const py = '/usr/bin/python3'
  if (!existsSync(py)) return null
  const H = Math.PI / 2
  const job = {
    nodes: net.nodes, edges: net.edges, weights: net.weights, h: net.bias?.h ?? new Array(net.nodes).fill(0), psi: net.bias?.psi ?? new Array(net.nodes).fill(0),
    inputs: net.inputs, outputs: net.outputs, x: [[-H, -H], [-H, H], [H, -H], [H, H]], y: [[-H], [H], [H], [-H]],
    beta: cfg.beta, T: 100, tol: 1.4e-8, mInit: cfg.mInit, steps: Number(process.env.XOR_REF_STEPS ?? 3), seed: 0,
  }
  const r = spawnSync(py, [fileURLToPath(new URL('./reference/xy_lsoda_step.py', import.meta.url))], { input: JSON.stringify(job), encoding: 'utf8' })
  if (r.status !== 0) { process.stderr.write(`xor5x5 reference skipped: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}\n`); return null }
  return JSON.parse(r.stdout)
}

// the reference first, so that each of our lines carries its ratio
const ref = reference()
const refCpu = ref ? ref.cpu_s_per_step * STEPS : null
if (ref) {
  emit({
    bench: `xor5x5-${STEPS}steps-M5-reference-lsoda`, units: 's', cpu_s_extrapolated: Number(refCpu!.toFixed(1)), cpu_s_per_step: Number(ref.cpu_s_per_step.toFixed(4)),
    steps_timed: ref.steps_timed, rhs_evals_per_relaxation: Math.round(ref.rhs_evals_per_relaxation), scipy: ref.scipy, T: 100, rtol_atol: 1.4e-8,
  })
}
const only = process.env.BENCH_ONLY
for (const solver of ['auto', 'fire-newton', 'flow-newton'] as const) if (!only || only === solver) await ours(solver, refCpu)
