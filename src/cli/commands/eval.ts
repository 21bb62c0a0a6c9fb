// eqprop-hil eval: inference of a (trained) network on a task's split, on the simulator.
import { SOLVER_NAMES } from '../../core/solvers/system.ts'
import { dynamicsFlags } from '../dynamics-flags.ts'
import { networkFromArg } from '../../services/networks.ts'
import { evaluateOnSimulator, loadTask } from '../../services/training.ts'
import { num, oneOf, parseFlags, required } from '../usage.ts'

export const EVAL_HELP = `eqprop-hil eval --network FILE.json --task xor|iris [--split test|train] [--restarts M] [--seed S] [--data-seed S]
          [--solver S] [--dynamics converged|reference] [--dynamics-t T]
  Prints one JSON object: accuracy, distance D, cost C, settled fraction, samples.
  --data-seed is the seed of the train/test split (use the training run's --seed; default --seed).`

export async function evalCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    network: { type: 'string' }, task: { type: 'string' }, split: { type: 'string' }, restarts: { type: 'string' },
    seed: { type: 'string' }, 'data-seed': { type: 'string' }, solver: { type: 'string' }, dynamics: { type: 'string' }, 'dynamics-t': { type: 'string' },
  })
  const task = required(f.task, 'task')
  const seed = num(f.seed, 'seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 })
  const dataSeed = num(f['data-seed'], 'data-seed', seed, { int: true, min: 0 })
  const data = loadTask(task, dataSeed)
  const network = networkFromArg(required(f.network, 'network'), { inputs: data.nIn, outputs: data.nOut }, seed)
  const m = await evaluateOnSimulator(network, task, {
    split: oneOf(f.split, 'split', ['test', 'train'] as const, 'test'),
    restarts: num(f.restarts, 'restarts', 1, { int: true, min: 1, max: 100 }),
    seed, dataSeed, sim: { solver: oneOf(f.solver, 'solver', SOLVER_NAMES, 'auto'), ...dynamicsFlags(f) },
  })
  process.stdout.write(JSON.stringify(m) + '\n')
  return 0
}
