// The landscape one sample relaxes in: internal XY energy plus the nudge of the current phase.
import { bandwidth, type HessianSink } from '../solvers/band.ts'
import type { Elimination } from '../solvers/eliminate.ts'
import type { RelaxSystem } from '../solvers/system.ts'
import { xyBipartiteSplit, XyElimination, type FreeBlock } from './xy-elimination.ts'
import { xyAddCostGrad, xyCost, xyEnergy, xyEnergyGrad, xyHessian, type XyNet } from './xy.ts'

/** cos of the output-target angle below which the log-cos nudge counts as singular (|d| > pi - 1e-3) */
const ANTIPODE = -Math.cos(1e-3)

/**
 * Total energy F = E + beta*C(outputs, tau) - f_ext . phi for one sample. The caller points
 * `tau`/`tauOff` (target phases) or `ext`/`extOff` (a frozen nudge force) at the sample's rows.
 */
export class XySystem implements RelaxSystem {
  readonly n: number
  readonly free: Uint8Array
  readonly bandwidth: number
  beta = 0
  tau: Float64Array | null = null
  tauOff = 0
  ext: Float64Array | null = null
  extOff = 0
  escapeInForce = true
  /** output phases at the start of a frozen-torque relaxation (see markSlipReference) */
  private readonly slipRef: Float64Array
  private readonly row: Float64Array
  /** the 'eliminate' split, made on first use (null: none, see eliminationReason) */
  private elim: XyElimination | null | undefined = undefined
  /** why the network has no elimination ('' when it has one or none was asked for yet) */
  eliminationReason = ''

  constructor(readonly net: XyNet) {
    this.n = net.n
    this.free = new Uint8Array(net.n)
    for (let i = 0; i < net.n; i++) this.free[i] = net.clamped[i] ? 0 : 1
    this.bandwidth = bandwidth(net.n, net.ei, net.ej, net.clamped)
    this.row = new Float64Array(net.n)
    this.slipRef = new Float64Array(net.outputs.length)
  }

  /**
   * Remembers the output phases of the state a frozen-torque relaxation starts from. A constant
   * torque beyond an oscillator's locking range makes it slip forever; once an output has turned by
   * more than pi there is no equilibrium to find, and force() reports that as Infinity.
   */
  markSlipReference(x: Float64Array): void {
    const o = this.net.outputs
    for (let k = 0; k < o.length; k++) this.slipRef[k] = x[o[k]]
  }

  /** Clears any nudge (free phase). */
  setFree(): this { this.beta = 0; this.tau = null; this.ext = null; return this }

  force(x: Float64Array, f: Float64Array): number {
    const net = this.net
    if (net.kernel && !(this.beta !== 0 && this.tau) && !(this.escapeInForce && this.escaped(x))) {
      // the whole evaluation in one call into the wasm kernel, bit for bit the loop below
      const mx = net.kernel.force(x, 0, f, net.hasBias, this.ext, this.extOff)
      return mx === mx ? mx : Infinity
    }
    xyEnergyGrad(net, x, 0, f)
    if (this.beta !== 0 && this.tau) {
      // an output at the antipode of its target sits on the log-cos singularity: no equilibrium there
      const { outputs } = net, tau = this.tau, to = this.tauOff
      for (let k = 0; k < outputs.length; k++) if (Math.cos(x[outputs[k]] - tau[to + k]) < ANTIPODE) return Infinity
      xyAddCostGrad(net, x, 0, tau, to, this.beta, f)
    }
    const ext = this.ext, eo = this.extOff, free = this.free
    if (ext !== null && this.escapeInForce) {
      const o = net.outputs
      for (let k = 0; k < o.length; k++) { const d = x[o[k]] - this.slipRef[k]; if (d > Math.PI || d < -Math.PI) return Infinity }
    }
    let mx = 0
    for (let i = 0, n = this.n; i < n; i++) {
      let v = free[i] ? -f[i] : 0
      if (ext !== null && free[i]) v += ext[eo + i]
      f[i] = v
      const a = v < 0 ? -v : v
      if (a > mx) mx = a
    }
    // NaN (a nudge at the antipode) must not look settled
    return mx === mx ? mx : Infinity
  }

  /** True when a frozen-torque relaxation has turned some output by more than pi (see markSlipReference). */
  escaped(x: Float64Array): boolean {
    if (this.ext === null) return false
    const o = this.net.outputs
    for (let k = 0; k < o.length; k++) { const d = x[o[k]] - this.slipRef[k]; if (d > Math.PI || d < -Math.PI) return true }
    return false
  }

  energy(x: Float64Array): number {
    let e = xyEnergy(this.net, x, 0)
    if (this.beta !== 0 && this.tau) e += this.beta * xyCost(this.net, x, 0, this.tau, this.tauOff)
    if (this.ext) for (let i = 0; i < this.n; i++) e -= this.ext[this.extOff + i] * x[i]
    return e
  }

  stiffness(): number {
    // Gershgorin bound on the Hessian of E, plus the nudge curvature near its minimum
    const { n, m, ei, ej, w, h } = this.net
    const row = this.row
    row.fill(0)
    for (let k = 0; k < m; k++) { const a = Math.abs(w[k]); row[ei[k]] += a; row[ej[k]] += a }
    let mx = 0
    for (let i = 0; i < n; i++) if (this.free[i]) mx = Math.max(mx, 2 * row[i] + Math.abs(h[i]))
    return Math.max(mx + Math.abs(this.beta), 1e-3)
  }

  /** The bipartite split of the free nodes with the XY single-node minimiser, or null (eliminationReason says why). */
  elimination(): Elimination | null {
    if (this.elim === undefined) {
      const split = xyBipartiteSplit(this.net, this.freeBlocks())
      this.elim = typeof split === 'string' ? null : new XyElimination(this.net, this.freeBlocks(), split, this)
      this.eliminationReason = typeof split === 'string' ? split : ''
    }
    return this.elim
  }

  /** Free-free dense couplings held outside the edge list (none here). */
  protected freeBlocks(): readonly FreeBlock[] { return [] }

  hessian(x: Float64Array, H: HessianSink): void {
    xyHessian(this.net, x, 0, this.tau ? this.beta : 0, this.tau, this.tauOff, H)
  }
}
