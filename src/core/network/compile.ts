// What every physics module compiles first from a network description: its edge endpoints as typed
// arrays and a mask of the clamped (input) nodes.
import type { Network } from './network.ts'

/** Edge endpoints ei[k], ej[k] and clamped[i] = 1 for every input node. */
export function compileTopology(net: Network): { ei: Uint32Array; ej: Uint32Array; clamped: Uint8Array } {
  const m = net.edges.length
  const ei = new Uint32Array(m), ej = new Uint32Array(m)
  for (let k = 0; k < m; k++) { ei[k] = net.edges[k][0]; ej[k] = net.edges[k][1] }
  const clamped = new Uint8Array(net.nodes)
  for (const i of net.inputs) clamped[i] = 1
  return { ei, ej, clamped }
}
