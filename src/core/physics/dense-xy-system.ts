// The landscape of one sample on a DenseXyPlan: the compact free-node network (clamped inputs folded
// into fields) plus its free-free dense blocks. Same force, energy (up to a constant) and Hessian
// as XySystem on the full network, over the free nodes only.
import type { HessianSink } from '../solvers/band.ts'
import { addStepBlockGrad, stepBlockEnergy, type DenseXyPlan } from './dense-xy.ts'
import { XySystem } from './xy-system.ts'
import type { FreeBlock } from './xy-elimination.ts'

/** XySystem over plan.compact; call plan.setSample(b) before relaxing sample b. */
export class DenseXySystem extends XySystem {
  private readonly g: Float64Array

  constructor(readonly plan: DenseXyPlan) {
    super(plan.compact)
    // XySystem's bandwidth sees only the residual edge list; the dense blocks couple further apart
    ;(this as { bandwidth: number }).bandwidth = plan.bandwidth
    this.g = new Float64Array(plan.compact.n)
  }

  override force(x: Float64Array, f: Float64Array): number {
    const r = super.force(x, f)
    const plan = this.plan
    if (plan.stepBlocks.length === 0 || r === Infinity) return r
    // super.force left cos/sin of x in compact.cs/sn; every compact node is free
    const g = this.g, c = plan.compact
    g.fill(0)
    addStepBlockGrad(plan, c.cs, c.sn, g)
    let mx = 0
    for (let i = 0, n = this.n; i < n; i++) {
      const v = f[i] - g[i]
      f[i] = v
      const a = v < 0 ? -v : v
      if (a > mx) mx = a
    }
    return mx === mx ? mx : Infinity
  }

  override energy(x: Float64Array): number {
    const e = super.energy(x) // fills compact.cs/sn
    return e + stepBlockEnergy(this.plan, this.plan.compact.cs, this.plan.compact.sn)
  }

  /** The full network's Gershgorin bound, so step sizes match the typed-array path. */
  override stiffness(): number {
    const rb = this.plan.rowBound
    let mx = 0
    for (let i = 0; i < rb.length; i++) if (rb[i] > mx) mx = rb[i]
    return Math.max(mx + Math.abs(this.beta), 1e-3)
  }

  protected override freeBlocks(): readonly FreeBlock[] { return this.plan.stepBlocks }

  override hessian(x: Float64Array, H: HessianSink): void {
    super.hessian(x, H) // fills compact.cs/sn
    const { cs, sn } = this.plan.compact
    for (const s of this.plan.stepBlocks) {
      const { a, b } = s.blk, aL = s.aL, bL = s.bL, W = s.W
      for (let i = 0; i < a; i++) {
        const ci = cs[aL + i], si = sn[aL + i], wo = i * b
        for (let j = 0; j < b; j++) {
          const v = W[wo + j] * (ci * cs[bL + j] + si * sn[bL + j])
          H.add(aL + i, aL + i, v)
          H.add(bL + j, bL + j, v)
          H.add(aL + i, bL + j, -v)
        }
      }
    }
  }
}
