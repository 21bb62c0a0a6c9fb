// The gradient check a user runs on their own network: the exact gradient of the cost at a free
// equilibrium (implicit differentiation) next to every EqProp estimator, all from the same state.
import { z } from 'zod'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import type { RelaxRequest } from '../../drivers/substrate.ts'
import { accumulateContrast, createContrastScratch, frozenNudgeForce } from '../core/eqprop/contrast.ts'
import { ESTIMATOR_NAMES, estimatorPlan, type EstimatorName } from '../core/eqprop/estimators.ts'
import { xyExactGradient } from '../core/eqprop/exact.ts'
import type { Network } from '../core/network/network.ts'
import { compileXy, xyCost } from '../core/physics/xy.ts'
import { EqpError } from '../errors.ts'

export const GradSample = z.strictObject({
  /** input phases (rad), one per network input */
  x: z.array(z.number().finite()),
  /** target phases (rad), one per network output */
  target: z.array(z.number().finite()),
})
export type GradSample = z.infer<typeof GradSample>

export interface Gradient { weights: number[]; h: number[]; psi: number[] }

export interface GradReport {
  free: number[]
  cost: number
  exact: Gradient
  estimators: Record<EstimatorName, Gradient>
  beta: number
  /** the random start that gave a strict minimum */
  seed: number
}

const split = (g: Float64Array, m: number, n: number): Gradient => ({
  weights: [...g.subarray(0, m)], h: [...g.subarray(m, m + n)], psi: [...g.subarray(m + n, m + 2 * n)],
})

/** Exact and estimated gradients (dC/dtheta) for one sample; relaxes to max|force| < tol. */
export async function gradCheck(network: Network, sample: GradSample, opts: { beta: number; seed: number; tol?: number }): Promise<GradReport> {
  if (sample.x.length !== network.inputs.length) throw new EqpError('EQP_ERR_BAD_INPUT', ['sample.x', `has ${sample.x.length} values, the network has ${network.inputs.length} inputs`])
  if (sample.target.length !== network.outputs.length) throw new EqpError('EQP_ERR_BAD_INPUT', ['sample.target', `has ${sample.target.length} values, the network has ${network.outputs.length} outputs`])
  if (!(opts.beta > 0)) throw new EqpError('EQP_ERR_BAD_INPUT', ['beta', `must be > 0, got ${opts.beta}`])
  const net = compileXy(network)
  const { n, m } = net
  const sub = new SimXySubstrate(network, { solver: 'flow-newton', tol: opts.tol ?? 1e-11, maxEvals: 2_000_000 })
  try {
    const inputs = Float64Array.from(sample.x), targets = Float64Array.from(sample.target)
    // a random start can end on a saddle (rare): take the first start that gives a strict minimum
    for (let attempt = 0; attempt < 20; attempt++) {
      const seed = (opts.seed + attempt) >>> 0
      const free = await sub.relax({ batch: 1, inputs, phase: 'free', start: { kind: 'random', seed } })
      let exact
      try { exact = xyExactGradient(net, free.states, targets) } catch { continue }
      const estimators = {} as Record<EstimatorName, Gradient>
      const scratch = createContrastScratch(net)
      for (const name of ESTIMATOR_NAMES) {
        const plan = estimatorPlan(name, opts.beta)
        const g = new Float64Array(m + 2 * n)
        accumulateContrast(net, free.states, 1, plan.freeCoef, true, g, scratch)
        for (const nu of plan.nudges) {
          const nudge: RelaxRequest['nudge'] = nu.frozen
            ? { kind: 'force', force: frozenNudgeForce(net, free.states, targets, 1, nu.beta) }
            : { kind: 'cost', cost: 'log-cos', beta: nu.beta, targets }
          const r = await sub.relax({ batch: 1, inputs, phase: 'nudged', nudge, start: { kind: 'given', states: free.states } })
          accumulateContrast(net, r.states, 1, nu.coef, true, g, scratch)
        }
        estimators[name] = split(g, m, n)
      }
      return {
        free: [...free.states], cost: xyCost(net, free.states, 0, targets, 0),
        exact: { weights: [...exact.weights], h: [...exact.h], psi: [...exact.psi] },
        estimators, beta: opts.beta, seed,
      }
    }
    throw new EqpError('EQP_ERR_BAD_INPUT', ['network', 'no strict minimum found from 20 random starts'])
  } finally {
    await sub.close()
  }
}

/** How close an estimate is to the exact gradient, over all parameters (couplings, h, psi) together:
 *  relative error |g - exact| / |exact| (Euclidean norms), cosine of the angle, and the largest |g - exact|. */
export function gradientAgreement(exact: Gradient, g: Gradient): { relError: number; cosine: number; maxAbsError: number } {
  const a = [...exact.weights, ...exact.h, ...exact.psi], b = [...g.weights, ...g.h, ...g.psi]
  let dd = 0, aa = 0, bb = 0, ab = 0, max = 0
  for (let i = 0; i < a.length; i++) {
    const d = b[i] - a[i]
    dd += d * d; aa += a[i] * a[i]; bb += b[i] * b[i]; ab += a[i] * b[i]
    max = Math.max(max, Math.abs(d))
  }
  return { relError: aa > 0 ? Math.sqrt(dd / aa) : Math.sqrt(dd), cosine: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : NaN, maxAbsError: max }
}
