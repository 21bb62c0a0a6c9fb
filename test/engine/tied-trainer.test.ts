// The trainer on tied couplings (CNN-like layers): one optimiser entry per tied value, whose gradient is
// the sum of its bonds' estimates; bonds of one value stay equal; snapshots resume exactly.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import type { Dataset, Split } from '../../src/core/data/dataset.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import type { Network } from '../../src/core/network/network.ts'
import { buildNetwork, countParameters, parseBuilderString } from '../../src/core/topology/index.ts'
import { TrainConfig, type TrainConfigInput } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { EqpError } from '../../src/errors.ts'

/** A 4x4-pixel, 2-class task with random phases in [-pi/2, pi/2] (seeded), one-hot targets +-pi/2. */
function tinyImages(rows: number, seed: number): Dataset {
  const rng = new Rng(seed)
  const split = (): Split => {
    const x = new Float64Array(rows * 16), y = new Float64Array(rows * 2), label = new Int32Array(rows)
    for (let r = 0; r < rows; r++) {
      label[r] = r % 2
      for (let k = 0; k < 16; k++) x[r * 16 + k] = rng.uniform(-Math.PI / 2, Math.PI / 2)
      y[r * 2 + label[r]] = Math.PI / 2
      y[r * 2 + 1 - label[r]] = -Math.PI / 2
    }
    return { x, y, label, rows }
  }
  return { name: 'tiny', nIn: 16, nOut: 2, classes: 2, train: split(), test: split() }
}

const cnn = () => buildNetwork(parseBuilderString('lcl:4x4:c2k2s1:tied'), { inputs: 16, outputs: 2 }, 3)
const untie = (net: Network): Network => { const { tied: _t, ...rest } = net; return rest }

async function withTrainer<T>(net: Network, data: Dataset, cfg: TrainConfigInput, fn: (tr: Trainer) => Promise<T>, state?: ReturnType<Trainer['snapshot']>): Promise<T> {
  const sub = new SimXySubstrate(net, { solver: 'flow-newton' })
  try {
    return await fn(new Trainer(sub, net, data, TrainConfig.parse(cfg), { state }))
  } finally {
    await sub.close()
  }
}

describe('Trainer with tied couplings', () => {
  it('counts one trainable value per kernel entry plus one per dense bond', () => {
    const net = cnn()
    // 2 channels x 1 input channel x 2x2 kernel = 8 shared values over 2*3*3*4 = 72 local bonds, plus 18 x 2 dense
    assert.deepEqual(countParameters(net), { couplings: 72 + 36, couplingParameters: 8 + 36, biasParameters: 2 * (16 + 18 + 2), parameters: 44 + 72 })
  })

  it('one step moves each tied value by the sum of its bonds\' per-edge updates (SGD)', async () => {
    const data = tinyImages(6, 1), net = cnn()
    const cfg = { lr: 0.05, batchSize: 6, epochs: 1, seed: 4, evalEvery: 0 }
    const step = (n: Network) => withTrainer(n, data, cfg, async (tr) => {
      await tr.start()
      await tr.step([0, 1, 2, 3, 4, 5])
      return tr.snapshot()
    })
    // the untied copy starts from the same parameters and random starts, so its first step relaxes to the
    // same equilibria; its per-edge update is -lr * (the per-edge EqProp estimate)
    const [tied, free] = [await step(net), await step(untie(net))]
    const tiedIdx = net.tied!
    const sum = new Map<number, number>()
    tiedIdx.forEach((p, k) => sum.set(p, (sum.get(p) ?? 0) + (free.requested.weights[k] - net.weights[k])))
    let moved = 0
    for (let k = 0; k < tiedIdx.length; k++) {
      const want = net.weights[k] + sum.get(tiedIdx[k])!
      assert.ok(Math.abs(tied.requested.weights[k] - want) < 1e-12, `edge ${k}: ${tied.requested.weights[k]} vs ${want}`)
      if (Math.abs(tied.requested.weights[k] - net.weights[k]) > 1e-6) moved++
    }
    assert.ok(moved > 50, `only ${moved} edges moved`)
    // an engine that ignored `tied` would give exactly the untied update
    assert.notDeepEqual(tied.requested.weights, free.requested.weights)
    // biases are per node in both: identical updates
    for (let i = 0; i < net.nodes; i++) assert.ok(Math.abs(tied.requested.h[i] - free.requested.h[i]) < 1e-12)
    assert.equal(tied.opt.m.length, 44 + 72, 'the optimiser holds the tied parameter vector')
  })

  it('keeps the bonds of one tied value equal while training (Adam), and resumes from a snapshot bit-identically', async () => {
    const data = tinyImages(8, 2), net = cnn()
    const cfg = { lr: 0.02, batchSize: 4, epochs: 4, seed: 7, evalEvery: 0, optimiser: { kind: 'adam' as const } }
    const straight = await withTrainer(net, data, cfg, async (tr) => { await tr.train(); return tr.trainedNetwork() })
    const half = await withTrainer(net, data, cfg, async (tr) => { await tr.runEpoch(); await tr.runEpoch(); return tr.snapshot() })
    const resumed = await withTrainer(net, data, cfg, async (tr) => { await tr.train(); return tr.trainedNetwork() }, half)
    assert.deepEqual(resumed.weights, straight.weights)
    assert.deepEqual(resumed.bias, straight.bias)
    const value = new Map<number, number>()
    straight.tied!.forEach((p, k) => {
      const v = value.get(p)
      if (v === undefined) value.set(p, straight.weights[k])
      else assert.equal(straight.weights[k], v, `edge ${k} left its tied value ${p}`)
    })
    assert.notDeepEqual(straight.weights, net.weights, 'training changed the couplings')
  })

  it('refuses a snapshot whose optimiser state does not match the tied parameter count', async () => {
    const data = tinyImages(4, 3), net = cnn()
    const cfg = { epochs: 1, seed: 1, evalEvery: 0 }
    const untiedState = await withTrainer(untie(net), data, cfg, async (tr) => tr.snapshot())
    await assert.rejects(withTrainer(net, data, cfg, async () => null, untiedState), (e: unknown) => e instanceof EqpError && /state\.opt: holds 180 parameters, the network trains 116/.test(e.message))
  })
})
