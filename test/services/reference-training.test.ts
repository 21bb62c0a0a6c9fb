// Training under fixed-T reference dynamics: the state at T is the equilibrium whether or not the flow
// has settled, so unsettled nudged states must enter the update (they used to be left out, which left
// every sample out and the couplings untouched).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { loadTask, trainOnSimulator } from '../../src/services/training.ts'

const sim = { dynamics: 'reference', dynamicsT: 0.5 } as const
const net = () => buildNetwork(parseBuilderString('all-to-all:6:std=0.7:bias=random'), { inputs: 2, outputs: 1 }, 3)
const changed = (a: readonly number[], b: readonly number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)

describe('training with reference dynamics', () => {
  it('T = 0.5 leaves the nudged states unsettled, and only keepUnsettled lets them update the couplings', async () => {
    const data = loadTask('xor', 3)
    const run = async (keepUnsettled: boolean) => {
      const sub = new SimXySubstrate(net(), sim)
      let dropped = -1, settled = -1
      const t = new Trainer(sub, net(), data, TrainConfig.parse({ epochs: 1, batchSize: 4, seed: 3, evalEvery: 0, keepUnsettled }), {
        onEvent: (e) => { if (e.type === 'batch') { dropped = e.metrics.dropped; settled = e.metrics.settled } },
      })
      await t.train()
      await sub.close()
      return { moved: changed(t.trainedNetwork().weights, net().weights), dropped, settled }
    }
    const left = await run(false), kept = await run(true)
    assert.equal(left.settled, 0, 'no free state settles by T = 0.5')
    assert.equal(left.dropped, 1, 'without keepUnsettled every sample is left out')
    assert.equal(left.moved, 0, 'and the couplings do not move')
    assert.equal(kept.dropped, 0)
    assert.ok(kept.moved > 1e-4, `with keepUnsettled the couplings move (${kept.moved})`)
  })

  it('the training service keeps unsettled states under reference dynamics: XOR D falls', async () => {
    const out = await trainOnSimulator(net(), { task: 'xor', sim, train: { epochs: 30, batchSize: 4, seed: 3, evalEvery: 0, lr: 0.5 } })
    const first = await trainOnSimulator(net(), { task: 'xor', sim, train: { epochs: 1, batchSize: 4, seed: 3, evalEvery: 0, lr: 0.5 } })
    assert.ok(out.train!.distance < first.train!.distance - 0.01, `D ${first.train!.distance} -> ${out.train!.distance}`)
  })
})
