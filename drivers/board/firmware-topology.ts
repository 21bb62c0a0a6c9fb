// The topology file the reference firmware's host build reads (firmware-protocol/c/firmware/host/main.c):
// the network a simulated board is wired as. A real board has its topology in hardware.
import type { Network } from '../../src/core/network/network.ts'

/** The text of a topology file for a network (its weights are not part of it: the host writes them). */
export function firmwareTopology(net: Network): string {
  const lines = [
    '# eqprop reference firmware topology',
    `nodes ${net.nodes}`,
    `clampable ${net.inputs.join(' ')}`,
    `nudgeable ${net.outputs.join(' ')}`,
    `edges ${net.edges.length}`,
    ...net.edges.map(([a, b]) => `${a} ${b}`),
  ]
  return lines.join('\n') + '\n'
}
