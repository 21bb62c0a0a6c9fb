import { relaxFire } from './fire.ts'
import { relaxImplicitFlow } from './implicit-flow.ts'
import { relaxReference, type Dynamics } from './reference.ts'
import { relaxRk45 } from './rk45.ts'
import type { RelaxSystem, SolveOptions, SolveStats, SolverName } from './system.ts'
import type { RelaxWorkspace } from './workspace.ts'

export * from './band.ts'
export * from './system.ts'
export * from './workspace.ts'
export { relaxFire, relaxImplicitFlow, relaxRk45 }
export * from './linear.ts'
export * from './sparse.ts'
export * from './reference.ts'
export { relaxLangevin, type LangevinOptions } from './langevin.ts'

/** Relaxes one sample in place with the named solver. */
export function relaxWith(name: SolverName, sys: RelaxSystem, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace): SolveStats {
  switch (name) {
    case 'rk45': return relaxRk45(sys, x, o, ws)
    case 'flow-newton': return relaxRk45(sys, x, o, ws, true)
    case 'fire': return relaxFire(sys, x, o, ws, false)
    case 'fire-newton': return relaxFire(sys, x, o, ws, true)
    case 'implicit-flow': return relaxImplicitFlow(sys, x, o, ws)
  }
}

/**
 * Relaxes one sample in place as a simulator's options say: 'converged' = the named solver until
 * max|force| < o.tol; 'reference' = the gradient flow for model time dynamicsT, no convergence test.
 */
export function relaxBy(opts: { solver: SolverName; dynamics: Dynamics; dynamicsT: number }, sys: RelaxSystem, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace): SolveStats {
  return opts.dynamics === 'reference' ? relaxReference(sys, x, opts.dynamicsT, o, ws) : relaxWith(opts.solver, sys, x, o, ws)
}
