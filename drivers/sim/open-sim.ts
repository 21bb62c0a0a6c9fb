// The deterministic simulator of a network's model from the shared simulator options: what the
// services open, and what ParallelSimSubstrate opens in each worker thread.
import { EqpError } from '../../src/errors.ts'
import type { Network } from '../../src/core/network/network.ts'
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
      const { coupling, bias, readoutBits, readoutRange, noise, noiseSeed, variation, deviceSeed, drift, maxBatch, uid } = options
      return new SimResistorSubstrate(network, { coupling, bias, readoutBits, readoutRange, noise, noiseSeed, variation, deviceSeed, drift, maxBatch, uid })
    }
    case 'ising': throw new EqpError('EQP_ERR_BAD_INPUT', ['workers', 'the Ising annealer samples from a per-call stream and runs in one thread; use --fleet to spread it over boards'])
  }
}
