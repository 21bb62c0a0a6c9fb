// eqprop-hil eval: inference of a (trained) network on a task's split, on the simulator.
import { SOLVER_NAMES } from '../../core/solvers/system.ts'
import { dynamicsFlags } from '../dynamics-flags.ts'
import { networkFromArg } from '../../services/networks.ts'
import { defaultDataDir } from '../../api/config.ts'
import { resolveTask } from '../../services/datasets/local.ts'
import { evaluateOnSimulator } from '../../services/training.ts'
import { num, oneOf, parseFlags, required } from '../usage.ts'

export const EVAL_HELP = `eqprop-hil eval --network FILE.json --task T [--split test|train] [--restarts M] [--seed S] [--data-seed S] [--json]
          [--solver S] [--dynamics converged|reference] [--dynamics-t T]
  Prints the accuracy, distance D, cost C and settled fraction on the split; --json prints one JSON object
  (accuracy, distance, cost, settled, samples, split).
  --task takes what train takes: a dataset name, a CSV file (with --label COL, --test-fraction F, --regression as in training),
  or an uploaded table (--data-dir DIR).
  --data-seed is the seed of the train/test split (use the training run's --seed; default --seed).`

export async function evalCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    network: { type: 'string' }, task: { type: 'string' }, split: { type: 'string' }, restarts: { type: 'string' },
    seed: { type: 'string' }, 'data-seed': { type: 'string' }, solver: { type: 'string' }, dynamics: { type: 'string' }, 'dynamics-t': { type: 'string' }, json: { type: 'boolean' },
    label: { type: 'string' }, 'test-fraction': { type: 'string' }, 'data-dir': { type: 'string' }, regression: { type: 'boolean' },
  })
  const task = required(f.task, 'task')
  const seed = num(f.seed, 'seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 })
  const dataSeed = num(f['data-seed'], 'data-seed', seed, { int: true, min: 0 })
  const source = await resolveTask(task, f['data-dir'] ?? (process.env.EQP_DATA_DIR || defaultDataDir()), {
    labelColumn: f.label, testFraction: f['test-fraction'] === undefined ? undefined : num(f['test-fraction'], 'test-fraction', 0.2, { min: 0, max: 0.9 }),
    ...(f.regression ? { kind: 'regression' as const } : {}),
  }, '--task')
  const data = source.load(task, dataSeed)
  const network = networkFromArg(required(f.network, 'network'), { inputs: data.nIn, outputs: data.nOut }, seed)
  const m = await evaluateOnSimulator(network, task, {
    split: oneOf(f.split, 'split', ['test', 'train'] as const, 'test'),
    restarts: num(f.restarts, 'restarts', 1, { int: true, min: 1, max: 100 }),
    seed, dataSeed, sim: { solver: oneOf(f.solver, 'solver', SOLVER_NAMES, 'auto'), ...dynamicsFlags(f) },
  }, source.load)
  if (f.json) process.stdout.write(JSON.stringify(m) + '\n')
  else {
    process.stdout.write(`${source.name} ${m.split} split, ${m.samples} samples: accuracy ${m.accuracy.toFixed(3)}  D ${m.distance.toExponential(3)}  ` +
      `C ${m.cost.toExponential(3)}  settled ${(100 * m.settled).toFixed(1)}%\n`)
  }
  return 0
}
