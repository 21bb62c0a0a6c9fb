// EqProp gradient estimators as data: which nudged equilibria to measure and how to combine the
// local observable dE/dtheta at them. g = c0 * O(free) + sum_k c_k * O(nudge_k) estimates dC/dtheta
// (C the cost at the free equilibrium); an update is theta <- theta - lr * g.

export const ESTIMATOR_NAMES = ['one-sided', 'symmetric', 'frozen-nudge', 'richardson'] as const
export type EstimatorName = (typeof ESTIMATOR_NAMES)[number]

/** One nudged relaxation: strength beta, and whether the nudge force is frozen at the free equilibrium. */
export interface NudgeSpec { beta: number; frozen: boolean; coef: number }

export interface EstimatorPlan { name: EstimatorName; freeCoef: number; nudges: NudgeSpec[] }

/** The relaxations and weights an estimator needs at nudge strength beta. */
export function estimatorPlan(name: EstimatorName, beta: number): EstimatorPlan {
  if (!(beta > 0)) throw new RangeError(`beta must be > 0, got ${beta}`)
  switch (name) {
    case 'one-sided':
      return { name, freeCoef: -1 / beta, nudges: [{ beta, frozen: false, coef: 1 / beta }] }
    case 'frozen-nudge':
      return { name, freeCoef: -1 / beta, nudges: [{ beta, frozen: true, coef: 1 / beta }] }
    case 'symmetric':
      return { name, freeCoef: 0, nudges: [{ beta, frozen: false, coef: 0.5 / beta }, { beta: -beta, frozen: false, coef: -0.5 / beta }] }
    case 'richardson': {
      // symmetric estimates at beta and beta/2 have errors c*beta^2 and c*beta^2/4;
      // (4 g(beta/2) - g(beta)) / 3 cancels that term, leaving O(beta^4)
      const s = (b: number, w: number): NudgeSpec[] => [{ beta: b, frozen: false, coef: w * 0.5 / b }, { beta: -b, frozen: false, coef: -w * 0.5 / b }]
      return { name, freeCoef: 0, nudges: [...s(beta / 2, 4 / 3), ...s(beta, -1 / 3)] }
    }
  }
}
