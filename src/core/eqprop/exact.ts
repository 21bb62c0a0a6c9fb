// The exact gradient of the cost at a free equilibrium by implicit differentiation: the oracle the
// EqProp estimators are checked against. At a minimum, dphi*/dtheta = -H^-1 d2E/dphi dtheta, so with
// H lambda = dC/dphi, dC/dtheta = -lambda . d2E/dphi dtheta.
import { xyAddCostGrad, xyHessian, type XyNet } from '../physics/xy.ts'
import { BandMatrix, bandwidth } from '../solvers/band.ts'

export interface XyGradient { weights: Float64Array; h: Float64Array; psi: Float64Array }

/** dC/d(W, h, psi) at the free equilibrium phi (rad) for target phases tau (rad); throws if phi is not a strict minimum. */
export function xyExactGradient(net: XyNet, phi: Float64Array, tau: ArrayLike<number>): XyGradient {
  const { n, m, ei, ej, h, psi, clamped } = net
  const H = new BandMatrix(n, bandwidth(n, ei, ej, clamped))
  xyHessian(net, phi, 0, 0, null, 0, H)
  if (!H.cholesky()) throw new RangeError('the free state is not a strict minimum (Hessian not positive definite)')
  const lam = new Float64Array(n)
  xyAddCostGrad(net, phi, 0, tau, 0, 1, lam)
  for (let i = 0; i < n; i++) if (clamped[i]) lam[i] = 0
  H.solveInPlace(lam)
  const g: XyGradient = { weights: new Float64Array(m), h: new Float64Array(n), psi: new Float64Array(n) }
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k]
    // d2E/dphi_i dW = sin(phi_i - phi_j), d2E/dphi_j dW = -sin(phi_i - phi_j)
    g.weights[k] = -(lam[i] - lam[j]) * Math.sin(phi[i] - phi[j])
  }
  for (let i = 0; i < n; i++) {
    const d = phi[i] - psi[i]
    g.h[i] = -lam[i] * Math.sin(d)
    g.psi[i] = lam[i] * h[i] * Math.cos(d)
  }
  return g
}
