// Solver figures (issue 12): force evaluations to settle on the paper's 15x15 XOR lattice for rk45
// (the physical reference), implicit-flow, fire-newton and flow-newton, with the fraction of starts
// that end in the rk45 minimum; then seconds per training step on XY lattices 10x10 .. 80x80 and the
// fitted exponent of time vs N, and the cost of one implicit-flow step by Cholesky and by PCG.
import { SimXySubstrate } from '../drivers/sim/xy.ts'
import { loadDataset, type Dataset } from '../src/core/data/index.ts'
import { compileOim, type OimNet } from '../src/core/physics/oim.ts'
import { OimSystem } from '../src/core/physics/oim-system.ts'
import { compileXy, type XyNet } from '../src/core/physics/xy.ts'
import { XySystem } from '../src/core/physics/xy-system.ts'
import { Rng } from '../src/core/rng/rng.ts'
import { autoSolver, createRelaxWorkspace, DEFAULT_SOLVE, relaxImplicitFlow, relaxWith, type SolverName } from '../src/core/solvers/index.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import { randomStarts } from './random-starts.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const XOR15 = 'lattice:15x15:in=6,6;7,10:out=10,8'
const round = (v: number, d = 4) => Number(v.toPrecision(d))
/** Process CPU seconds: 2 cores shared with other jobs make wall time a poor clock, so timings use CPU time (and report wall too). */
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }

/** Least-squares slope of log(y) against log(x). */
function exponent(x: number[], y: number[]): number {
  const lx = x.map(Math.log), ly = y.map(Math.log), n = x.length
  const mx = lx.reduce((a, b) => a + b) / n, my = ly.reduce((a, b) => a + b) / n
  let sxy = 0, sxx = 0
  for (let i = 0; i < n; i++) { sxy += (lx[i] - mx) * (ly[i] - my); sxx += (lx[i] - mx) ** 2 }
  return sxy / sxx
}

/** Largest |wrap(a - b)| over the nodes (rad). */
function circleDistance(a: Float64Array, b: Float64Array): number {
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(Math.atan2(Math.sin(a[i] - b[i]), Math.cos(a[i] - b[i]))))
  return d
}

/** Solver runs compared with rk45: implicit-flow by its automatic linear solver and by PCG forced. */
const SETTLE_RUNS: { solver: SolverName; linear?: 'pcg' }[] = [
  { solver: 'rk45' }, { solver: 'implicit-flow' }, { solver: 'implicit-flow', linear: 'pcg' }, { solver: 'fire-newton' }, { solver: 'flow-newton' }, { solver: 'eliminate' },
]

function settleOnXor15(): void {
  settleFromRandom('settle-xor-15x15', XOR15, 10, SETTLE_RUNS)
}

/**
 * Force evaluations to settle from `starts` random starts on lattice `spec`, per solver run, and
 * the fraction of starts that end in rk45's minimum (runs[0] must be rk45).
 */
function settleFromRandom(bench: string, spec: string, starts: number, runs: { solver: SolverName; linear?: 'pcg' }[]): void {
  const net = compileXy(buildNetwork(parseBuilderString(spec), { inputs: 2, outputs: 1 }, 0))
  const sys = new XySystem(net)
  const x0s = randomStarts(net, starts, 2)
  // rk45 at rtol = atol = 1e-8 with no Newton stage: the gradient flow itself
  const o = { ...DEFAULT_SOLVE, tol: 1e-6, maxEvals: 1e7 }
  const polish = { ...DEFAULT_SOLVE, tol: 1e-10 }
  const ref: Float64Array[] = []
  let rkEvals = 0
  for (const { solver, linear } of runs) {
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    let evals = 0, hevals = 0, settled = 0, same = 0, wall = 0, cpuS = 0
    x0s.forEach((x0, s) => {
      const x = x0.slice()
      const t0 = performance.now(), c0 = cpu()
      const st = relaxWith(solver, sys, x, linear ? { ...o, linear } : o, ws)
      wall += (performance.now() - t0) / 1000
      cpuS += cpu() - c0
      evals += st.forceEvals; hevals += st.hessianEvals; settled += st.settled ? 1 : 0
      // the minimum each run sits in: polished by Newton far below the settle tolerance
      relaxWith('fire-newton', sys, x, polish, ws)
      if (solver === 'rk45') ref[s] = x
      else if (circleDistance(x, ref[s]) < 1e-4) same++
    })
    if (solver === 'rk45') rkEvals = evals
    emit({
      bench, solver, starts, tol: o.tol,
      force_evals_per_relax: round(evals / starts), hessian_evals_per_relax: round(hevals / starts), cpu_s_per_relax: round(cpuS / starts), wall_s_per_relax: round(wall / starts),
      force_evals_ratio_to_rk45: round(evals / rkEvals, 3), force_plus_hessian_evals_ratio_to_rk45: round((evals + hevals) / rkEvals, 3),
      same_minimum_as_rk45: solver === 'rk45' ? 1 : same / starts, settled_fraction: settled / starts,
      linear: solver === 'implicit-flow' ? ws.linear?.auto ?? linear : undefined,
    })
  }
}

/**
 * The 'eliminate' solver against the gradient flow on small layered nets (inputs clamped, hidden
 * layer eliminated): fraction of random starts that end in rk45's minimum, next to fire-newton's.
 */
function settleLayeredSmall(model: 'xy' | 'oim'): void {
  for (const sizes of model === 'xy' ? [[4, 8, 3], [6, 10, 2], [8, 16, 4]] : [[4, 8, 3], [6, 10, 2], [8, 20, 4]]) {
    const desc = buildNetwork({ kind: 'layered', sizes, weightStd: 0.8, bias: 'random' }, { inputs: sizes[0], outputs: sizes[sizes.length - 1] }, 1)
    // OIM: random h and second-harmonic S in [-0.4, 0.4] on every node (two minima per node are common)
    const r0 = new Rng(101)
    const net = model === 'xy' ? compileXy(desc) : compileOim({
      ...desc, model: 'oim', bias: { h: Array.from({ length: desc.nodes }, () => r0.uniform(-0.5, 0.5)), psi: new Array<number>(desc.nodes).fill(0) },
      shil: Array.from({ length: desc.nodes }, () => r0.uniform(-0.4, 0.4)),
    })
    const sys = model === 'xy' ? new XySystem(net as XyNet) : new OimSystem(net as OimNet)
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    const starts = model === 'xy' ? 40 : 20, rng = new Rng(5)
    const polish = { ...DEFAULT_SOLVE, tol: 1e-10 }
    const counts = { rk45: 0, eliminate: 0, 'fire-newton': 0 } as Record<string, number>
    const same = { eliminate: 0, 'fire-newton': 0 } as Record<string, number>
    for (let s = 0; s < starts; s++) {
      const x0 = Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI))
      if (model === 'oim') for (const i of net.inputs) x0[i] = rng.uniform(-1, 1) // an OIM input holds a value
      const ref = x0.slice()
      counts.rk45 += relaxWith('rk45', sys, ref, DEFAULT_SOLVE, ws).forceEvals
      relaxWith('fire-newton', sys, ref, polish, ws)
      for (const solver of ['eliminate', 'fire-newton'] as SolverName[]) {
        const x = x0.slice()
        counts[solver] += relaxWith(solver, sys, x, DEFAULT_SOLVE, ws).forceEvals
        relaxWith('fire-newton', sys, x, polish, ws)
        if (circleDistance(x, ref) < 1e-6) same[solver]++
      }
    }
    emit({
      bench: `settle-layered-${model === 'xy' ? '' : 'oim-'}${sizes.join('-')}`, starts, tol: DEFAULT_SOLVE.tol,
      same_minimum_as_rk45_eliminate: same.eliminate / starts, same_minimum_as_rk45_fire_newton: same['fire-newton'] / starts,
      force_evals_per_relax_rk45: round(counts.rk45 / starts), force_evals_per_relax_eliminate: round(counts.eliminate / starts),
      force_evals_per_relax_fire_newton: round(counts['fire-newton'] / starts),
    })
  }
}

/** XOR's first row as a one-sample task: one epoch is one training step of one sample. */
function oneSample(): Dataset {
  const d = loadDataset('xor', 0)
  const row = (s: Dataset['train']) => ({ x: s.x.slice(0, d.nIn), y: s.y.slice(0, d.nOut), label: s.label.slice(0, 1), rows: 1 })
  return { ...d, train: row(d.train), test: row(d.test) }
}

async function trainStepScaling(): Promise<void> {
  const sizes = [10, 20, 40, 80], nodes: number[] = [], secs: number[] = []
  for (const L of sizes) {
    const net = buildNetwork(parseBuilderString(`lattice:${L}x${L}`), { inputs: 2, outputs: 1 }, 0)
    const sub = new SimXySubstrate(net)
    const tr = new Trainer(sub, net, oneSample(), TrainConfig.parse({ epochs: 1000, batchSize: 1, mInit: 1, seed: 0, evalEvery: 0 }))
    await tr.start()
    // The same number of steps at every size: the first step's free phase (random start, initial
    // couplings) is 3-5x longer than the later ones, whose couplings the first update has changed,
    // so a count that differed between sizes would weigh it differently and bend the fit.
    const steps = 8
    const t0 = performance.now(), c0 = cpu()
    for (let s = 0; s < steps; s++) await tr.runEpoch()
    const s = (cpu() - c0) / steps, wall = (performance.now() - t0) / 1000 / steps
    nodes.push(L * L); secs.push(s)
    const c = compileXy(net), sys = new XySystem(c), ws = createRelaxWorkspace(c.n, sys.bandwidth)
    emit({ bench: 'train-step-xy-lattice', size: `${L}x${L}`, nodes: L * L, solver: 'auto', runs: autoSolver(sys, ws), cpu_s_per_step: round(s), wall_s_per_step: round(wall), steps, force_evals_per_step: Math.round(sub.forceEvals / steps), step: 'free (random start) + nudged (beta 0.1) + update, batch 1' })
    await sub.close()
  }
  emit({
    bench: 'train-step-xy-lattice-fit', solver: 'auto', sizes: sizes.map((L) => `${L}x${L}`), exponent_cpu_time_vs_nodes: round(exponent(nodes, secs), 3),
    exponent_40x40_to_80x80: round(exponent(nodes.slice(-2), secs.slice(-2)), 3),
  })
}

/**
 * Seconds per implicit-flow step (one Hessian, one shifted factorisation or preconditioner, two
 * forces, three solves) by each linear solver, averaged over a whole free relaxation from a random
 * start (CG's iterations depend on where the flow is). A band Cholesky costs the same on every step,
 * so on 80x80 it is timed over its first 10 steps only.
 */
function implicitStepCost(): void {
  const sizes = [10, 20, 40, 80]
  const fits: Record<string, { nodes: number[]; secs: number[] }> = { cholesky: { nodes: [], secs: [] }, pcg: { nodes: [], secs: [] } }
  {
    // warm-up: a few whole relaxations by each solver, so the JIT has compiled every path before timing
    const net = compileXy(buildNetwork(parseBuilderString('lattice:12x12'), { inputs: 2, outputs: 1 }, 1))
    const sys = new XySystem(net), rng = new Rng(4)
    for (const linear of ['cholesky', 'pcg'] as const) {
      const ws = createRelaxWorkspace(net.n, sys.bandwidth)
      for (let r = 0; r < 5; r++) relaxImplicitFlow(sys, Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI)), { ...DEFAULT_SOLVE, linear }, ws)
    }
  }
  for (const L of sizes) {
    const net = compileXy(buildNetwork(parseBuilderString(`lattice:${L}x${L}`), { inputs: 2, outputs: 1 }, 0))
    const sys = new XySystem(net), rng = new Rng(3)
    const x0 = Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI))
    for (const linear of ['cholesky', 'pcg'] as const) {
      const ws = createRelaxWorkspace(net.n, sys.bandwidth)
      const capped = L >= 80 && linear === 'cholesky'
      const o = { ...DEFAULT_SOLVE, linear, maxEvals: capped ? 21 : 1e6 }
      const t0 = performance.now(), c0 = cpu()
      const st = relaxImplicitFlow(sys, x0.slice(), o, ws)
      const s = (cpu() - c0) / st.hessianEvals, wall = (performance.now() - t0) / 1000 / st.hessianEvals
      fits[linear].nodes.push(net.n); fits[linear].secs.push(s)
      emit({
        bench: 'implicit-step-xy-lattice', size: `${L}x${L}`, nodes: net.n, linear, cpu_s_per_step: round(s), wall_s_per_step: round(wall), steps: st.hessianEvals, settled: st.settled,
        whole_relaxation: !capped, cg_iterations_per_solve: linear === 'pcg' ? round(ws.linear!.pcg!.work.iterations / (3 * st.hessianEvals), 3) : undefined,
      })
    }
  }
  for (const linear of ['cholesky', 'pcg'] as const) emit({ bench: 'implicit-step-xy-lattice-fit', linear, sizes: sizes.map((L) => `${L}x${L}`), exponent_cpu_time_vs_nodes: round(exponent(fits[linear].nodes, fits[linear].secs), 3) })
}

/**
 * Where Cholesky and PCG cross (PCG_MIN_FILL_RATIO): CPU seconds per implicit step of each, over 8
 * free relaxations from random starts per lattice size, alternated twice.
 */
function linearSwitch(): void {
  {
    const net = compileXy(buildNetwork(parseBuilderString('lattice:12x12'), { inputs: 2, outputs: 1 }, 1))
    const sys = new XySystem(net), rng = new Rng(4)
    for (const linear of ['cholesky', 'pcg'] as const) {
      const ws = createRelaxWorkspace(net.n, sys.bandwidth)
      for (let r = 0; r < 5; r++) relaxImplicitFlow(sys, Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI)), { ...DEFAULT_SOLVE, linear }, ws)
    }
  }
  for (const L of [12, 14, 16, 20, 24]) {
    const net = compileXy(buildNetwork(parseBuilderString(`lattice:${L}x${L}`), { inputs: 2, outputs: 1 }, 0))
    const sys = new XySystem(net)
    const secs = { cholesky: 0, pcg: 0 }, steps = { cholesky: 0, pcg: 0 }
    let auto: string | undefined
    for (let rep = 0; rep < 2; rep++) {
      for (const linear of ['cholesky', 'pcg'] as const) {
        const rng = new Rng(3), ws = createRelaxWorkspace(net.n, sys.bandwidth)
        for (let s = 0; s < 8; s++) {
          const x0 = Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI))
          const c0 = cpu()
          steps[linear] += relaxImplicitFlow(sys, x0, { ...DEFAULT_SOLVE, linear }, ws).hessianEvals
          secs[linear] += cpu() - c0
        }
      }
    }
    {
      const ws = createRelaxWorkspace(net.n, sys.bandwidth), rng = new Rng(9)
      relaxWith('implicit-flow', sys, Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI)), DEFAULT_SOLVE, ws)
      auto = ws.linear?.auto
    }
    emit({ bench: 'implicit-step-linear-switch', size: `${L}x${L}`, nodes: net.n, relaxations: 16, cpu_s_per_step_cholesky: round(secs.cholesky / steps.cholesky), cpu_s_per_step_pcg: round(secs.pcg / steps.pcg), auto_picks: auto })
  }
}

const only = process.env.BENCH_ONLY
if (!only || only === 'settle') settleOnXor15()
// a lattice on the PCG side of the switch (minutes of rk45: not in the default run)
if (only === 'settle24') settleFromRandom('settle-xy-24x24', 'lattice:24x24', 10, SETTLE_RUNS.slice(0, 2))
if (!only || only === 'settle' || only === 'layered') { settleLayeredSmall('xy'); settleLayeredSmall('oim') }
if (!only || only === 'step') implicitStepCost()
if (only === 'switch') linearSwitch()
if (!only || only === 'train') await trainStepScaling()
