// Overdamped Langevin relaxation: fixed-step Euler-Maruyama on the gradient flow of any RelaxSystem.
// A noisy board never "settles" to a force tolerance, so this runs for a fixed time budget instead.
import type { Rng } from '../rng/rng.ts'
import type { RelaxSystem, SolveStats } from './system.ts'

/** Noise and integration settings: dx = f(x) dt + sigma sqrt(dt) N(0, 1) per free node and step. */
export interface LangevinOptions {
  /** noise amplitude (rad per sqrt(unit time)) */
  sigma: number
  /** step (model time units) */
  dt: number
  /** steps to take (the time budget is steps * dt) */
  steps: number
}

/**
 * Integrates x in place for o.steps steps with noise drawn from rng; f is scratch of length n.
 * settled = the whole budget ran with a finite force (a nudge singularity stops it early).
 */
export function relaxLangevin(sys: RelaxSystem, x: Float64Array, o: LangevinOptions, rng: Rng, f: Float64Array): SolveStats {
  const n = sys.n, free = sys.free, dt = o.dt, amp = o.sigma * Math.sqrt(dt)
  let residual = 0, k = 0
  for (; k < o.steps; k++) {
    residual = sys.force(x, f)
    if (!Number.isFinite(residual)) return { settled: false, residual: Infinity, forceEvals: k + 1, hessianEvals: 0, steps: k }
    for (let i = 0; i < n; i++) if (free[i]) x[i] += f[i] * dt + amp * rng.normal()
  }
  residual = sys.force(x, f)
  return { settled: Number.isFinite(residual), residual, forceEvals: k + 1, hessianEvals: 0, steps: k }
}
