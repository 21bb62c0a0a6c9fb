// End-to-end training on the tasks beyond classification: a regression task (MSE, R^2) and a pattern
// task (whole patterns right), each on the XY simulator with a fixed seed, CI-sized (a few seconds).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { EqpError } from '../../src/errors.ts'
import { evaluateOnSimulator, trainOnSimulator } from '../../src/services/training.ts'

const net = (b: string, inputs: number, outputs: number) => buildNetwork(parseBuilderString(b), { inputs, outputs }, 1)

describe('regression and pattern tasks train end to end', () => {
  it('sine-product: layered 2-16-1 reaches test R^2 > 0.7 from an untrained R^2 below 0.3', async () => {
    const n = net('layered:2,16,1', 2, 1)
    const before = await evaluateOnSimulator(n, 'sine-product', { split: 'test', restarts: 1, seed: 1 })
    assert.ok(before.r2 !== undefined && before.r2 < 0.3, `untrained R^2 ${before.r2}`)
    const r = await trainOnSimulator(n, { task: 'sine-product', train: { epochs: 60, lr: 0.02, optimiser: { kind: 'adam' }, batchSize: 8, seed: 1, evalEvery: 0 }, workers: 1 })
    const f = r.final!
    assert.ok(f.r2 !== undefined && f.mse !== undefined, 'regression metrics reported')
    assert.ok(f.r2 > 0.7, `test R^2 ${f.r2}`)
    assert.ok(f.mse < 0.1, `test MSE ${f.mse} (targets scaled to [-1, 1])`)
    assert.ok(r.train?.r2 !== undefined && r.train.r2 > 0.7, `train R^2 ${r.train?.r2}`)
    assert.ok(f.mse < before.mse!, `MSE fell: ${before.mse} -> ${f.mse}`)
  })

  it('refuses trainPerClass on a regression task (no classes), naming the field', async () => {
    await assert.rejects(trainOnSimulator(net('layered:2,4,1', 2, 1), { task: 'sine-product', train: { epochs: 1 }, trainPerClass: 5 }),
      (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_BAD_INPUT' && /trainPerClass/.test(e.message) && /regression/.test(e.message))
  })

  it('patterns: layered 4-16-8 gets >= 90% of test patterns wholly right, from under 50% untrained', async () => {
    const n = net('layered:4,16,8', 4, 8)
    const before = await evaluateOnSimulator(n, 'patterns', { split: 'test', restarts: 1, seed: 1 })
    assert.ok(before.accuracy < 0.5, `untrained pattern accuracy ${before.accuracy}`)
    assert.equal(before.r2, undefined)
    const r = await trainOnSimulator(n, { task: 'patterns', train: { epochs: 15, lr: 0.02, optimiser: { kind: 'adam' }, batchSize: 8, seed: 1, evalEvery: 0 }, workers: 1 })
    const f = r.final!
    assert.ok(f.accuracy >= 0.9, `test pattern accuracy ${f.accuracy}`)
    assert.ok(f.mse !== undefined && f.mse < 0.05, `test MSE ${f.mse}`)
  })
})
