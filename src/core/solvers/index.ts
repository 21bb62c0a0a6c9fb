import { relaxEliminate } from './eliminate.ts'
import { EnvelopeMatrix } from './envelope.ts'
import { relaxFire } from './fire.ts'
import { relaxImplicitFlow } from './implicit-flow.ts'
import { relaxReference, type Dynamics } from './reference.ts'
import { relaxRk45 } from './rk45.ts'
import type { RelaxSystem, SolveOptions, SolveStats, SolverName } from './system.ts'
import type { RelaxWorkspace } from './workspace.ts'

export * from './band.ts'
export * from './eliminate.ts'
export * from './system.ts'
export * from './workspace.ts'
export { relaxFire, relaxImplicitFlow, relaxRk45 }
export * from './linear.ts'
export * from './sparse.ts'
export * from './reference.ts'
export { relaxLangevin, type LangevinOptions } from './langevin.ts'

/**
 * What 'auto' runs, from measurements (docs/explanation/relaxation-dynamics.md): implicit-flow where
 * the model has a Hessian in band or sparse storage (all-to-all, lattices, small layered nets: the
 * gradient-flow minimum at 1/5 to 1/100 of rk45's force evaluations, and less wall time than
 * flow-newton); flow-newton on the folded layered path (envelope storage), where assembling the
 * dense-block Hessian every step costs more than the explicit flow saves; rk45 without a Hessian.
 * Not 'eliminate': it is 10x faster than flow-newton on 784-500-10 but ends in the flow's minimum in
 * only 9 of 12 starts there (fire-newton 7 of 12), and auto stands for the flow's minimum.
 */
export function autoSolver(sys: RelaxSystem, ws: RelaxWorkspace): Exclude<SolverName, 'auto'> {
  if (!sys.hessian) return 'rk45'
  return ws.H instanceof EnvelopeMatrix ? 'flow-newton' : 'implicit-flow'
}

/** Relaxes one sample in place with the named solver. */
export function relaxWith(name: SolverName, sys: RelaxSystem, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace): SolveStats {
  switch (name) {
    case 'auto': return relaxWith(autoSolver(sys, ws), sys, x, o, ws)
    case 'rk45': return relaxRk45(sys, x, o, ws)
    case 'flow-newton': return relaxRk45(sys, x, o, ws, true)
    case 'fire': return relaxFire(sys, x, o, ws, false)
    case 'fire-newton': return relaxFire(sys, x, o, ws, true)
    case 'implicit-flow': return relaxImplicitFlow(sys, x, o, ws)
    case 'eliminate': {
      const el = sys.elimination?.()
      const st = el ? relaxEliminate(sys, el, x, o, ws) : null
      if (st) return st
      // no bipartite split (or it broke down at this state): what auto would run
      return relaxWith(autoSolver(sys, ws), sys, x, o, ws)
    }
  }
}

/**
 * Relaxes one sample in place as a simulator's options say: 'converged' = the named solver until
 * max|force| < o.tol; 'reference' = the gradient flow for model time dynamicsT, no convergence test.
 */
export function relaxBy(opts: { solver: SolverName; dynamics: Dynamics; dynamicsT: number }, sys: RelaxSystem, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace): SolveStats {
  return opts.dynamics === 'reference' ? relaxReference(sys, x, opts.dynamicsT, o, ws) : relaxWith(opts.solver, sys, x, o, ws)
}
