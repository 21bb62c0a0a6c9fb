// The gradient flow dx/dt = force(x) integrated by a linearly implicit (Rosenbrock) method: the
// Shampine-Reichelt 2(3) pair behind MATLAB's ode23s, with the Hessian the models provide as the
// Jacobian (J = -H). An explicit method on a stiff lattice is held to steps of ~1/lambda_max by
// stability for the whole flow time ~1/lambda_min; this one takes steps set by accuracy alone, so it
// follows the same trajectory (and ends in the same minimum) at a fraction of the force evaluations.
// Its stability function vanishes at infinity, so once the flow has settled and the steps grow
// large a step is a Newton step: no separate polish is needed.
import { shiftedSolver } from './linear.ts'
import { relaxRk45 } from './rk45.ts'
import type { RelaxSystem, SolveOptions, SolveStats } from './system.ts'
import type { RelaxWorkspace } from './workspace.ts'

const D = 1 / (2 + Math.SQRT2)
const E32 = 6 + Math.SQRT2
/** Newton steps from the start are taken while each moves every node by at most this (rad). */
export const NEWTON_START_RADIUS = 0.3

/**
 * Integrates the gradient flow of sys from x (in place) until max|force| < o.tol or a budget ends,
 * with a local error per step of at most o.implicitTol (rad, RMS over free nodes). One Hessian and two
 * force evaluations per step. Systems without a Hessian fall back to relaxRk45.
 */
export function relaxImplicitFlow(sys: RelaxSystem, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace): SolveStats {
  if (!sys.hessian) return relaxRk45(sys, x, o, ws)
  // An escape (a frozen torque slipping an output) is an event on the accepted trajectory: a trial
  // step that crosses it is not an error. Rejected as one, every step towards the crossing would be
  // cut short and the flow would creep up to it in ever smaller steps until h underflowed.
  const watch = sys.escaped !== undefined && sys.escapeInForce === true
  if (!watch) return implicitFlow(sys, x, o, ws, false)
  sys.escapeInForce = false
  try { return implicitFlow(sys, x, o, ws, true) } finally { sys.escapeInForce = true }
}

function implicitFlow(sys: RelaxSystem, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace, watch: boolean): SolveStats {
  const n = sys.n, free = sys.free
  const [F0, F1, F2, k1, k2, k3] = ws.k
  const y = ws.y
  const counts = { evals: 1, hevals: 0 }
  let res = sys.force(x, F0)
  if (!(res >= o.tol)) return { settled: res < o.tol, residual: res, forceEvals: 1, hessianEvals: 0, steps: 0 }
  const lin = shiftedSolver((ws.linear ??= {}), ws.H, sys, x, o.linear, counts)
  const tol = o.implicitTol
  let t = 0
  let h = Math.min(0.5 / Math.sqrt(sys.stiffness()), 1)
  let loaded = false
  let hAcc = 0, errAcc = 0, rejectedLast = false
  // A nudged phase starts next to its minimum, in a region where H is positive definite: there the
  // flow and Newton's method end in the same minimum, and Newton gets there in a few steps where
  // the flow would first have to grow its step from h0. Newton runs only while H is positive
  // definite and every step is short; otherwise the flow carries on from the last accepted point.
  while (res >= o.tol && counts.evals < o.maxEvals) {
    lin.load(sys, x)
    counts.hevals++
    loaded = true
    if (!lin.factor(0)) break
    k1.set(F0)
    if (!lin.solve(k1)) break
    let big = 0
    for (let i = 0; i < n; i++) { const a = free[i] ? Math.abs(k1[i]) : 0; if (a > big) big = a }
    if (!(big <= NEWTON_START_RADIUS)) break
    for (let i = 0; i < n; i++) y[i] = free[i] ? x[i] + k1[i] : x[i]
    const r = sys.force(y, F2)
    counts.evals++
    if (!(r < res)) break
    x.set(y)
    F0.set(F2)
    res = r
    loaded = false
    if (watch && sys.escaped!(x)) { res = Infinity; break }
  }
  while (res >= o.tol && counts.evals < o.maxEvals && t < o.tMax) {
    if (!loaded) { lin.load(sys, x); counts.hevals++; loaded = true }
    if (t + h > o.tMax) h = o.tMax - t
    const s = 1 / (h * D)
    let err = Infinity, r2 = Infinity
    // W = I + h D H = (h D)(H + s I): a failed factorisation or solve (H too indefinite for this
    // step, near a saddle) is a rejected step
    if (lin.factor(s)) {
      k1.set(F0)
      if (lin.solve(k1)) {
        for (let i = 0; i < n; i++) { k1[i] *= s; y[i] = free[i] ? x[i] + 0.5 * h * k1[i] : x[i] }
        const r1 = sys.force(y, F1)
        counts.evals++
        for (let i = 0; i < n; i++) k2[i] = F1[i] - k1[i]
        if (r1 !== Infinity && lin.solve(k2)) {
          for (let i = 0; i < n; i++) { k2[i] = s * k2[i] + k1[i]; y[i] = free[i] ? x[i] + h * k2[i] : x[i] }
          r2 = sys.force(y, F2)
          counts.evals++
          for (let i = 0; i < n; i++) k3[i] = F2[i] - E32 * (k2[i] - F1[i]) - 2 * (k1[i] - F0[i])
          if (r2 !== Infinity && lin.solve(k3)) {
            let e2 = 0, cnt = 0
            for (let i = 0; i < n; i++) {
              if (!free[i]) continue
              const e = (h / 6) * (k1[i] - 2 * k2[i] + s * k3[i])
              e2 += e * e
              cnt++
            }
            err = cnt ? Math.sqrt(e2 / cnt) / tol : 0
            if (err !== err) err = Infinity
          }
        }
      }
    }
    // order 2 with a 3rd-order error estimate: the error scales as h^3
    let fac = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * Math.pow(err, -1 / 3)))
    const errF = err > 1e-4 ? err : 1e-4
    if (err <= 1) {
      t += h
      x.set(y)
      F0.set(F2)
      res = r2
      loaded = false
      if (watch && sys.escaped!(x)) { res = Infinity; break }
      // A lattice's late flow is quiet stretches broken by vortex annihilations, where the error
      // grows far faster than h^3. The plain rule then alternates a 5x growth with a rejection;
      // Gustafsson's predictive rule (the trend of the last two accepted errors) and no growth
      // right after a rejection take those events with fewer wasted steps.
      if (hAcc > 0) fac = Math.min(fac, Math.max(0.2, 0.9 * (h / hAcc) * Math.cbrt(errAcc / (errF * errF))))
      if (rejectedLast) fac = Math.min(fac, 1)
      hAcc = h
      errAcc = errF
      rejectedLast = false
    } else rejectedLast = true
    h *= err <= 1 ? fac : Math.min(0.5, fac)
    if (h < 1e-12) break // the flow runs into a singularity: report unsettled rather than spin
  }
  return { settled: res < o.tol, residual: res, forceEvals: counts.evals, hessianEvals: counts.hevals, steps: t }
}
