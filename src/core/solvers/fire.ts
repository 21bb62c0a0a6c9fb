// FIRE (fast inertial relaxation engine): damped inertial descent that speeds up while the force
// keeps its direction and stops dead when it turns; optional Newton polish near the minimum.
import { newtonStep } from './newton.ts'
import type { RelaxSystem, SolveOptions, SolveStats } from './system.ts'
import type { RelaxWorkspace } from './workspace.ts'

const N_MIN = 5, F_INC = 1.1, F_DEC = 0.5, ALPHA0 = 0.1, F_ALPHA = 0.99

/** FIRE minimisation of sys from x (in place); with `newton`, polishes by damped Newton steps. */
export function relaxFire(sys: RelaxSystem, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace, newton = false): SolveStats {
  const n = sys.n
  const { f, v } = ws
  const dtMax = 1 / Math.sqrt(sys.stiffness())
  let dt = 0.5 * dtMax
  let alpha = ALPHA0, npos = 0
  const newtonTol = newton && sys.hessian ? o.newtonTol : -1
  let wait = 0, backoff = 4
  const counts = { evals: 1, hevals: 0 }
  let iters = 0
  let res = sys.force(x, f)
  for (let i = 0; i < n; i++) v[i] = 0
  while (res >= o.tol && counts.evals < o.maxEvals) {
    iters++
    // Newton is tried at once too: a nudged phase starts next to its minimum, where it converges at once
    if ((res < newtonTol || (iters === 1 && newtonTol > 0)) && wait-- <= 0) {
      const r = newtonStep(sys, x, f, res, ws, counts)
      if (r >= 0) { res = r; backoff = 4; continue }
      // not yet in the quadratic basin (or near a saddle): inertial descent for a while longer
      wait = backoff
      backoff = Math.min(backoff * 2, 64)
    }
    let p = 0, vv = 0, ff = 0
    for (let i = 0; i < n; i++) { p += f[i] * v[i]; vv += v[i] * v[i]; ff += f[i] * f[i] }
    if (p > 0) {
      const mix = alpha * Math.sqrt(vv / ff)
      for (let i = 0; i < n; i++) v[i] = (1 - alpha) * v[i] + mix * f[i]
      if (++npos > N_MIN) { dt = Math.min(dt * F_INC, dtMax); alpha *= F_ALPHA }
    } else {
      npos = 0
      dt *= F_DEC
      alpha = ALPHA0
      for (let i = 0; i < n; i++) { x[i] -= 0.5 * dt * v[i]; v[i] = 0 }
    }
    for (let i = 0; i < n; i++) {
      v[i] += dt * f[i]
      x[i] += dt * v[i]
    }
    counts.evals++
    res = sys.force(x, f)
    if (res === Infinity) break // ran into a singularity of the nudge: unsettled, not an endless loop
  }
  return { settled: res < o.tol, residual: res, forceEvals: counts.evals, hessianEvals: counts.hevals, steps: iters }
}
