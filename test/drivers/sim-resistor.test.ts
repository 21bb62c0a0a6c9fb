import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimResistorSubstrate } from '../../drivers/sim/resistor.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import { compileResistor, resistorEnergy } from '../../src/core/physics/resistor.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { asModel } from '../../src/services/substrates.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

const layered = asModel(buildNetwork({ kind: 'layered', sizes: [3, 6, 2], weightStd: 0.8, bias: 'random' }, { inputs: 3, outputs: 2 }, 5), 'resistor')

substrateContract('simulated resistor network, layered 3-6-2', async () => new SimResistorSubstrate(layered), { targets: 'values', conductances: true })

describe('SimResistorSubstrate', () => {
  const inputs = Float64Array.of(0.5, -1, 0.25, 1, 0.1, -0.6)

  it('keeps conductances between nodes >= 0 and the sign of input edges', async () => {
    const sub = new SimResistorSubstrate(layered)
    const p = await sub.setParams({ weights: new Float64Array(layered.edges.length).fill(-0.5) })
    layered.edges.forEach(([i], k) => assert.equal(p.weights[k], layered.inputs.includes(i) ? -0.5 : 0))
  })

  it('reaches the same equilibrium from any start (a convex landscape), reporting its energy', async () => {
    const sub = new SimResistorSubstrate(layered)
    const a = await sub.relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 1 } })
    const b = await sub.relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 99 } })
    for (let i = 0; i < a.states.length; i++) assert.ok(Math.abs(a.states[i] - b.states[i]) < 1e-7)
    const net = compileResistor(layered)
    assert.ok(Math.abs(a.energy[0] - resistorEnergy(net, a.states, 0)) < 1e-12)
  })

  it('learns XOR on a layered 2-8-1 network (3 of 3 seeds; chance is 50%)', async () => {
    const acc: number[] = []
    for (const seed of [0, 1, 2]) {
      const net = asModel(buildNetwork(parseBuilderString('layered:2,8,1:std=0.5'), { inputs: 2, outputs: 1 }, seed), 'resistor')
      const tr = new Trainer(new SimResistorSubstrate(net), net, loadDataset('xor', seed),
        TrainConfig.parse({ epochs: 300, seed, batchSize: 4, evalEvery: 0, estimator: 'symmetric', beta: 0.5, optimiser: { kind: 'adam' }, lr: 0.05 }))
      acc.push((await tr.train())?.accuracy ?? 0)
      assert.equal(tr.trainedNetwork().model, 'resistor')
    }
    assert.deepEqual(acc, [1, 1, 1])
  })
})
