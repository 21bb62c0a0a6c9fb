// One entry point from a spec to a Network, so the CLI, services and tests build networks the same way.
import type { Network } from '../network/network.ts'
import { allToAll } from './all-to-all.ts'
import { lattice } from './lattice.ts'
import { layered } from './layered.ts'
import { lcl } from './lcl.ts'
import { stacked } from './stacked.ts'
import { parseBuilderSpec, type BuilderSpecInput, type IoCounts } from './spec.ts'

/** Builds the network a spec describes; weights ~ N(0, std^2) from Rng(seed); throws RangeError naming the field. */
export function buildNetwork(spec: BuilderSpecInput, io: IoCounts, seed: number): Network {
  const s = parseBuilderSpec(spec)
  switch (s.kind) {
    case 'all-to-all': return allToAll(s, io, seed)
    case 'layered': return layered(s, io, seed)
    case 'lattice': return lattice(s, io, seed)
    case 'stacked': return stacked(s, io, seed)
    case 'lcl': return lcl(s, io, seed)
  }
}

/** Number of couplings (undirected edges). */
export function countCouplings(net: Network): number {
  return net.edges.length
}

/**
 * Sizes for display: node, coupling, input and output counts, and trainable parameters (one per
 * coupling, plus h and psi per node when the network has a bias field, as the trainer counts them).
 */
export function describeNetwork(net: Network): { nodes: number; couplings: number; inputs: number; outputs: number; parameters: number } {
  const parameters = net.edges.length + (net.bias ? 2 * net.nodes : 0)
  return { nodes: net.nodes, couplings: net.edges.length, inputs: net.inputs.length, outputs: net.outputs.length, parameters }
}
