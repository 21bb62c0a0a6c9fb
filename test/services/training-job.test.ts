// The training job's cross-field checks.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { EqpError } from '../../src/errors.ts'
import { asModel } from '../../src/services/substrates.ts'
import { trainOnSimulator } from '../../src/services/training.ts'

describe('trainOnSimulator anneal', () => {
  it('refuses an anneal schedule for a network that is not an Ising network, naming the field', async () => {
    const net = asModel(buildNetwork(parseBuilderString('layered:4,6,3'), { inputs: 4, outputs: 3 }, 1), 'oim')
    await assert.rejects(trainOnSimulator(net, { task: 'iris', train: { epochs: 1 }, anneal: { sweeps: 10 } }),
      (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_BAD_INPUT' && /anneal/.test(e.message))
  })
})
