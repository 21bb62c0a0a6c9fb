import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ParallelSimXySubstrate } from '../../drivers/sim/parallel-xy.ts'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

const lattice = buildNetwork({ kind: 'lattice', rows: 4, cols: 4, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 2 }, 5)

substrateContract('simulated XY lattice on 2 worker threads', () => ParallelSimXySubstrate.create(lattice, {}, 2))

describe('ParallelSimXySubstrate', () => {
  it('trains to exactly the parameters of the single-threaded simulator', async () => {
    const net = buildNetwork(parseBuilderString('lattice:4x4'), { inputs: 2, outputs: 1 }, 3)
    const cfg = TrainConfig.parse({ epochs: 20, mInit: 3, batchSize: 4, seed: 3, evalEvery: 0 })
    const one = new SimXySubstrate(net, { solver: 'fire-newton' })
    const two = await ParallelSimXySubstrate.create(net, { solver: 'fire-newton' }, 2)
    try {
      const a = new Trainer(one, net, loadDataset('xor', 3), cfg)
      const b = new Trainer(two, net, loadDataset('xor', 3), cfg)
      await a.train()
      await b.train()
      assert.deepEqual(b.trainedNetwork(), a.trainedNetwork())
      assert.ok(two.forceEvals > 0)
    } finally {
      await two.close()
    }
  })

  it('passes coded errors from the workers through', async () => {
    const sub = await ParallelSimXySubstrate.create(lattice, {}, 2)
    try {
      await assert.rejects(sub.setParams({ weights: new Float64Array(3) }), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /weights/.test(e.message))
    } finally {
      await sub.close()
    }
  })
})
