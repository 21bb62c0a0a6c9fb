// eqprop-hil analyse: basins, Hessian spectrum and linear response of an XY network (services/analyse.ts).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SOLVER_NAMES } from '../../core/solvers/system.ts'
import { analyseNetwork, type AnalyseReport } from '../../services/analyse.ts'
import { networkFromArg } from '../../services/networks.ts'
import { drawGridHeatmap } from '../../services/plots/draw.ts'
import { nodeGrid } from '../../services/plots/run-plots.ts'
import { loadTask } from '../../services/training.ts'
import type { Network } from '../../core/network/network.ts'
import { num, oneOf, parseFlags, required } from '../usage.ts'

export const ANALYSE_HELP = `eqprop-hil analyse --network NET --task T [--samples K] [--starts S] [--seed S] [--data-seed S]
          [--solver S] [--plots DIR] [--json]
  For the first K training rows of the task (default 4): the distinct free minima over S random starts
  (default 20; energies and how many starts end in each), and at the most frequent one the Hessian
  spectrum over the free nodes (smallest eigenvalues, condition number, negative ones = a saddle), the
  soft mode, and the linear response d phi / d x of every node to every input (rad per rad).
  --plots DIR   soft-mode-s<row>.png and response-s<row>-in<k>.png on the node grid
  --json        the whole report as one JSON object (states, soft modes and responses included)
  XY networks only; the spectrum is dense and skipped above 600 free nodes.`

function summary(r: AnalyseReport, inputs: number[]): string {
  const lines = [`network: ${r.network.nodes} nodes (${r.network.freeNodes} free), ${r.network.couplings} couplings; ${r.options.starts} random starts per sample (${r.options.solver})`]
  for (const s of r.samples) {
    const m = s.minima
    lines.push(`sample ${s.row}: ${m.length} distinct minim${m.length === 1 ? 'um' : 'a'}${s.unsettled ? `, ${s.unsettled} starts unsettled` : ''}` +
      (m.length ? `; energies ${m.map((x) => `${x.energy.toFixed(4)} (${x.starts})`).join(', ')}` : ''))
    if (s.spectrum) {
      const sp = s.spectrum
      lines.push(`  Hessian at the most frequent minimum: smallest ${sp.smallest.map((v) => v.toExponential(3)).join(', ')}; largest ${sp.largest.toExponential(3)}; ` +
        `condition ${Number.isFinite(sp.condition) ? sp.condition.toExponential(3) : 'inf'}${sp.negative ? `; ${sp.negative} negative (a saddle)` : ''}`)
      sp.response.forEach((chi, k) => {
        const mx = chi.reduce((a, v, i) => (!inputs.includes(i) && Math.abs(v) > Math.abs(a.v) ? { v, i } : a), { v: 0, i: -1 })
        lines.push(`  response to input ${k}: largest |d phi / d x| ${Math.abs(mx.v).toFixed(4)} at node ${mx.i}`)
      })
    }
  }
  return lines.join('\n') + '\n'
}

function plots(dir: string, net: Network, r: AnalyseReport): string[] {
  mkdirSync(dir, { recursive: true })
  const g = nodeGrid(net)
  const cells = g.rows * g.cols
  const pad = (v: number[]) => { const a = new Array<number>(cells).fill(0); v.forEach((x, i) => { a[i] = x }); return a }
  const files: string[] = []
  const io = { inputs: [...net.inputs], outputs: [...net.outputs] }
  for (const s of r.samples) {
    if (!s.spectrum) continue
    const f = join(dir, `soft-mode-s${s.row}.png`)
    writeFileSync(f, drawGridHeatmap(pad(s.spectrum.softMode), g.rows, g.cols, { title: `soft mode, sample ${s.row} (eigenvalue ${s.spectrum.smallest[0].toExponential(2)})`, scale: 'signed', caption: 'mode amplitude', ...io }))
    files.push(f)
    s.spectrum.response.forEach((chi, k) => {
      const rf = join(dir, `response-s${s.row}-in${k}.png`)
      const vals = chi.map((v, i) => (net.inputs.includes(i) ? 0 : v))
      writeFileSync(rf, drawGridHeatmap(pad(vals), g.rows, g.cols, { title: `response to input ${k}, sample ${s.row}`, scale: 'signed', caption: 'dφ/dx (rad/rad)', ...io }))
      files.push(rf)
    })
  }
  return files
}

export async function analyseCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    network: { type: 'string' }, task: { type: 'string' }, samples: { type: 'string' }, starts: { type: 'string' }, seed: { type: 'string' },
    'data-seed': { type: 'string' }, solver: { type: 'string' }, plots: { type: 'string' }, json: { type: 'boolean' },
  })
  const task = required(f.task, 'task')
  const seed = num(f.seed, 'seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 })
  const data = loadTask(task, num(f['data-seed'], 'data-seed', seed, { int: true, min: 0 }))
  const network = networkFromArg(required(f.network, 'network'), { inputs: data.nIn, outputs: data.nOut }, seed)
  const report = await analyseNetwork(network, data, {
    samples: num(f.samples, 'samples', 4, { int: true, min: 1, max: 64 }),
    starts: num(f.starts, 'starts', 20, { int: true, min: 1, max: 1000 }),
    seed, solver: oneOf(f.solver, 'solver', SOLVER_NAMES, 'rk45'),
  })
  const files = f.plots ? plots(f.plots, network, report) : []
  if (f.json) process.stdout.write(JSON.stringify({ ...report, plots: files }) + '\n')
  else process.stdout.write(summary(report, [...network.inputs]) + (files.length ? `pictures: ${files.join(', ')}\n` : ''))
  return 0
}
