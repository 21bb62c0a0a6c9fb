// Dormand-Prince 5(4) with PI-free step control: the physical reference (overdamped gradient flow
// dx/dt = force(x)), as the published XY work integrates it; stops when the force is below tol.
import { newtonStep } from './newton.ts'
import type { RelaxSystem, SolveOptions, SolveStats } from './system.ts'
import type { RelaxWorkspace } from './workspace.ts'

const A21 = 1 / 5
const A31 = 3 / 40, A32 = 9 / 40
const A41 = 44 / 45, A42 = -56 / 15, A43 = 32 / 9
const A51 = 19372 / 6561, A52 = -25360 / 2187, A53 = 64448 / 6561, A54 = -212 / 729
const A61 = 9017 / 3168, A62 = -355 / 33, A63 = 46732 / 5247, A64 = 49 / 176, A65 = -5103 / 18656
const B1 = 35 / 384, B3 = 500 / 1113, B4 = 125 / 192, B5 = -2187 / 6784, B6 = 11 / 84
// error weights: 5th-order minus embedded 4th-order solution
const E1 = 71 / 57600, E3 = -71 / 16695, E4 = 71 / 1920, E5 = -17253 / 339200, E6 = 22 / 525, E7 = -1 / 40

/**
 * Integrates the gradient flow of sys from x (in place) until max|force| < tol or a budget ends.
 * With `newton`, the flow only has to find the basin: once max|force| < o.newtonTol it is polished
 * by Newton steps (rtol/atol are then loosened to o.flowRtol), so the same minimum is reached in far
 * fewer force evaluations.
 */
export function relaxRk45(sys: RelaxSystem, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace, newton = false): SolveStats {
  const n = sys.n, free = sys.free
  const [k1, k2, k3, k4, k5, k6, k7] = ws.k
  const y = ws.y
  const counts = { evals: 1, hevals: 0 }
  const newtonTol = newton && sys.hessian ? o.newtonTol : -1
  // after a failed Newton attempt (saddle, or not yet quadratic) flow on for a while, longer each time
  let wait = 0, backoff = 4
  const rtol = newton ? o.flowRtol : o.rtol, atol = newton ? o.flowRtol * 1e-2 : o.atol
  let res = sys.force(x, k1)
  let t = 0
  let h = Math.min(0.5 / Math.sqrt(sys.stiffness()), 1)
  let first = newtonTol > 0
  while (res >= o.tol && counts.evals < o.maxEvals && t < o.tMax) {
    // Newton is tried at once too: a nudged phase starts next to its minimum, where it converges at once
    if ((res < newtonTol || first) && wait-- <= 0) {
      first = false
      const r = newtonStep(sys, x, k1, res, ws, counts)
      if (r >= 0) { res = r; backoff = 4; continue }
      wait = backoff
      backoff = Math.min(backoff * 2, 64)
    }
    if (t + h > o.tMax) h = o.tMax - t
    for (let i = 0; i < n; i++) y[i] = x[i] + h * A21 * k1[i]
    sys.force(y, k2)
    for (let i = 0; i < n; i++) y[i] = x[i] + h * (A31 * k1[i] + A32 * k2[i])
    sys.force(y, k3)
    for (let i = 0; i < n; i++) y[i] = x[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i])
    sys.force(y, k4)
    for (let i = 0; i < n; i++) y[i] = x[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i])
    sys.force(y, k5)
    for (let i = 0; i < n; i++) y[i] = x[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i])
    sys.force(y, k6)
    for (let i = 0; i < n; i++) y[i] = x[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i])
    const resNew = sys.force(y, k7)
    counts.evals += 6
    let err = 0, cnt = 0
    for (let i = 0; i < n; i++) {
      if (!free[i]) continue
      const e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i])
      const sc = atol + rtol * Math.max(Math.abs(x[i]), Math.abs(y[i]))
      err += (e / sc) * (e / sc)
      cnt++
    }
    err = cnt ? Math.sqrt(err / cnt) : 0
    // a stage that left the domain (a log-cos nudge at the antipode gives NaN) counts as a huge error
    if (err !== err) err = Infinity
    if (err <= 1) {
      t += h
      x.set(y)
      k1.set(k7) // first-same-as-last
      res = resNew
      if (res === Infinity) break // reached a singularity of the nudge: unsettled
    }
    const fac = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * Math.pow(err, -0.2)))
    h *= err <= 1 ? fac : Math.min(1, fac)
    if (h < 1e-12) break // the flow runs into a singularity: report unsettled rather than spin
  }
  return { settled: res < o.tol, residual: res, forceEvals: counts.evals, hessianEvals: counts.hevals, steps: t }
}
