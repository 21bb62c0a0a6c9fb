// Output duplication for binary (Ising) networks: a single +-1 output cannot move smoothly under a
// nudge, so each class gets k spins read out by their mean (Laydevant et al. 2024 use k = 4).
import type { Network } from '../network/network.ts'
import { Rng } from '../rng/rng.ts'

/**
 * The network with k spins per output: k - 1 new nodes per output (appended after the existing ones),
 * each coupled to the same neighbours as its output with the output's weights times U(0.5, 1.5) from
 * Rng(seed) (so the copies differ), h copied; listed in `replicas`. k = 1 returns the network unchanged.
 */
export function replicateOutputs(net: Network, k: number, seed: number): Network {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`copies: ${k} is not a whole number >= 1`)
  if (k === 1) return net
  if (net.replicas) throw new RangeError('copies: the network already has output replicas')
  if (net.tied) throw new RangeError('copies: tied couplings cannot be replicated yet')
  const rng = new Rng(seed)
  const edges = net.edges.map(([i, j]) => [i, j] as [number, number]), weights = [...net.weights]
  const h = net.bias ? [...net.bias.h] : null, psi = net.bias ? [...net.bias.psi] : null
  let next = net.nodes
  const replicas = net.outputs.map((o) => {
    const group: number[] = []
    for (let r = 1; r < k; r++) {
      const c = next++
      group.push(c)
      net.edges.forEach(([i, j], e) => {
        if (i !== o && j !== o) return
        edges.push([i === o ? c : i, j === o ? c : j])
        weights.push(net.weights[e] * rng.uniform(0.5, 1.5))
      })
      if (h && psi) { h.push(h[o]); psi.push(psi[o]) }
    }
    return group
  })
  const { layout: _l, ...rest } = net
  return { ...rest, nodes: next, edges, weights, replicas, ...(h && psi ? { bias: { h, psi } } : {}) }
}
