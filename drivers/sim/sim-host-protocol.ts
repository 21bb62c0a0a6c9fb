// Messages between a thread that uses simulators and a simulator thread (sim-host-worker.ts).
import type { z } from 'zod'
import type { DenseBackendName } from '../../src/core/physics/dense-xy.ts'
import type { Network } from '../../src/core/network/network.ts'
import type { IsingAnneal } from './ising.ts'
import type { SimOptionsInput } from './open-sim.ts'

export type SimMethod = 'setParams' | 'updateParams' | 'getParams' | 'relax'

export type SimHostRequest =
  | { id: number; op: 'open'; sim: number; network: Network; options: SimOptionsInput; anneal?: Partial<z.input<typeof IsingAnneal>> }
  | { id: number; op: 'call'; sim: number; method: SimMethod; arg: unknown; /** the caller's dense backend */ dense: DenseBackendName; /** reply with null instead of the result (the caller has it from another shard) */ quiet?: boolean }
  | { id: number; op: 'close'; sim: number }

export type SimHostReply =
  | { id: number; result: unknown; /** the simulator's force evaluations so far */ forceEvals?: number }
  | { id: number; error: { message: string; code?: string } }

/** What a simulator thread is started with. */
export interface SimHostData {
  /** nice steps below the starting thread at which it computes (0: the same priority) */
  nice: number
}
