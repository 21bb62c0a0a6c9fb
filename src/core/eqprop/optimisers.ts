// Optimisers over one flat parameter vector; their state is plain arrays so checkpoints can store it.
import { z } from 'zod'

export const Optimiser = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('sgd') }),
  /** heavy ball as in the reference code: v <- g + mu v, theta <- theta - lr v */
  z.strictObject({ kind: z.literal('momentum'), mu: z.number().min(0).max(1).default(0.9) }),
  z.strictObject({ kind: z.literal('adam'), beta1: z.number().min(0).max(1).default(0.9), beta2: z.number().min(0).max(1).default(0.999), eps: z.number().positive().default(1e-8) }),
])
export type Optimiser = z.infer<typeof Optimiser>

export interface OptimiserState { t: number; m: number[]; v: number[] }

/** Fresh optimiser state for p parameters. */
export function initOptimiserState(p: number): OptimiserState {
  return { t: 0, m: new Array<number>(p).fill(0), v: new Array<number>(p).fill(0) }
}

/** Writes the parameter change (to add) for gradient g at learning rate lr into delta; updates state. */
export function optimiserDelta(opt: Optimiser, st: OptimiserState, g: Float64Array, lr: number, delta: Float64Array): Float64Array {
  const p = g.length
  st.t++
  switch (opt.kind) {
    case 'sgd':
      for (let i = 0; i < p; i++) delta[i] = -lr * g[i]
      break
    case 'momentum':
      for (let i = 0; i < p; i++) { st.m[i] = g[i] + opt.mu * st.m[i]; delta[i] = -lr * st.m[i] }
      break
    case 'adam': {
      const c1 = 1 - Math.pow(opt.beta1, st.t), c2 = 1 - Math.pow(opt.beta2, st.t)
      for (let i = 0; i < p; i++) {
        st.m[i] = opt.beta1 * st.m[i] + (1 - opt.beta1) * g[i]
        st.v[i] = opt.beta2 * st.v[i] + (1 - opt.beta2) * g[i] * g[i]
        delta[i] = -lr * (st.m[i] / c1) / (Math.sqrt(st.v[i] / c2) + opt.eps)
      }
      break
    }
  }
  return delta
}
