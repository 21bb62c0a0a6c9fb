import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ParallelSimSubstrate } from '../../drivers/sim/parallel-sim.ts'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { asModel, openSimulator, withInputValues } from '../../src/services/substrates.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

const lattice = buildNetwork({ kind: 'lattice', rows: 4, cols: 4, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 2 }, 5)

substrateContract('simulated XY lattice on 2 worker threads', () => ParallelSimSubstrate.create(lattice, {}, 2))

describe('ParallelSimSubstrate', () => {
  for (const model of ['oim', 'resistor'] as const) {
    it(`trains a ${model} network to exactly the parameters of its single-threaded simulator`, async () => {
      const net = withInputValues(asModel(buildNetwork(parseBuilderString('layered:4,6,3'), { inputs: 4, outputs: 3 }, 2), model), 'unit')
      const cfg = TrainConfig.parse({ epochs: 2, batchSize: 16, seed: 1, evalEvery: 0, estimator: 'symmetric', beta: 0.5, optimiser: { kind: 'adam' }, lr: 0.02 })
      const one = openSimulator(net, { solver: 'fire-newton' })
      const two = await ParallelSimSubstrate.create(net, { solver: 'fire-newton' }, 2)
      try {
        assert.equal(two.info.model, model)
        const a = new Trainer(one, net, loadDataset('iris', 1), cfg)
        const b = new Trainer(two, net, loadDataset('iris', 1), cfg)
        await a.train()
        await b.train()
        assert.deepEqual(b.trainedNetwork(), a.trainedNetwork())
        assert.notDeepEqual(a.trainedNetwork().weights, net.weights)
      } finally {
        await one.close()
        await two.close()
      }
    })
  }

  it('refuses an Ising network, whose reverse anneals a split would change, naming workers', async () => {
    const net = asModel(buildNetwork(parseBuilderString('layered:4,6,3'), { inputs: 4, outputs: 3 }, 2), 'ising')
    await assert.rejects(ParallelSimSubstrate.create(net, {}, 2), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /workers/.test(e.message))
  })

  it('trains to exactly the parameters of the single-threaded simulator', async () => {
    const net = buildNetwork(parseBuilderString('lattice:4x4'), { inputs: 2, outputs: 1 }, 3)
    const cfg = TrainConfig.parse({ epochs: 20, mInit: 3, batchSize: 4, seed: 3, evalEvery: 0 })
    const one = new SimXySubstrate(net, { solver: 'fire-newton' })
    const two = await ParallelSimSubstrate.create(net, { solver: 'fire-newton' }, 2)
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
    const sub = await ParallelSimSubstrate.create(lattice, {}, 2)
    try {
      await assert.rejects(sub.setParams({ weights: new Float64Array(3) }), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /weights/.test(e.message))
    } finally {
      await sub.close()
    }
  })
})
