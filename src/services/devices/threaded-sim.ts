// A device's simulator running in one of the daemon's simulator threads, reached through the
// Substrate interface by message. Relaxations are the daemon's heavy compute; off the main thread
// they no longer delay HTTP requests, stream events or a stop request, whatever trains. The threads
// are shared by all devices of the process (one per core, started on first use) because starting a
// thread costs about half a second; each device lives in exactly one of them for its whole life, so
// its calls run in order on one simulator, as they did in the main thread, and give the same results.
import { availableParallelism } from 'node:os'
import type { z } from 'zod'
import type { IsingAnneal } from '../../../drivers/sim/ising.ts'
import type { SimOptionsInput } from '../../../drivers/sim/open-sim.ts'
import { SimHost, type SimMethod } from '../../../drivers/sim/sim-host.ts'
import type { Params, RelaxRequest, RelaxResult, Substrate, SubstrateInfo } from '../../../drivers/substrate.ts'
import type { Network } from '../../core/network/network.ts'
import { EqpError } from '../../errors.ts'
import { openSimulator } from '../substrates.ts'

/** A shared simulator thread and how many devices it hosts (for placing new ones). */
interface Pooled { host: SimHost; hosted: number }

const pool = new Set<Pooled>()

/**
 * The thread for a new device among those at its nice value (a thread's priority cannot be raised
 * again): a new one while there are fewer than cores, else the least loaded.
 */
function placeDevice(nice: number): Pooled {
  const live = [...pool].filter((t) => t.host.nice === nice)
  let t: Pooled
  if (live.length < availableParallelism() && !live.some((x) => x.hosted === 0)) {
    t = { host: new SimHost(nice), hosted: 0 }
    const entry = t
    t.host.onDeath = () => { pool.delete(entry) }
    pool.add(t)
  } else t = live.reduce((a, b) => (b.hosted < a.hosted ? b : a))
  t.hosted++
  return t
}

/** A simulated device whose simulator runs in a simulator thread. */
export class ThreadedSim implements Substrate {
  readonly info: SubstrateInfo
  private readonly thread: Pooled
  private readonly sim: number
  private closed = false

  /**
   * Opens the simulator openSimulator would (same arguments, same errors, thrown here at once).
   * `host.nice`: how far below normal priority a thread started for it runs (0-19; threads are shared,
   * so the device that starts a thread sets it).
   */
  constructor(network: Network, options: SimOptionsInput = {}, anneal?: Partial<z.input<typeof IsingAnneal>>, host: { nice?: number } = {}) {
    // validates network and options where the caller can catch it, and gives the info the thread's copy announces
    this.info = openSimulator(network, options, anneal).info
    this.thread = placeDevice(host.nice ?? 0)
    const opened = this.thread.host.open(network, options, anneal)
    opened.ready.catch(() => {})
    this.sim = opened.sim
  }

  private call<T>(method: SimMethod, arg: unknown): Promise<T> {
    if (this.closed || this.thread.host.dead) return Promise.reject(new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid]))
    return this.thread.host.call<T>(this.sim, method, arg)
  }

  setParams(p: Params): Promise<Params> { return this.call('setParams', p) }
  updateParams(d: Params): Promise<Params> { return this.call('updateParams', d) }
  getParams(): Promise<Params> { return this.call('getParams', undefined) }
  relax(req: RelaxRequest): Promise<RelaxResult> { return this.call('relax', req) }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.thread.hosted--
    await this.thread.host.close(this.sim)
  }
}
