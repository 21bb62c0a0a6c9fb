// One simulator thread of the daemon: it hosts the simulators of several devices (by handle number)
// and answers their Substrate calls by message, one at a time in arrival order, so a device's calls
// keep the order the main thread gave them and a simulator's internal streams advance exactly as
// they would in the main thread.
import { parentPort, workerData } from 'node:worker_threads'
import { niceThisThread } from '../../../drivers/sim/thread-priority.ts'
import type { Substrate } from '../../../drivers/substrate.ts'
import { initDenseBackend, kernelInfo } from '../kernels.ts'
import { openSimulator } from '../substrates.ts'
import type { SimThreadReply, SimThreadRequest } from './sim-thread-protocol.ts'

const port = parentPort!
// below the main thread, so that HTTP, event streams and stop requests go first on a shared core
niceThisThread((workerData as { nice?: number } | undefined)?.nice ?? 0)
const sims = new Map<number, Substrate>()
let chain: Promise<void> = Promise.resolve()
/** the dense backend last asked for (a backend that fails to load is not retried on every call) */
let dense = kernelInfo().dense

async function handle(m: SimThreadRequest): Promise<unknown> {
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
  // the dense kernels the main thread uses now: a float32 fold here and a Float64 fold there would
  // make results depend on where the simulator runs
  if (m.dense !== dense) {
    dense = m.dense
    await initDenseBackend(m.dense)
  }
  return sim[m.method](m.arg as never)
}

port.on('message', (m: SimThreadRequest) => {
  chain = chain.then(async () => {
    let reply: SimThreadReply
    let transfer: ArrayBuffer[] = []
    try {
      const result = await handle(m)
      if (result && typeof result === 'object' && 'states' in result) {
        const r = result as { states: Float64Array; energy: Float64Array; settled: Uint8Array; steps: Uint32Array }
        transfer = [r.states.buffer, r.energy.buffer, r.settled.buffer, r.steps.buffer] as ArrayBuffer[]
      }
      reply = { id: m.id, result }
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
