// Every pair coupled: the 2402 paper's general network.
import type { Network } from '../network/network.ts'
import { Rng } from '../rng/rng.ts'
import { checkIo, drawBias, type AllToAllSpec, type IoCounts } from './spec.ts'

/** All-to-all network; inputs are nodes 0..nIn-1, outputs the last nOut; weights dimensionless. */
export function allToAll(spec: AllToAllSpec, io: IoCounts, seed: number): Network {
  checkIo(io)
  const mean = spec.weightMean ?? 0
  const n = spec.nodes
  if (io.inputs + io.outputs > n) {
    throw new RangeError(`nodes: ${n} cannot hold ${io.inputs} inputs + ${io.outputs} outputs`)
  }
  // 1/sqrt(N) keeps the local field O(1) as N grows (later code of the reference, facts §4.1)
  const std = spec.weightStd ?? 1 / Math.sqrt(n)
  const rng = new Rng(seed)
  const edges: [number, number][] = []
  const weights: number[] = []
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      edges.push([i, j])
      weights.push(mean + std * rng.normal())
    }
  }
  const net: Network = {
    model: 'xy',
    nodes: n,
    edges,
    weights,
    inputs: Array.from({ length: io.inputs }, (_, k) => k),
    outputs: Array.from({ length: io.outputs }, (_, k) => n - io.outputs + k),
  }
  const bias = drawBias(spec.bias, n, rng, spec.biasMax)
  if (bias) net.bias = bias
  return net
}
