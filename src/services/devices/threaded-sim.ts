// A device's simulator running in one of the daemon's simulator threads, reached through the
// Substrate interface by message. Relaxations are the daemon's heavy compute; off the main thread
// they no longer delay HTTP requests, stream events or a stop request, whatever trains. The threads
// are shared by all devices of the process (one per core, started on first use) because starting a
// thread costs about half a second; each device lives in exactly one of them for its whole life, so
// its calls run in order on one simulator, as they did in the main thread, and give the same results.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { z } from 'zod'
import type { IsingAnneal } from '../../../drivers/sim/ising.ts'
import type { SimOptionsInput } from '../../../drivers/sim/open-sim.ts'
import { revive } from '../../../drivers/sim/parallel-sim.ts'
import type { Params, RelaxRequest, RelaxResult, Substrate, SubstrateInfo } from '../../../drivers/substrate.ts'
import type { Network } from '../../core/network/network.ts'
import { EqpError } from '../../errors.ts'
import { kernelInfo } from '../kernels.ts'
import { openSimulator } from '../substrates.ts'
import type { SimMethod, SimThreadReply, SimThreadRequest } from './sim-thread-protocol.ts'

type Request = SimThreadRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never

/** One simulator thread and the calls in flight to it. */
class SimThread {
  private readonly worker: Worker
  private next = 0
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  /** devices hosted here (for placing new ones) */
  hosted = 0
  /** set when the thread died: its simulators are gone */
  dead: Error | null = null

  constructor(readonly nice: number) {
    // From source, sim-thread.js registers tsx and then loads sim-thread.ts; compiled (dist/), tsc emits
    // sim-thread.ts under that name and the compiled worker starts without transpiling.
    this.worker = new Worker(new URL('./sim-thread.js', import.meta.url), { workerData: { nice } })
    // an idle thread must not keep the process alive; one with calls in flight does (see call)
    this.worker.unref()
    this.worker.on('message', (m: SimThreadReply) => {
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      if (this.pending.size === 0) this.worker.unref()
      if ('error' in m) p.reject(revive(m.error))
      else p.resolve(m.result)
    })
    const die = (e: Error) => {
      this.dead ??= e
      threads.delete(this)
      for (const p of this.pending.values()) p.reject(e)
      this.pending.clear()
    }
    this.worker.on('error', die)
    this.worker.on('exit', (code) => die(new Error(`simulator thread exited with code ${code}`)))
  }

  call<T>(req: Request): Promise<T> {
    if (this.dead) return Promise.reject(this.dead)
    const id = this.next++
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref()
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ ...req, id })
    })
  }
}

const threads = new Set<SimThread>()
let nextSim = 0

/**
 * The thread for a new device among those at its nice value (a thread's priority cannot be raised
 * again): a new one while there are fewer than cores, else the least loaded.
 */
function placeDevice(nice: number): SimThread {
  const live = [...threads].filter((t) => t.nice === nice)
  let t: SimThread
  if (live.length < availableParallelism() && !live.some((x) => x.hosted === 0)) {
    t = new SimThread(nice)
    threads.add(t)
  } else t = live.reduce((a, b) => (b.hosted < a.hosted ? b : a))
  t.hosted++
  return t
}

/** A simulated device whose simulator runs in a simulator thread. */
export class ThreadedSim implements Substrate {
  readonly info: SubstrateInfo
  private readonly thread: SimThread
  private readonly sim = nextSim++
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
    void this.thread.call({ op: 'open', sim: this.sim, network, options, anneal }).catch(() => {})
  }

  private call<T>(method: SimMethod, arg: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid]))
    if (this.thread.dead) return Promise.reject(new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid]))
    return this.thread.call<T>({ op: 'call', sim: this.sim, method, arg, dense: kernelInfo().dense })
  }

  setParams(p: Params): Promise<Params> { return this.call('setParams', p) }
  updateParams(d: Params): Promise<Params> { return this.call('updateParams', d) }
  getParams(): Promise<Params> { return this.call('getParams', undefined) }
  relax(req: RelaxRequest): Promise<RelaxResult> { return this.call('relax', req) }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.thread.hosted--
    if (!this.thread.dead) await this.thread.call({ op: 'close', sim: this.sim }).catch(() => {})
  }
}
