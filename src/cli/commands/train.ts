// eqprop-hil train: EqProp training on the built-in XY simulator, no daemon needed.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ESTIMATOR_NAMES } from '../../core/eqprop/estimators.ts'
import { SOLVER_NAMES } from '../../core/solvers/system.ts'
import { TrainConfig } from '../../engine/config.ts'
import { networkFromArg } from '../../services/networks.ts'
import { loadTask, trainOnSimulator } from '../../services/training.ts'
import { progressPrinter } from '../progress.ts'
import { num, oneOf, parseFlags, required, UsageError } from '../usage.ts'

export const TRAIN_HELP = `eqprop-hil train --task xor|iris --network SPEC|FILE.json [options]

  --task T            dataset: xor, iris
  --network N         builder string (all-to-all:6, layered:4,10,3, lattice:5x5, lattice:15x15:n8:skip=2,
                      lattice:15x15:in=6,6;7,10:out=10,8, with :std=X and :bias=directions|zero|random) or a network JSON file
  --network-seed S    seed of the network's random couplings (default: --seed)
  --estimator E       ${ESTIMATOR_NAMES.join(' | ')} (default one-sided)
  --beta B            nudge strength (default 0.1)
  --lr L              learning rate (default 0.1)
  --optimiser O       sgd | momentum | adam (default sgd)
  --epochs K          passes over the training set (default 100)
  --batch S           samples per step (default 16; XOR has 4)
  --m-init M          random restarts of the free phase per sample (default 1)
  --no-bias           do not train the bias fields h, psi
  --bias-lr-scale S   learning rate of h and psi relative to --lr (default 1)
  --solver S          ${SOLVER_NAMES.join(' | ')} (default flow-newton)
  --tol T             settle when max |force| < T (default 1e-6)
  --workers N         relax on N worker threads (default 1; same results, more cores)
  --coupling-levels N quantise couplings to N levels over --coupling-range (board emulation; default 0 = off)
  --coupling-range A,B
  --eval-every K      test evaluation every K epochs (default 10; 0 = only at the end)
  --stop-at-d D       stop early once an epoch's mean training distance D is below D
  --seed S            run seed (default 0)
  --out FILE          trained network JSON (default out/<task>-seed<S>.json)
  --json              print one JSON summary line on stdout instead of text`

export async function trainCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    task: { type: 'string' }, network: { type: 'string' }, 'network-seed': { type: 'string' },
    estimator: { type: 'string' }, beta: { type: 'string' }, lr: { type: 'string' }, optimiser: { type: 'string' },
    epochs: { type: 'string' }, batch: { type: 'string' }, 'm-init': { type: 'string' }, 'no-bias': { type: 'boolean' }, 'bias-lr-scale': { type: 'string' },
    solver: { type: 'string' }, tol: { type: 'string' }, workers: { type: 'string' }, 'coupling-levels': { type: 'string' }, 'coupling-range': { type: 'string' },
    'eval-every': { type: 'string' }, 'stop-at-d': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
  })
  const task = required(f.task, 'task')
  const seed = num(f.seed, 'seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 })
  const data = loadTask(task, seed)
  const network = networkFromArg(required(f.network, 'network'), { inputs: data.nIn, outputs: data.nOut }, num(f['network-seed'], 'network-seed', seed, { int: true, min: 0 }))
  const opt = oneOf(f.optimiser, 'optimiser', ['sgd', 'momentum', 'adam'] as const, 'sgd')
  const cfg = TrainConfig.parse({
    estimator: oneOf(f.estimator, 'estimator', ESTIMATOR_NAMES, 'one-sided'),
    beta: num(f.beta, 'beta', 0.1, { gt: 0, max: 10 }),
    lr: num(f.lr, 'lr', 0.1, { gt: 0 }),
    optimiser: { kind: opt },
    epochs: num(f.epochs, 'epochs', 100, { int: true, min: 1 }),
    batchSize: num(f.batch, 'batch', 16, { int: true, min: 1 }),
    mInit: num(f['m-init'], 'm-init', 1, { int: true, min: 1, max: 1000 }),
    trainBias: !f['no-bias'],
    biasLrScale: num(f['bias-lr-scale'], 'bias-lr-scale', 1, { min: 0 }),
    seed,
    evalEvery: num(f['eval-every'], 'eval-every', 10, { int: true, min: 0 }),
  })
  const levels = num(f['coupling-levels'], 'coupling-levels', 0, { int: true, min: 0 })
  let range = [-1e6, 1e6]
  if (f['coupling-range'] !== undefined) {
    range = f['coupling-range'].split(',').map((v) => num(v, 'coupling-range', NaN))
    if (range.length !== 2 || !(range[0] < range[1])) throw new UsageError(`--coupling-range: '${f['coupling-range']}' is not MIN,MAX with MIN < MAX`)
  } else if (levels > 0) throw new UsageError('--coupling-levels needs --coupling-range MIN,MAX')
  const sim = {
    solver: oneOf(f.solver, 'solver', SOLVER_NAMES, 'flow-newton'),
    tol: num(f.tol, 'tol', 1e-6, { gt: 0 }),
    coupling: { min: range[0], max: range[1], levels },
  }
  const out = f.out ?? `out/${task}-seed${seed}.json`
  if (!f.json) process.stderr.write(`training ${task} on ${network.nodes} nodes / ${network.edges.length} couplings (sim, ${sim.solver}), ${cfg.epochs} epochs\n`)
  const progress = f.json ? undefined : progressPrinter(process.stderr, cfg.epochs)
  const stopAtDistance = f['stop-at-d'] === undefined ? undefined : num(f['stop-at-d'], 'stop-at-d', 0, { gt: 0 })
  const workers = num(f.workers, 'workers', 1, { int: true, min: 1, max: 64 })
  const r = await trainOnSimulator(network, { task, train: cfg, sim, dataSeed: seed, stopAtDistance, workers }, progress)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(r.network) + '\n')
  const summary = {
    task, seed, epochs: r.epochs, epochs_to_d_0_01: r.epochsToD01, train: r.train, test: r.final && { accuracy: r.final.accuracy, distance: r.final.distance },
    wall_s: Number(r.wallS.toFixed(3)), force_evals: r.forceEvals, out,
  }
  if (f.json) process.stdout.write(JSON.stringify(summary) + '\n')
  else {
    process.stdout.write(`final train D ${r.train?.distance.toExponential(3)}  train accuracy ${r.train?.accuracy.toFixed(3)}\n`)
    if (r.final) process.stdout.write(`final test  D ${r.final.distance.toExponential(3)}  test accuracy ${r.final.accuracy.toFixed(3)}\n`)
    process.stdout.write(`wall ${r.wallS.toFixed(2)} s, ${r.forceEvals} force evaluations; trained network written to ${out}\n`)
  }
  return 0
}
