// One entry point from a spec to a Network, so the CLI, services and tests build networks the same way.
import type { Network } from '../network/network.ts'
import { allToAll } from './all-to-all.ts'
import { lattice } from './lattice.ts'
import { layered } from './layered.ts'
import { parseBuilderSpec, type BuilderSpecInput, type IoCounts } from './spec.ts'

/** Builds the network a spec describes; weights ~ N(0, std^2) from Rng(seed); throws RangeError naming the field. */
export function buildNetwork(spec: BuilderSpecInput, io: IoCounts, seed: number): Network {
  const s = parseBuilderSpec(spec)
  switch (s.kind) {
    case 'all-to-all': return allToAll(s, io, seed)
    case 'layered': return layered(s, io, seed)
    case 'lattice': return lattice(s, io, seed)
  }
}

/** Number of couplings (undirected edges). */
export function countCouplings(net: Network): number {
  return net.edges.length
}

/** Sizes for display: node, coupling, input and output counts. */
export function describeNetwork(net: Network): { nodes: number; couplings: number; inputs: number; outputs: number } {
  return { nodes: net.nodes, couplings: net.edges.length, inputs: net.inputs.length, outputs: net.outputs.length }
}
