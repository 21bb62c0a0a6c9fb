// One damped Newton step on the force: near a minimum the quadratic model is good, so the residual
// falls quadratically, independent of how soft the slowest mode is (lattices with weak bonds).
import type { RelaxSystem } from './system.ts'
import type { RelaxWorkspace } from './workspace.ts'

/**
 * Tries x <- x + t H^-1 f (t = 1, 1/2, 1/4, 1/8) and keeps the first that lowers max|force|.
 * Returns the new residual, or -1 when the Hessian is not positive definite or no step helped
 * (x and f unchanged). Uses ws.y, ws.dx, ws.k[0] and ws.H as scratch; f must hold force(x).
 */
export function newtonStep(sys: RelaxSystem, x: Float64Array, f: Float64Array, res: number, ws: RelaxWorkspace, counts: { evals: number; hevals: number }): number {
  const { y, dx, H } = ws
  const fy = ws.k[0] === f ? ws.k[1] : ws.k[0]
  const n = sys.n, free = sys.free
  sys.hessian!(x, H)
  counts.hevals++
  if (!H.cholesky()) return -1
  dx.set(f)
  H.solveInPlace(dx)
  for (let t = 1, tries = 0; tries < 4; tries++, t *= 0.5) {
    for (let i = 0; i < n; i++) y[i] = free[i] ? x[i] + t * dx[i] : x[i]
    counts.evals++
    const r = sys.force(y, fy)
    if (r < res) {
      x.set(y)
      f.set(fy)
      return r
    }
  }
  return -1
}
