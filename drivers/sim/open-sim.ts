// The simulator of a network's model from the shared simulator options: what the services open, and
// what a simulator thread (sim-host-worker.ts) opens for them or for ParallelSimSubstrate.
import type { z } from 'zod'
import { EqpError } from '../../src/errors.ts'
import type { Network } from '../../src/core/network/network.ts'
import type { Range } from '../substrate.ts'
import { SimIsingSubstrate, type IsingAnneal } from './ising.ts'
import { SimOimSubstrate } from './oim.ts'
import { SimResistorSubstrate } from './resistor.ts'
import { SimXySubstrate, type SimXyOptionsInput } from './xy.ts'

/** The shared simulator options (SimXyOptions) plus the resistor's ADC full scale (V). */
export type SimOptionsInput = SimXyOptionsInput & { readoutRange?: number }

/** The deterministic simulator of the network's model; EQP_ERR_BAD_INPUT for an Ising network. */
export function openDeterministicSimulator(network: Network, options: SimOptionsInput = {}): SimXySubstrate | SimOimSubstrate | SimResistorSubstrate {
  switch (network.model) {
    case 'xy': return new SimXySubstrate(network, options)
    case 'oim': return new SimOimSubstrate(network, options)
    case 'resistor': {
      // nodal analysis finds the one minimum of a convex landscape exactly; there is no flow to run for a time
      if (options.dynamics === 'reference') throw new EqpError('EQP_ERR_BAD_INPUT', ['dynamics', "'reference' integrates a phase network's gradient flow (XY, OIM); a resistor network relaxes by nodal analysis"])
      // readout bits quantise node voltages (ADC over +-readoutRange V); noise is thermal noise on them
      const { coupling, bias, readoutBits, readoutRange, noise, noiseSeed, variation, deviceSeed, drift, maxBatch, uid, batching } = options
      return new SimResistorSubstrate(network, { coupling, bias, readoutBits, readoutRange, noise, noiseSeed, variation, deviceSeed, drift, maxBatch, uid, batching })
    }
    case 'ising': throw new EqpError('EQP_ERR_BAD_INPUT', ['workers', 'the Ising annealer samples from a per-call stream and runs in one thread; use --fleet to spread it over boards'])
  }
}

/** A range left at the shared options' unbounded default (+-1e6, continuous) counts as not given. */
const givenRange = (r: Range | undefined): Range | undefined => (r && !(r.min <= -1e6 && r.max >= 1e6 && r.levels === 0) ? r : undefined)

/**
 * A simulator for the network's model, with the simulator options (shared by every model; the Ising
 * annealer also takes its schedule, `anneal`, and keeps D-Wave's J/h ranges unless a range is given).
 */
export function openSimulator(net: Network, sim: SimOptionsInput = {}, anneal: Partial<z.input<typeof IsingAnneal>> = {}): SimXySubstrate | SimOimSubstrate | SimResistorSubstrate | SimIsingSubstrate {
  if (net.model === 'ising') {
    if (sim.readoutBits !== undefined || sim.noise !== undefined) throw new EqpError('EQP_ERR_BAD_INPUT', ['sim', 'readout bits and Langevin noise are phase-substrate options; an annealer reads 1-bit spins and samples at its own temperature'])
    const { variation, deviceSeed, drift, maxBatch, uid } = sim
    return new SimIsingSubstrate(net, { ...anneal, coupling: givenRange(sim.coupling), bias: givenRange(sim.bias), variation, deviceSeed, drift, maxBatch, uid })
  }
  return openDeterministicSimulator(net, sim)
}
