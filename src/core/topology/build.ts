// One entry point from a spec to a Network, so the CLI, services and tests build networks the same way.
import { tiedCount } from '../eqprop/tied.ts'
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

/** Trainable parameter counts: coupling values (one per coupling, or one per tied parameter), h and psi (2 per node with a bias field), and their sum. */
export function countParameters(net: Network): { couplings: number; couplingParameters: number; biasParameters: number; parameters: number } {
  const couplingParameters = net.tied ? tiedCount(net.tied) : net.edges.length
  const biasParameters = net.bias ? 2 * net.nodes : 0
  return { couplings: net.edges.length, couplingParameters, biasParameters, parameters: couplingParameters + biasParameters }
}

/**
 * Sizes for display: node, coupling, input and output counts, and trainable parameters (one per
 * coupling or per tied parameter, plus h and psi per node when the network has a bias field, as the
 * trainer counts them).
 */
export function describeNetwork(net: Network): { nodes: number; couplings: number; inputs: number; outputs: number; parameters: number } {
  return { nodes: net.nodes, couplings: net.edges.length, inputs: net.inputs.length, outputs: net.outputs.length, parameters: countParameters(net).parameters }
}
