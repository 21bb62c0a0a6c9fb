// Stacked square lattices: L layers of R x C sites, each an open-boundary lattice (0, 4 or 8
// neighbours), with local bonds from site (r, c) of layer l to (r+dr, c+dc) of layer l+1 for
// |dr|, |dc| <= radius (facts §4.5: "stacked lattices featuring local inter-layer connections";
// the paper's exact pattern is unpublished, so the radius is a free parameter).
import type { Network } from '../network/network.ts'
import { Rng } from '../rng/rng.ts'
import { checkIo, drawBias, type IoCounts, type StackedSpec } from './spec.ts'

/** In-layer bond offsets for 0, 4 or 8 neighbours. */
function inLayer(neighbours: 0 | 4 | 8): [number, number][] {
  if (neighbours === 0) return []
  return neighbours === 4 ? [[0, 1], [1, 0]] : [[0, 1], [1, 0], [1, 1], [1, -1]]
}

/**
 * Stacked lattices; node id = l*R*C + r*C + c, drawn as one (L*R) x C grid. Inputs: all of layer 0
 * when the task has R*C inputs, else the first sites of layer 0 in row-major order; outputs: the last
 * sites of the last layer. Weights ~ N(0, std^2), std = 1/sqrt(bonds in the family) by default.
 */
export function stacked(spec: StackedSpec, io: IoCounts, seed: number): Network {
  checkIo(io)
  const mean = spec.weightMean ?? 0
  const { layers: L, rows: R, cols: C, radius } = spec
  const per = R * C, nodes = L * per
  if (io.inputs > per) throw new RangeError(`rows: a ${R}x${C} layer cannot hold the task's ${io.inputs} inputs`)
  if (io.outputs > per) throw new RangeError(`rows: a ${R}x${C} layer cannot hold the task's ${io.outputs} outputs`)
  const inputs = Array.from({ length: io.inputs }, (_, k) => k)
  const outputs = Array.from({ length: io.outputs }, (_, k) => nodes - io.outputs + k)
  if (L === 1 && io.inputs + io.outputs > per) throw new RangeError(`layers: one ${R}x${C} layer cannot hold ${io.inputs} inputs and ${io.outputs} outputs apart`)
  const rng = new Rng(seed)
  const edges: [number, number][] = [], weights: number[] = []
  const add = (count: number, each: (push: (a: number, b: number) => void) => void) => {
    const std = spec.weightStd ?? 1 / Math.sqrt(Math.max(1, count))
    each((a, b) => { edges.push([a, b]); weights.push(mean + std * rng.normal()) })
  }
  for (let l = 0; l < L; l++) {
    for (const [dr, dc] of inLayer(spec.neighbours)) {
      const c0 = Math.max(0, -dc), c1 = Math.min(C, C - dc)
      add((R - dr) * (c1 - c0), (push) => {
        for (let r = 0; r + dr < R; r++) for (let c = c0; c < c1; c++) push(l * per + r * C + c, l * per + (r + dr) * C + c + dc)
      })
    }
  }
  for (let l = 0; l + 1 < L; l++) {
    let count = 0
    for (let dr = -radius; dr <= radius; dr++) for (let dc = -radius; dc <= radius; dc++) count += Math.max(0, R - Math.abs(dr)) * Math.max(0, C - Math.abs(dc))
    add(count, (push) => {
      for (let r = 0; r < R; r++) {
        for (let c = 0; c < C; c++) {
          for (let dr = -radius; dr <= radius; dr++) {
            for (let dc = -radius; dc <= radius; dc++) {
              const rr = r + dr, cc = c + dc
              if (rr >= 0 && rr < R && cc >= 0 && cc < C) push(l * per + r * C + c, (l + 1) * per + rr * C + cc)
            }
          }
        }
      }
    })
  }
  const net: Network = { model: 'xy', nodes, edges, weights, inputs, outputs, layout: { kind: 'grid', rows: L * R, cols: C } }
  const bias = drawBias(spec.bias, nodes, rng, spec.biasMax)
  if (bias) net.bias = bias
  return net
}
