// Reference dynamics: the gradient flow integrated for a fixed time, as the published XY code runs
// it (diffrax Tsit5 / Dormand-Prince at rtol = atol = 1e-8 over t in [0, 100], no convergence test;
// /work/shared/research/xy-eqprop-facts.md section 2). Its state at T is "the equilibrium" whether
// or not the flow has settled, so results can be reproduced and compared with converged minima.
import { relaxRk45 } from './rk45.ts'
import type { RelaxSystem, SolveOptions, SolveStats } from './system.ts'
import type { RelaxWorkspace } from './workspace.ts'

export const DYNAMICS = ['converged', 'reference'] as const
export type Dynamics = (typeof DYNAMICS)[number]

/** Tolerances of the published integrations (relative and absolute, per step). */
export const REFERENCE_TOL = 1e-8

/**
 * Integrates the gradient flow of sys from x (in place) for model time T with Dormand-Prince at
 * rtol = atol = 1e-8, never stopping early. settled = the flow reached T (within o.maxEvals) with
 * max|force| < o.tol there; steps = the model time reached.
 */
export function relaxReference(sys: RelaxSystem, x: Float64Array, T: number, o: SolveOptions, ws: RelaxWorkspace): SolveStats {
  // tol 0 turns the convergence test off: the loop ends at T, on the budget, or at a singularity
  const st = relaxRk45(sys, x, { ...o, tol: 0, tMax: T, rtol: REFERENCE_TOL, atol: REFERENCE_TOL }, ws)
  const reachedT = T - st.steps <= 1e-9 * Math.max(1, T)
  return { ...st, settled: reachedT && st.residual < o.tol }
}
