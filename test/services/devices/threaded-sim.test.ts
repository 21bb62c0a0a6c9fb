// The daemon's simulated devices in simulator threads (SimHost, shared with ParallelSimSubstrate): the
// same training as a simulator in this thread, the Ising annealer included, and the threads computing
// below this thread's priority.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { loadDataset } from '../../../src/core/data/index.ts'
import { buildNetwork, parseBuilderString } from '../../../src/core/topology/index.ts'
import { TrainConfig } from '../../../src/engine/config.ts'
import { Trainer } from '../../../src/engine/trainer.ts'
import { ThreadedSim } from '../../../src/services/devices/threaded-sim.ts'
import { asModel, openSimulator } from '../../../src/services/substrates.ts'

/** nice values of this process's tasks (threads), from /proc (field 19 of stat; the name may hold spaces). */
const taskNices = () => readdirSync('/proc/self/task').map((t) => Number(readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' ')[16]))

describe('ThreadedSim', () => {
  const cfg = TrainConfig.parse({ epochs: 2, batchSize: 16, seed: 1, evalEvery: 0, optimiser: { kind: 'adam' }, lr: 0.02 })

  for (const model of ['xy', 'ising'] as const) {
    it(`trains a ${model} network to exactly the parameters of the same simulator in this thread`, async () => {
      const net = asModel(buildNetwork(parseBuilderString('layered:4,6,3'), { inputs: 4, outputs: 3 }, 2), model)
      const one = openSimulator(net, {}, { reads: 2, sweeps: 20 })
      const two = new ThreadedSim(net, {}, { reads: 2, sweeps: 20 })
      try {
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

  it('throws a bad option at once, where the caller can answer 400', () => {
    const net = asModel(buildNetwork(parseBuilderString('layered:4,6,3'), { inputs: 4, outputs: 3 }, 2), 'ising')
    assert.throws(() => new ThreadedSim(net, { noise: { sigma: 0.1 } }), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /sim/.test(e.message))
  })

  it('computes in a thread below this one by the nice steps asked for', { skip: process.platform !== 'linux' ? 'per-thread priorities are a Linux feature' : false }, async () => {
    const base = taskNices()[0]
    // a nice value no other test here uses, so the thread is a new one
    const steps = 7
    assert.ok(!taskNices().includes(base + steps))
    const net = buildNetwork(parseBuilderString('lattice:3x3'), { inputs: 2, outputs: 1 }, 1)
    const sim = new ThreadedSim(net, {}, undefined, { nice: steps })
    try {
      await sim.getParams()
      assert.ok(taskNices().includes(Math.min(19, base + steps)), 'a task of this process runs at the lowered priority')
      assert.equal(taskNices()[0], base, 'the main thread keeps its priority')
    } finally {
      await sim.close()
    }
  })
})
