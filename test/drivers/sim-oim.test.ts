import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readoutLsb } from '../../drivers/sim/imperfections.ts'
import { SimOimSubstrate } from '../../drivers/sim/oim.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { compileOim, oimCost, oimEnergy } from '../../src/core/physics/oim.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

/** A builder network as an OIM: h from the builder's bias strengths, S = 0. */
const asOim = (net: Network): Network => ({ ...net, model: 'oim', bias: { h: net.bias?.h ?? new Array<number>(net.nodes).fill(0), psi: new Array<number>(net.nodes).fill(0) } })
const layered = asOim(buildNetwork({ kind: 'layered', sizes: [3, 5, 2], weightStd: 0.8, bias: 'random' }, { inputs: 3, outputs: 2 }, 5))

substrateContract('simulated OIM, layered 3-5-2', async () => new SimOimSubstrate(layered), { targets: 'cos' })
substrateContract('simulated OIM, 16-level couplings in [-1, 1], 6-bit readout, maxBatch 2', async () =>
  new SimOimSubstrate(layered, { coupling: { min: -1, max: 1, levels: 16 }, readoutBits: 6, maxBatch: 2 }), { stateLsb: readoutLsb(6), targets: 'cos' })

describe('SimOimSubstrate', () => {
  const inputs = Float64Array.of(0.5, -1, 0.25, 1, 0.1, -0.6)

  it('refuses a delta of the wrong length, naming the field, and changes nothing', async () => {
    const sub = new SimOimSubstrate(layered)
    const before = await sub.getParams()
    const m = layered.edges.length
    await assert.rejects(sub.updateParams({ weights: new Float64Array(m - 1).fill(0.1) }), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /weights/.test(e.message))
    await assert.rejects(sub.updateParams({ weights: new Float64Array(m).fill(0.1), s: new Float64Array(3) }), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /\bs\b/.test(e.message))
    assert.deepEqual(await sub.getParams(), before)
    // a good delta still moves the couplings by exactly its values (no clip at these sizes)
    const after = await sub.updateParams({ weights: new Float64Array(m).fill(0.125) })
    for (let k = 0; k < m; k++) assert.equal(after.weights[k], Math.min(Math.max(before.weights[k] + 0.125, sub.info.ranges.coupling.min), sub.info.ranges.coupling.max))
  })

  it('announces model oim, reads back S, and clips S to the bias range', async () => {
    const sub = new SimOimSubstrate(layered, { bias: { min: -1, max: 1, levels: 0 } })
    assert.equal(sub.info.model, 'oim')
    const p = await sub.setParams({ weights: new Float64Array(layered.edges.length).fill(0.2), h: new Float64Array(10).fill(0.1), s: Float64Array.from({ length: 10 }, (_, i) => (i % 2 ? 3 : -0.5)) })
    assert.deepEqual([...p.s!], Array.from({ length: 10 }, (_, i) => (i % 2 ? 1 : -0.5)))
    const d = await sub.updateParams({ weights: new Float64Array(layered.edges.length), s: new Float64Array(10).fill(0.25) })
    assert.deepEqual([...d.s!], Array.from({ length: 10 }, (_, i) => (i % 2 ? 1 : -0.25)))
  })

  it('keeps input values on clamped nodes and reports the internal energy of each state', async () => {
    const sub = new SimOimSubstrate(layered)
    const r = await sub.relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 9 } })
    const net = compileOim(layered)
    for (let b = 0; b < 2; b++) {
      layered.inputs.forEach((node, k) => assert.equal(r.states[b * 10 + node], inputs[b * 3 + k]))
      assert.ok(Math.abs(r.energy[b] - oimEnergy(net, r.states.subarray(b * 10), 0)) < 1e-12)
      assert.equal(r.settled[b], 1)
    }
  })

  it('lowers the output cost in the nudged phase (the h/S rewrite pulls cos(phi_out) toward y)', async () => {
    const sub = new SimOimSubstrate(layered)
    const free = await sub.relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 4 } })
    const net = compileOim(layered)
    // targets opposite to the free readout, so the nudge has work to do
    const targets = Float64Array.from({ length: 4 }, (_, k) => -Math.sign(Math.cos(free.states[Math.floor(k / 2) * 10 + layered.outputs[k % 2]])) || 1)
    const nudged = await sub.relax({ batch: 2, inputs, phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta: 0.5, targets }, start: { kind: 'given', states: free.states } })
    for (let b = 0; b < 2; b++) {
      const before = oimCost(net, free.states, b * 10, targets, b * 2), after = oimCost(net, nudged.states, b * 10, targets, b * 2)
      assert.ok(after < before - 1e-6, `sample ${b}: cost ${before} -> ${after}`)
    }
  })

  it('jitters around the equilibrium under seeded Langevin noise, reproducibly, keeping inputs clamped', async () => {
    const clean = await new SimOimSubstrate(layered).relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 4 } })
    const given = { batch: 2, inputs, phase: 'free' as const, start: { kind: 'given' as const, states: clean.states } }
    const noisy = (noiseSeed: number) => new SimOimSubstrate(layered, { noise: { sigma: 0.05 }, noiseSeed }).relax(given)
    const a = await noisy(1), a2 = await noisy(1), b = await noisy(2)
    assert.deepEqual([...a.states], [...a2.states])
    assert.notDeepEqual([...a.states], [...b.states])
    let d = 0
    for (let i = 0; i < a.states.length; i++) d = Math.max(d, Math.abs(Math.sin(a.states[i] - clean.states[i])))
    assert.ok(d > 1e-3 && d < 0.5, `max deviation ${d}`)
    for (let b2 = 0; b2 < 2; b2++) layered.inputs.forEach((node, k) => assert.equal(a.states[b2 * 10 + node], inputs[b2 * 3 + k]))
  })

  it('reaches >= 85% Iris test accuracy on an all-to-all 12 OIM (mean of 2 seeds; chance is 33%)', async () => {
    const acc: number[] = []
    for (const seed of [0, 1]) {
      const net = asOim(buildNetwork(parseBuilderString('all-to-all:12:std=0.5'), { inputs: 4, outputs: 3 }, seed))
      const tr = new Trainer(new SimOimSubstrate(net), net, loadDataset('iris', seed),
        TrainConfig.parse({ epochs: 60, seed, batchSize: 16, evalEvery: 0, estimator: 'symmetric', beta: 1, optimiser: { kind: 'adam' }, lr: 0.02 }))
      const f = await tr.train()
      acc.push(f?.accuracy ?? 0)
      const trained = tr.trainedNetwork()
      assert.equal(trained.model, 'oim')
      assert.ok(trained.shil!.some((s) => s !== 0), 'S was trained')
    }
    assert.ok((acc[0] + acc[1]) / 2 >= 0.85, `test accuracies ${acc}`)
  })
})
