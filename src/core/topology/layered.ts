// Dense couplings between consecutive layers only, no intra-layer or skip couplings (facts §4.2).
import type { Network } from '../network/network.ts'
import { Rng } from '../rng/rng.ts'
import { checkIo, drawBias, type IoCounts, type LayeredSpec } from './spec.ts'

/** Layered network; node ids run layer by layer, inputs = layer 0, outputs = last layer. */
export function layered(spec: LayeredSpec, io: IoCounts, seed: number): Network {
  checkIo(io)
  const mean = spec.weightMean ?? 0
  const sizes = spec.sizes
  const last = sizes.length - 1
  if (sizes[0] !== io.inputs) throw new RangeError(`sizes.0: ${sizes[0]} does not match the task's ${io.inputs} inputs`)
  if (sizes[last] !== io.outputs) {
    throw new RangeError(`sizes.${last}: ${sizes[last]} does not match the task's ${io.outputs} outputs`)
  }
  const rng = new Rng(seed)
  const edges: [number, number][] = []
  const weights: number[] = []
  let off = 0
  for (let l = 0; l < last; l++) {
    const a = sizes[l], b = sizes[l + 1], next = off + a
    // Glorot-like per block, as the later reference code does
    const std = spec.weightStd ?? 1 / Math.sqrt(a + b)
    for (let i = 0; i < a; i++) {
      for (let j = 0; j < b; j++) {
        edges.push([off + i, next + j])
        weights.push(mean + std * rng.normal())
      }
    }
    off = next
  }
  const nodes = off + sizes[last]
  const net: Network = {
    model: 'xy',
    nodes,
    edges,
    weights,
    inputs: Array.from({ length: sizes[0] }, (_, k) => k),
    outputs: Array.from({ length: sizes[last] }, (_, k) => off + k),
  }
  const bias = drawBias(spec.bias, nodes, rng, spec.biasMax)
  if (bias) net.bias = bias
  return net
}
