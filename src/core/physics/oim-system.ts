// The landscape one OIM sample relaxes in: internal energy plus the MSE-on-cos nudge of the phase.
import { bandwidth, type HessianSink } from '../solvers/band.ts'
import type { Elimination } from '../solvers/eliminate.ts'
import type { RelaxSystem } from '../solvers/system.ts'
import { oimBipartiteSplit, OimElimination } from './oim-elimination.ts'
import { oimAddCostGrad, oimCost, oimEnergy, oimEnergyGrad, oimHessian, type OimNet } from './oim.ts'

/** Total energy F = E + beta*C(outputs, y) - f_ext . phi; point y/yOff or ext/extOff at the sample's rows. */
export class OimSystem implements RelaxSystem {
  readonly n: number
  readonly free: Uint8Array
  readonly bandwidth: number
  beta = 0
  y: Float64Array | null = null
  yOff = 0
  ext: Float64Array | null = null
  extOff = 0
  private readonly row: Float64Array
  /** the 'eliminate' split, made on first use (null: none, see eliminationReason) */
  private elim: OimElimination | null | undefined = undefined
  /** why the network has no elimination ('' when it has one or none was asked for yet) */
  eliminationReason = ''

  constructor(readonly net: OimNet) {
    this.n = net.n
    this.free = new Uint8Array(net.n)
    for (let i = 0; i < net.n; i++) this.free[i] = net.clamped[i] ? 0 : 1
    this.bandwidth = bandwidth(net.n, net.ei, net.ej, net.clamped)
    this.row = new Float64Array(net.n)
  }

  setFree(): this { this.beta = 0; this.y = null; this.ext = null; return this }

  force(x: Float64Array, f: Float64Array): number {
    oimEnergyGrad(this.net, x, 0, f)
    if (this.beta !== 0 && this.y) oimAddCostGrad(this.net, x, 0, this.y, this.yOff, this.beta, f)
    const ext = this.ext, eo = this.extOff, free = this.free
    let mx = 0
    for (let i = 0, n = this.n; i < n; i++) {
      let v = free[i] ? -f[i] : 0
      if (ext !== null && free[i]) v += ext[eo + i]
      f[i] = v
      const a = v < 0 ? -v : v
      if (a > mx) mx = a
    }
    return mx === mx ? mx : Infinity
  }

  energy(x: Float64Array): number {
    let e = oimEnergy(this.net, x, 0)
    if (this.beta !== 0 && this.y) e += this.beta * oimCost(this.net, x, 0, this.y, this.yOff)
    if (this.ext) for (let i = 0; i < this.n; i++) if (this.free[i]) e -= this.ext[this.extOff + i] * x[i]
    return e
  }

  stiffness(): number {
    // Gershgorin bound: couplings (inputs enter with |x| <= 1), h, 2|S|, and the nudge curvature (<= 2 beta)
    const { n, m, ei, ej, w, h, s } = this.net
    const row = this.row
    row.fill(0)
    for (let k = 0; k < m; k++) { const a = Math.abs(w[k]); row[ei[k]] += a; row[ej[k]] += a }
    let mx = 0
    for (let i = 0; i < n; i++) if (this.free[i]) mx = Math.max(mx, 2 * row[i] + Math.abs(h[i]) + 2 * Math.abs(s[i]))
    return Math.max(mx + 2 * Math.abs(this.beta), 1e-3)
  }

  /** The bipartite split of the free nodes with the OIM single-node minimiser, or null (eliminationReason says why). */
  elimination(): Elimination | null {
    if (this.elim === undefined) {
      const split = oimBipartiteSplit(this.net)
      this.elim = typeof split === 'string' ? null : new OimElimination(this.net, split, this)
      this.eliminationReason = typeof split === 'string' ? split : ''
    }
    return this.elim
  }

  hessian(x: Float64Array, H: HessianSink): void {
    oimHessian(this.net, x, 0, this.y ? this.beta : 0, this.y, this.yOff, H)
  }
}
