// The caller's side of a simulator thread (sim-host-worker.ts): simulators opened there by handle and
// reached by message. Relaxation is the heavy compute; in another thread it runs on another core and
// leaves the caller's event loop free. Users: ParallelSimSubstrate (one shard's simulator per thread)
// and the daemon's simulated devices (several per thread, src/services/devices/threaded-sim.ts).
import { Worker } from 'node:worker_threads'
import type { z } from 'zod'
import type { Network } from '../../src/core/network/network.ts'
import { codes, EqpError, type ErrorCode } from '../../src/errors.ts'
import type { IsingAnneal } from './ising.ts'
import type { SimOptionsInput } from './open-sim.ts'
import type { SimHostData, SimHostReply, SimHostRequest, SimMethod } from './sim-host-protocol.ts'
import { kernelInfo } from './tf-backend.ts'

export type { SimMethod } from './sim-host-protocol.ts'

/** Rebuilds a worker's error on this side, as an EqpError when it carried one of our codes. */
export function revive(err: { message: string; code?: string }): Error {
  const code = err.code as ErrorCode | undefined
  if (!code || !(code in codes)) return new Error(err.message)
  return Object.assign(Object.create(EqpError.prototype) as EqpError, {
    message: err.message, code, statusCode: codes[code].statusCode, name: `EqpError [${code}]`, stack: `EqpError [${code}]: ${err.message}`,
  })
}

type Request = SimHostRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never

let nextSim = 0

/** One simulator thread and the calls in flight to it. Idle, it does not keep the process alive. */
export class SimHost {
  private readonly worker: Worker
  private next = 0
  /** Set by terminate: from then on the thread stays ref'd until its exit event. */
  private ending = false
  private readonly pending = new Map<number, { sim: number; resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private readonly evals = new Map<number, number>()
  /** set when the thread died: its simulators are gone */
  dead: Error | null = null
  /** called once when the thread dies */
  onDeath: ((e: Error) => void) | null = null

  /** Starts the thread; `nice`: steps below this thread's priority at which it computes (Linux). */
  constructor(readonly nice = 0) {
    // From source, sim-host-worker.js registers tsx and then loads sim-host-worker.ts; compiled (dist/),
    // tsc emits sim-host-worker.ts under that name and the compiled worker starts without transpiling.
    this.worker = new Worker(new URL('./sim-host-worker.js', import.meta.url), { workerData: { nice } satisfies SimHostData })
    // an idle thread must not keep the process alive; one with calls in flight does (see send)
    this.worker.unref()
    this.worker.on('message', (m: SimHostReply) => {
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      // a reply that lands while terminate waits for the exit must not unref the thread again
      if (this.pending.size === 0 && !this.ending) this.worker.unref()
      if ('error' in m) p.reject(revive(m.error))
      else {
        if (m.forceEvals !== undefined) this.evals.set(p.sim, m.forceEvals)
        p.resolve(m.result)
      }
    })
    const die = (e: Error) => {
      if (this.dead) return
      this.dead = e
      for (const p of this.pending.values()) p.reject(e)
      this.pending.clear()
      this.onDeath?.(e)
    }
    this.worker.on('error', die)
    this.worker.on('exit', (code) => die(new Error(`simulator thread exited with code ${code}`)))
  }

  private send<T>(req: Request): Promise<T> {
    if (this.dead) return Promise.reject(this.dead)
    const id = this.next++
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref()
      this.pending.set(id, { sim: req.sim, resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ ...req, id })
    })
  }

  /**
   * Opens a simulator here (openSimulator's arguments). The handle is usable at once: the thread
   * answers in arrival order, so later calls wait for the open; `ready` settles when it is built.
   */
  open(network: Network, options: SimOptionsInput = {}, anneal?: Partial<z.input<typeof IsingAnneal>>): { sim: number; ready: Promise<void> } {
    const sim = nextSim++
    return { sim, ready: this.send<void>({ op: 'open', sim, network, options, anneal }) }
  }

  /** Calls a Substrate method of simulator `sim`, with this thread's dense backend; quiet: the reply carries null, not the result. */
  call<T>(sim: number, method: SimMethod, arg: unknown, quiet = false): Promise<T> {
    return this.send<T>({ op: 'call', sim, method, arg, dense: kernelInfo().dense, ...(quiet ? { quiet } : {}) })
  }

  /** Force evaluations of simulator `sim` as of its last reply (for benchmarks). */
  forceEvals(sim: number): number { return this.evals.get(sim) ?? 0 }

  /** Closes simulator `sim` (the thread goes on). */
  async close(sim: number): Promise<void> {
    this.evals.delete(sim)
    if (!this.dead) await this.send({ op: 'close', sim }).catch(() => {})
  }

  /** Ends the thread and every simulator in it. */
  async terminate(): Promise<void> {
    // an idle (unref'd) thread would let the event loop end before its exit arrives, leaving the
    // caller's await pending forever
    this.ending = true
    this.worker.ref()
    await this.worker.terminate()
  }
}
