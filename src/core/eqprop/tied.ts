// Tied parameters (CNN-like layers: one kernel value shared by many bonds). The energy depends on a
// tied value theta_p through every edge k with tied[k] = p, so by the chain rule
// dE/dtheta_p = sum over those edges of dE/dW_k, and the same holds for any gradient or EqProp estimate.

/** Number of distinct tied parameters: 1 + the largest index (indices should be dense from 0). */
export function tiedCount(tied: ArrayLike<number>): number {
  let p = -1
  for (let k = 0; k < tied.length; k++) if (tied[k] > p) p = tied[k]
  return p + 1
}

/** Sums per-edge gradients into their tied parameters: out[p] = sum_{k: tied[k] = p} edgeGrad[k]; writes out[0..P). */
export function sumTiedGradient(tied: ArrayLike<number>, edgeGrad: ArrayLike<number>, out: Float64Array): Float64Array {
  if (tied.length !== edgeGrad.length) throw new RangeError(`edgeGrad: ${edgeGrad.length} entries for ${tied.length} tied edges`)
  out.fill(0)
  for (let k = 0, m = tied.length; k < m; k++) {
    const p = tied[k]
    if (p >= out.length) throw new RangeError(`tied.${k}: parameter ${p} >= out.length ${out.length}`)
    out[p] += edgeGrad[k]
  }
  return out
}

/** Writes each edge's weight from its tied parameter: weights[k] = theta[tied[k]]. */
export function expandTied(tied: ArrayLike<number>, theta: ArrayLike<number>, weights: Float64Array): Float64Array {
  for (let k = 0, m = tied.length; k < m; k++) weights[k] = theta[tied[k]]
  return weights
}
