// CI-sized OIM runs on 28x28 MNIST: clamping pixels as unit values (a blank pixel adds no field)
// is what lets a layered OIM learn 10 classes; signed values (blank = -1) saturate the hidden layer.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimOimSubstrate } from '../../drivers/sim/oim.ts'
import { loadDataset, subsetPerClass, type Dataset } from '../../src/core/data/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { asModel, withInputValues } from '../../src/services/substrates.ts'
import '../../src/services/datasets/sources.ts'

/** MNIST 28x28 cut to `train` and `test` rows per class. */
function smallMnist(train: number, test: number): Dataset {
  const d = loadDataset('digits', 0)
  return { ...d, train: subsetPerClass(d.train, 10, train), test: subsetPerClass(d.test, 10, test) }
}

async function trainOim(net: Network, data: Dataset): Promise<{ accuracy: number; trained: Network }> {
  const sub = new SimOimSubstrate(net, { solver: 'fire-newton' })
  try {
    const cfg = TrainConfig.parse({ estimator: 'one-sided', beta: 0.2, optimiser: { kind: 'adam' }, lr: 0.004, batchSize: 25, epochs: 3, evalEvery: 0, seed: 1 })
    const tr = new Trainer(sub, net, data, cfg)
    const final = await tr.train()
    assert.ok(final, 'the run evaluates the test split at the end')
    return { accuracy: final.accuracy, trained: tr.trainedNetwork() }
  } finally {
    await sub.close()
  }
}

describe('OIM on 28x28 MNIST (layered 784-100-10)', () => {
  it('learns 10 classes with unit input values and stays near chance with signed ones', async () => {
    const data = smallMnist(50, 20)
    const base = asModel(buildNetwork(parseBuilderString('layered:784,100,10'), { inputs: 784, outputs: 10 }, 1), 'oim')
    const unit = await trainOim(withInputValues(base, 'unit'), data)
    const signed = await trainOim(base, data)
    // the trained network keeps its input mapping, so a later evaluation clamps the same values
    assert.equal(unit.trained.inputValues, 'unit')
    assert.equal(signed.trained.inputValues, undefined)
    // 0.585 and 0.085 with these seeds; the bounds leave room for solver changes
    assert.ok(unit.accuracy >= 0.45, `unit test accuracy ${unit.accuracy}`)
    assert.ok(signed.accuracy <= 0.25, `signed test accuracy ${signed.accuracy}`)
  })
})
