// Which simulated substrate runs a network: chosen by the network's `model`, or converted to the
// model a caller names (`train --substrate`, the daemon's device kind). One place, so the CLI, the
// training service and the device service agree.
import type { z } from 'zod'
import { SimOimSubstrate } from '../../drivers/sim/oim.ts'
import { SimResistorSubstrate } from '../../drivers/sim/resistor.ts'
import { SimXyOptions, SimXySubstrate } from '../../drivers/sim/xy.ts'
import type { ModelName, Network } from '../core/network/network.ts'
import { EqpError } from '../errors.ts'

/**
 * The network as the given model. XY -> OIM keeps couplings and h (the field along phase 0) and
 * zeroes psi; S starts at 0. OIM -> XY drops S. -> resistor: |W| between nodes, bias currents 0. Same model: unchanged.
 */
export function asModel(net: Network, model: ModelName): Network {
  if (net.model === model) return net
  const { shil: _s, ...rest } = net
  if (model === 'xy') return { ...rest, model }
  // conductances between nodes are >= 0: take |W| (input edges keep their sign, which picks +x or -x)
  if (model === 'resistor') {
    const ins = new Set(net.inputs)
    const weights = net.weights.map((w, k) => (ins.has(net.edges[k][0]) || ins.has(net.edges[k][1]) ? w : Math.abs(w)))
    return { ...rest, model, weights, bias: { h: new Array<number>(net.nodes).fill(0), psi: new Array<number>(net.nodes).fill(0) } }
  }
  return { ...rest, model, bias: { h: net.bias?.h ?? new Array<number>(net.nodes).fill(0), psi: new Array<number>(net.nodes).fill(0) } }
}

/** A simulator for the network's model, with the simulator options (shared by both models). */
export function openSimulator(net: Network, sim: z.input<typeof SimXyOptions> = {}): SimXySubstrate | SimOimSubstrate | SimResistorSubstrate {
  if (net.model === 'resistor') {
    if (sim.readoutBits !== undefined || sim.noise !== undefined) throw new EqpError('EQP_ERR_BAD_INPUT', ['sim', 'readout bits and noise are phase-substrate options; the resistor simulator has neither'])
    const { coupling, bias, variation, deviceSeed, drift, maxBatch, uid } = sim
    return new SimResistorSubstrate(net, { coupling, bias, variation, deviceSeed, drift, maxBatch, uid })
  }
  return net.model === 'oim' ? new SimOimSubstrate(net, sim) : new SimXySubstrate(net, sim)
}
