// One worker thread of ParallelSimSubstrate: the network's simulator answering method calls by message.
import { parentPort, workerData } from 'node:worker_threads'
import { openDeterministicSimulator } from './open-sim.ts'
import { initDenseBackend } from './tf-backend.ts'

// the parent's matrix-product backend: a float32 fold here and a Float64 fold there would make the
// results depend on the number of threads
if (workerData.backend !== 'typed-array') await initDenseBackend(workerData.backend)
const sim = openDeterministicSimulator(workerData.network, workerData.options)
const port = parentPort!

port.on('message', async (msg: { id: number; method: 'setParams' | 'updateParams' | 'getParams' | 'relax'; arg: never }) => {
  try {
    const result = await sim[msg.method](msg.arg)
    const transfer = ('states' in result ? [result.states.buffer, result.energy.buffer, result.settled.buffer, result.steps.buffer] : []) as ArrayBuffer[]
    port.postMessage({ id: msg.id, result, forceEvals: sim.forceEvals }, transfer)
  } catch (e) {
    const err = e as Error & { code?: string; statusCode?: number }
    port.postMessage({ id: msg.id, error: { message: err.message, code: err.code, name: err.name } })
  }
})
