// A simulator thread: it hosts the simulators of one or more users (by handle number) and answers
// their Substrate calls by message, one at a time in arrival order, so each simulator's calls keep the
// order its user gave them and its internal streams advance exactly as they would in the caller's
// thread. The daemon's devices and ParallelSimSubstrate's shards both run here.
import { parentPort, workerData } from 'node:worker_threads'
import type { Substrate } from '../substrate.ts'
import { openSimulator } from './open-sim.ts'
import type { SimHostData, SimHostReply, SimHostRequest } from './sim-host-protocol.ts'
import { initDenseBackend, kernelInfo } from './tf-backend.ts'
import { niceThisThread } from './thread-priority.ts'

const port = parentPort!
// below the starting thread, so that its event loop (HTTP, event streams, stop requests) goes first on a shared core
niceThisThread((workerData as SimHostData | undefined)?.nice ?? 0)

const sims = new Map<number, Substrate & { forceEvals?: number }>()
let chain: Promise<void> = Promise.resolve()
/** the dense backend last asked for (a backend that fails to load is not retried on every call) */
let dense = kernelInfo().dense

async function handle(m: SimHostRequest): Promise<unknown> {
  if (m.op === 'open') {
    sims.set(m.sim, openSimulator(m.network, m.options, m.anneal))
    return null
  }
  const sim = sims.get(m.sim)
  if (!sim) throw new Error(`simulator ${m.sim} is not open in this thread`)
  if (m.op === 'close') {
    sims.delete(m.sim)
    await sim.close()
    return null
  }
  // the caller's dense kernels: a float32 fold here and a Float64 fold there would make results
  // depend on where the simulator runs
  if (m.dense !== dense) {
    dense = m.dense
    await initDenseBackend(m.dense)
  }
  const result = await sim[m.method](m.arg as never)
  return m.quiet ? null : result
}

port.on('message', (m: SimHostRequest) => {
  chain = chain.then(async () => {
    let reply: SimHostReply
    let transfer: ArrayBuffer[] = []
    try {
      const result = await handle(m)
      if (result && typeof result === 'object' && 'states' in result) {
        const r = result as { states: Float64Array; energy: Float64Array; settled: Uint8Array; steps: Uint32Array }
        transfer = [r.states.buffer, r.energy.buffer, r.settled.buffer, r.steps.buffer] as ArrayBuffer[]
      }
      reply = { id: m.id, result, forceEvals: sims.get(m.sim)?.forceEvals }
    } catch (e) {
      const err = e as Error & { code?: string }
      reply = { id: m.id, error: { message: err.message, code: err.code } }
    }
    try {
      port.postMessage(reply, transfer)
    } catch {
      // buffers shared with the simulator cannot be transferred: send a copy
      port.postMessage(reply)
    }
  })
})
