// eqprop-hil identify: probe a board and fit the couplings and bias fields it really has; the fitted
// network (its digital twin) is written as a network JSON that train, eval and the daemon accept.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { networkFromArg } from '../../services/networks.ts'
import { resolveTask } from '../../services/datasets/local.ts'
import { defaultDataDir } from '../../api/config.ts'
import { identifyOnTarget } from '../../services/twin/on-target.ts'
import { BOARD_FLAGS, boardFlags, simFlags } from '../board-flags.ts'
import { num, oneOf, parseFlags, required, UsageError } from '../usage.ts'

export const IDENTIFY_HELP = `eqprop-hil identify --network SPEC|FILE.json --task T [board flags] [options]

Probes an XY board with random input clamps, random setpoint perturbations and random known forces on
its nudgeable nodes, and fits the couplings and bias fields it really has by least squares on the
equilibrium conditions. Prints the fit with the standard error of every parameter and writes the
fitted network (the board's digital twin) as a network JSON. See docs/how-to/digital-twin.md.

  --network N         the board's layout and setpoints: a builder string or a network JSON file (as train)
  --task T            the task whose input and output counts the builder uses (as train)
  --network-seed S    seed of the builder's random couplings (default: --seed)
  board               the simulator (default) with train's imperfection flags (--variation, --device-seed,
                      --drift, --readout-bits, --noise, --coupling-levels, --coupling-range, --solver, --tol),
                      or --serial PATH | --mqtt URL --uid U | --device serial:PATH|sim-wire
  --model M           affine (default): gain and offset of every coupling, from several setpoint vectors;
                      direct: the couplings at the network's setpoints only
  --samples N         free equilibria per setpoint vector, each also relaxed under a probe force (default 128)
  --setpoint-sets K   setpoint vectors: the network's own, then K-1 random perturbations (default 3; affine >= 2)
  --perturb P         std of the setpoint perturbation, coupling units (default 0.3)
  --force F           std of the random probe force per nudgeable node (default 0.3)
  --input-spread A    clamped inputs uniform in (-A, A) rad (default pi)
  --readout-bits N    the board reads phases with N bits: the simulator rounds to them, and the fit removes
                      the bias that rounding error would cause (default: exact readout)
  --seed S            probe seed (default 0)
  --out FILE          the twin network JSON (default out/twin-<uid>.json)
  --report FILE       also write the whole fit (every coupling and bias field with its standard error) as JSON
  --json              print one JSON summary line on stdout instead of text`

export async function identifyCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    ...BOARD_FLAGS, network: { type: 'string' }, task: { type: 'string' }, 'network-seed': { type: 'string' }, 'data-dir': { type: 'string' },
    model: { type: 'string' }, samples: { type: 'string' }, 'setpoint-sets': { type: 'string' }, perturb: { type: 'string' }, force: { type: 'string' },
    'input-spread': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, report: { type: 'string' }, json: { type: 'boolean' },
  })
  const seed = num(f.seed, 'seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 })
  const taskArg = required(f.task, 'task')
  const source = await resolveTask(taskArg, f['data-dir'] ?? (process.env.EQP_DATA_DIR || defaultDataDir()), {}, '--task')
  const data = source.load(taskArg, seed)
  const network = networkFromArg(required(f.network, 'network'), { inputs: data.nIn, outputs: data.nOut }, num(f['network-seed'], 'network-seed', seed, { int: true, min: 0 }))
  if (network.model !== 'xy') throw new UsageError(`identify fits XY boards; the network is ${network.model}`)
  const sim = simFlags(f)
  const target = boardFlags(f)
  const opts = {
    model: oneOf(f.model, 'model', ['affine', 'direct'] as const, 'affine'),
    samples: num(f.samples, 'samples', 128, { int: true, min: 1, max: 100_000 }),
    setpointSets: num(f['setpoint-sets'], 'setpoint-sets', f.model === 'direct' ? 1 : 3, { int: true, min: 1, max: 32 }),
    perturb: num(f.perturb, 'perturb', 0.3, { gt: 0, max: 100 }),
    force: num(f.force, 'force', 0.3, { gt: 0, max: 100 }),
    inputSpread: num(f['input-spread'], 'input-spread', Math.PI, { gt: 0, max: Math.PI }),
    readoutBits: sim.readoutBits,
    seed,
  }
  if (opts.model === 'affine' && opts.setpointSets < 2) throw new UsageError('--model affine needs --setpoint-sets 2 or more (gain and offset of each coupling)')
  const job = { task: taskArg, train: {}, sim }
  const { report, twin, truth } = await identifyOnTarget(network, target === null || target.kind !== 'sim-wire' ? target : { ...target, coupling: f['coupling-range'] !== undefined ? sim.coupling : undefined }, job, opts)
  const out = f.out ?? `out/twin-${report.uid.replace(/[^A-Za-z0-9._-]/g, '_')}.json`
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(twin) + '\n')
  if (f.report !== undefined) {
    mkdirSync(dirname(f.report), { recursive: true })
    writeFileSync(f.report, JSON.stringify({ ...report, ...(truth ? { truth } : {}) }, null, 1) + '\n')
  }
  const observed = report.couplings.length - report.unobservedEdges.length
  const meanSigma = report.couplings.reduce((s, c) => s + (c.sigma ?? 0), 0) / Math.max(observed, 1)
  if (f.json) {
    process.stdout.write(JSON.stringify({
      uid: report.uid, model: report.model, relaxations: report.relaxations, unsettled: report.unsettled, equations: report.equations, unknowns: report.unknowns,
      residual_rms: report.residualRms, condition: report.condition, couplings: observed, unobserved: report.unobservedEdges.length, mean_sigma: meanSigma, out, truth,
    }) + '\n')
    return 0
  }
  const e = (v: number | null) => (v === null ? '-' : v.toExponential(2))
  const x = (v: number) => (v >= 0 ? ' ' : '') + v.toFixed(4)
  process.stdout.write(`identified ${report.uid}: ${observed} couplings${report.unobservedEdges.length ? ` (${report.unobservedEdges.length} between clamped nodes, not observable)` : ''}, ` +
    `${report.bias.length} bias fields, from ${report.relaxations} board relaxations (${report.unsettled} unsettled left out)\n`)
  process.stdout.write(`fit: ${report.equations} equations, ${report.unknowns} unknowns (${report.model}), residual force rms ${e(report.residualRms)}, condition ${e(report.condition)}\n`)
  process.stdout.write('edge        setpoint   identified  sigma      gain     sigma      offset   sigma\n')
  report.couplings.forEach((c, k) => {
    if (report.unobservedEdges.includes(k)) return
    process.stdout.write(`${`[${c.edge}]`.padEnd(10)} ${x(c.setpoint)}  ${x(c.w)}   ${e(c.sigma)}  ${x(c.gain)}  ${e(c.gainSigma)}  ${x(c.offset)}  ${e(c.offsetSigma)}\n`)
  })
  for (const b of report.bias) process.stdout.write(`bias node ${b.node}: h ${b.h.toFixed(4)} (sigma ${e(b.hSigma)}), psi ${b.psi.toFixed(4)} rad\n`)
  if (truth) {
    process.stdout.write(`against the simulated board's true couplings: rms error ${e(truth.rmsError)} (max ${e(truth.maxError)}); the setpoints are off by rms ${e(truth.rmsDeviation)}\n`)
    process.stdout.write(`errors within 1 / 2 / 3 reported sigma: ${(100 * truth.within1).toFixed(0)}% / ${(100 * truth.within2).toFixed(0)}% / ${(100 * truth.within3).toFixed(0)}%` +
      `${truth.biasRmsError !== undefined ? `; bias field rms error ${e(truth.biasRmsError)}` : ''}\n`)
  }
  process.stdout.write(`twin written to ${out}${f.report !== undefined ? `, fit to ${f.report}` : ''}\n`)
  return 0
}
