// What every in-process simulator announces: the network's topology as the board's, its clampable
// nodes = the inputs, its nudgeable nodes = the outputs, and the emulated ranges.
import type { ModelName, Network } from '../../src/core/network/network.ts'
import type { Range, SubstrateInfo } from '../substrate.ts'

/** SubstrateInfo of a simulator of `model` over a validated network. */
export function simulatorInfo(model: ModelName, net: Network, o: { uid?: string; coupling: Range; bias: Range; maxBatch: number }): SubstrateInfo {
  return {
    uid: o.uid ?? `sim-${model}-${net.nodes}n-${net.edges.length}e`,
    model, firmware: `sim-${model} 0.1.0`, protocol: 'in-process',
    nodes: net.nodes, edges: net.edges.map(([i, j]) => [i, j] as [number, number]),
    clampable: [...net.inputs], nudgeable: [...net.outputs],
    ranges: { coupling: o.coupling, bias: o.bias },
    maxBatch: o.maxBatch, reports: 'states', onBoardLearning: false, hasBias: true,
  }
}
