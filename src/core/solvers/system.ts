// What a relaxation solver needs from a physical model: the landscape of one sample.
import type { LinearSolverName } from './linear.ts'

/** The energy landscape of one sample (internal energy plus any nudge), over n node states. */
export interface RelaxSystem {
  readonly n: number
  /** 1 where the node moves; clamped nodes keep their value */
  readonly free: Uint8Array
  /** Writes the force -dF/dx (zero on clamped nodes) into f; returns max |f|. */
  force(x: Float64Array, f: Float64Array): number
  /** The total energy F(x) that the force descends. */
  energy(x: Float64Array): number
  /** Upper bound on the largest Hessian eigenvalue (sets stable step sizes). */
  stiffness(): number
  /** Half-bandwidth of the Hessian in node order (n - 1 when dense). */
  readonly bandwidth: number
  /** Hessian of F at x, clamped rows/columns as identity; absent when the model has none. */
  hessian?(x: Float64Array, H: import('./band.ts').HessianSink): void
  /**
   * True when x has left every equilibrium the relaxation can reach (a frozen torque has turned an
   * output by more than pi from its start). force() reports such states as Infinity unless
   * `escapeInForce` is false, which a solver that calls escaped() on its accepted states sets.
   */
  escaped?(x: Float64Array): boolean
  escapeInForce?: boolean
  /** The split of the free nodes for the 'eliminate' solver, or null when the network has none. */
  elimination?(): import('./eliminate.ts').Elimination | null
}

/** 'auto' picks per network (see autoSolver in index.ts); the others name one method. */
export const SOLVER_NAMES = ['auto', 'implicit-flow', 'flow-newton', 'rk45', 'fire', 'fire-newton', 'eliminate'] as const
export type SolverName = (typeof SOLVER_NAMES)[number]

export interface SolveOptions {
  /** settle when max |force| < tol (rad per unit time) */
  tol: number
  /** budget in force evaluations */
  maxEvals: number
  /** budget in model time units (gradient flow time), rk45 only */
  tMax: number
  /** rk45 tolerances */
  rtol: number
  atol: number
  /** fire-newton: try Newton steps once max |force| is below this */
  newtonTol: number
  /** flow-newton: relative tolerance of the flow before the Newton polish */
  flowRtol: number
  /** implicit-flow: local error per step (rad, RMS over free nodes) */
  implicitTol: number
  /** implicit-flow: how shifted Hessians are solved ('auto' picks per network, see chooseLinear) */
  linear: LinearSolverName
}

export const DEFAULT_SOLVE: SolveOptions = { tol: 1e-6, maxEvals: 200_000, tMax: Infinity, rtol: 1e-8, atol: 1e-8, newtonTol: 0.05, flowRtol: 1e-4, implicitTol: 1e-3, linear: 'auto' }

/** Outcome of one sample's relaxation. */
export interface SolveStats {
  settled: boolean
  /** max |force| at the returned state */
  residual: number
  forceEvals: number
  hessianEvals: number
  /** model time elapsed (rk45), or iterations for minimisers */
  steps: number
}
