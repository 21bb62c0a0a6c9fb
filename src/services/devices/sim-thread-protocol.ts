// Messages between the daemon's main thread and its simulator threads (sim-thread.ts).
import type { IsingAnneal } from '../../../drivers/sim/ising.ts'
import type { SimOptionsInput } from '../../../drivers/sim/open-sim.ts'
import type { z } from 'zod'
import type { Network } from '../../core/network/network.ts'
import type { DenseBackendName } from '../../core/physics/dense-xy.ts'

export type SimMethod = 'setParams' | 'updateParams' | 'getParams' | 'relax'

export type SimThreadRequest =
  | { id: number; op: 'open'; sim: number; network: Network; options: SimOptionsInput; anneal?: Partial<z.input<typeof IsingAnneal>> }
  | { id: number; op: 'call'; sim: number; method: SimMethod; arg: unknown; /** the main thread's dense backend */ dense: DenseBackendName }
  | { id: number; op: 'close'; sim: number }

export type SimThreadReply = { id: number; result: unknown } | { id: number; error: { message: string; code?: string } }
