import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { describe, it } from 'node:test'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { asModel } from '../../src/services/substrates.ts'
import { AUTO_WORKERS_MIN_EDGES, resolveWorkers, TrainJob } from '../../src/services/training.ts'

const big = buildNetwork(parseBuilderString('layered:196,120,10'), { inputs: 196, outputs: 10 }, 1)
const small = buildNetwork(parseBuilderString('layered:4,8,3'), { inputs: 4, outputs: 3 }, 1)
const job = (o: object = {}) => TrainJob.parse({ task: 'digits', train: { batchSize: 64 }, ...o })

describe('resolveWorkers', () => {
  it("'auto' is the default, and explicit counts pass through", () => {
    assert.equal(job().workers, 'auto')
    assert.equal(resolveWorkers(job({ workers: 3 }), small), 3)
  })

  it("'auto' uses every core on a big network, one thread where threads cannot help or would change results", () => {
    assert.ok(big.edges.length >= AUTO_WORKERS_MIN_EDGES && small.edges.length < AUTO_WORKERS_MIN_EDGES)
    const cores = availableParallelism()
    assert.equal(resolveWorkers(job(), big), cores >= 2 ? cores : 1)
    assert.equal(resolveWorkers(job(), small), 1)
    assert.equal(resolveWorkers(job({ train: { batchSize: 1 } }), big), 1)
    assert.equal(resolveWorkers(job({ fleet: 2 }), big), 1)
    assert.equal(resolveWorkers(job({ sim: { drift: 0.01 } }), big), 1)
    assert.equal(resolveWorkers(job(), asModel(big, 'ising')), 1)
  })

  it('refuses a bad count naming the field', () => {
    assert.throws(() => job({ workers: 0 }), /workers/)
    assert.throws(() => job({ workers: 'many' }), /workers/)
  })
})
