// --dynamics and --dynamics-t, shared by train and eval: how the simulator relaxes each sample.
import { DYNAMICS, type Dynamics } from '../core/solvers/reference.ts'
import { num, oneOf, UsageError } from './usage.ts'

/** The simulator's dynamics options from the flags (an empty object when neither is given). */
export function dynamicsFlags(f: { dynamics?: string; 'dynamics-t'?: string }): { dynamics?: Dynamics; dynamicsT?: number } {
  const dynamics = oneOf(f.dynamics, 'dynamics', DYNAMICS, 'converged')
  if (f['dynamics-t'] === undefined) return f.dynamics === undefined ? {} : { dynamics }
  if (dynamics !== 'reference') throw new UsageError('--dynamics-t sets the integration time of --dynamics reference')
  return { dynamics, dynamicsT: num(f['dynamics-t'], 'dynamics-t', 100, { gt: 0, max: 1e7 }) }
}
