// Workers fold clamped inputs with the backend the main thread chose (float32 TensorFlow.js WASM
// here): with a Float64 fold in the workers the results would depend on the number of threads.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ParallelSimSubstrate } from '../../drivers/sim/parallel-sim.ts'
import { initDenseBackend } from '../../drivers/sim/tf-backend.ts'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'

describe('ParallelSimSubstrate with a TensorFlow.js fold', () => {
  it('relaxes a dense layered network to the same bits on 1 and 2 threads', async () => {
    const info = await initDenseBackend('wasm')
    const net = buildNetwork(parseBuilderString('layered:16,32,4:std=0.5'), { inputs: 16, outputs: 4 }, 7)
    const opts = { kernel: 'dense' as const, solver: 'fire-newton' as const }
    const one = new SimXySubstrate(net, opts)
    const two = await ParallelSimSubstrate.create(net, opts, 2)
    try {
      assert.equal(one.kernelInUse().matmul, info.dense)
      const B = 6
      const inputs = Float64Array.from({ length: B * 16 }, (_, k) => Math.sin(0.7 * k))
      const req = { batch: B, inputs, phase: 'free' as const, start: { kind: 'random' as const, seed: 11 } }
      const a = await one.relax(req), b = await two.relax(req)
      assert.deepEqual([...b.states], [...a.states])
      assert.deepEqual([...b.energy], [...a.energy])
      assert.deepEqual([...a.settled], new Array(B).fill(1))
    } finally {
      await one.close()
      await two.close()
    }
  })
})
