// Square lattice with open boundaries, optional diagonals and skip bonds (facts §4.3, §4.4).
import type { Network } from '../network/network.ts'
import { Rng } from '../rng/rng.ts'
import { checkIo, drawBias, type IoCounts, type LatticeSpec } from './spec.ts'

type Site = [number, number]

/** Bond offsets (dr, dc) per direction family; each family gets its own default std, as in EPFlat. */
function families(spec: LatticeSpec): Site[] {
  const f: Site[] = [[0, 1], [1, 0]]
  if (spec.neighbours === 8) f.push([1, 1], [1, -1])
  for (const s of spec.skips) f.push([0, s], [s, 0])
  return f
}

function checkSkips(spec: LatticeSpec): void {
  const seen = new Set<number>()
  spec.skips.forEach((s, k) => {
    if (seen.has(s)) throw new RangeError(`skips.${k}: ${s} listed twice`)
    seen.add(s)
    if (s >= spec.rows && s >= spec.cols) {
      throw new RangeError(`skips.${k}: ${s} adds no bonds on a ${spec.rows}x${spec.cols} grid`)
    }
  })
}

/** The paper convention: inputs on row 0 from the left, outputs on the last row at the right. */
function defaultSites(spec: LatticeSpec, io: IoCounts): { ins: Site[]; outs: Site[] } {
  const { rows, cols } = spec
  if (!spec.inputSites && io.inputs > cols) {
    throw new RangeError(`cols: ${cols} columns cannot hold the ${io.inputs} default input sites on row 0; give inputSites`)
  }
  if (!spec.outputSites && io.outputs > cols) {
    throw new RangeError(`cols: ${cols} columns cannot hold the ${io.outputs} default output sites on the last row; give outputSites`)
  }
  const ins = spec.inputSites ?? Array.from({ length: io.inputs }, (_, k): Site => [0, k])
  const outs = spec.outputSites ?? Array.from({ length: io.outputs }, (_, k): Site => [rows - 1, cols - io.outputs + k])
  return { ins, outs }
}

function siteIds(field: string, given: boolean, sites: Site[], want: number, spec: LatticeSpec, taken: Set<number>): number[] {
  const { rows, cols } = spec
  const what = field === 'inputSites' ? 'inputs' : 'outputs'
  if (sites.length !== want) throw new RangeError(`${field}: ${sites.length} sites given but the task has ${want} ${what}`)
  const ids: number[] = []
  const mine = new Set<number>()
  sites.forEach(([r, c], k) => {
    const at = given ? `${field}.${k}` : `${field} (default)`
    if (r >= rows || c >= cols) throw new RangeError(`${at}: (${r},${c}) is outside the ${rows}x${cols} grid`)
    const id = r * cols + c
    if (mine.has(id)) throw new RangeError(`${at}: (${r},${c}) listed twice`)
    if (taken.has(id)) throw new RangeError(`${at}: (${r},${c}) is also an input site`)
    mine.add(id)
    ids.push(id)
  })
  return ids
}

/** Lattice network; node id = r*cols + c, sites given as (row, col), weights dimensionless. */
export function lattice(spec: LatticeSpec, io: IoCounts, seed: number): Network {
  checkIo(io)
  const mean = spec.weightMean ?? 0
  checkSkips(spec)
  const { rows, cols } = spec
  const nodes = rows * cols
  const { ins, outs } = defaultSites(spec, io)
  const inputs = siteIds('inputSites', !!spec.inputSites, ins, io.inputs, spec, new Set())
  const outputs = siteIds('outputSites', !!spec.outputSites, outs, io.outputs, spec, new Set(inputs))
  const rng = new Rng(seed)
  const edges: [number, number][] = []
  const weights: number[] = []
  for (const [dr, dc] of families(spec)) {
    const c0 = Math.max(0, -dc), c1 = Math.min(cols, cols - dc)
    const count = Math.max(0, rows - dr) * Math.max(0, c1 - c0)
    if (count === 0) continue
    const std = spec.weightStd ?? 1 / Math.sqrt(count)
    for (let r = 0; r + dr < rows; r++) {
      for (let c = c0; c < c1; c++) {
        edges.push([r * cols + c, (r + dr) * cols + c + dc])
        weights.push(mean + std * rng.normal())
      }
    }
  }
  const net: Network = { model: 'xy', nodes, edges, weights, inputs, outputs, layout: { kind: 'grid', rows, cols } }
  const bias = drawBias(spec.bias, nodes, rng, spec.biasMax)
  if (bias) net.bias = bias
  return net
}
