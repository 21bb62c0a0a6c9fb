import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimIsingSubstrate } from '../../drivers/sim/ising.ts'
import { SubstrateInfo } from '../../drivers/substrate.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import { Network } from '../../src/core/network/network.ts'
import { compileIsing, isingEnergy } from '../../src/core/physics/ising.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { replicateOutputs } from '../../src/core/topology/replicas.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { EqpError } from '../../src/errors.ts'
import { asModel, openSimulator } from '../../src/services/substrates.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

const layered = asModel(buildNetwork({ kind: 'layered', sizes: [3, 5, 2], weightStd: 0.5, bias: 'random' }, { inputs: 3, outputs: 2 }, 5), 'ising')

substrateContract('simulated Ising annealer, layered 3-5-2', async () => new SimIsingSubstrate(layered), { targets: 'spins' })
substrateContract('simulated Ising annealer, 16-level couplings, 4 reads, 5% variation, maxBatch 2', async () =>
  new SimIsingSubstrate(layered, { coupling: { min: -1, max: 1, levels: 16 }, reads: 4, maxBatch: 2, variation: 0.05, deviceSeed: 3 }), { targets: 'spins' })

/** An all-to-all spin glass on `n` free spins with one clamped input, J, h ~ U(-1, 1) from seed. */
function glass(n: number, seed: number): Network {
  const rng = new Rng(seed), edges: [number, number][] = []
  for (let i = 0; i <= n; i++) for (let j = i + 1; j <= n; j++) edges.push([i, j])
  return {
    model: 'ising', nodes: n + 1, edges, weights: edges.map(() => rng.uniform(-1, 1)), inputs: [0], outputs: [n],
    bias: { h: Array.from({ length: n + 1 }, () => rng.uniform(-1, 1)), psi: new Array<number>(n + 1).fill(0) },
  }
}

/** Lowest energy over all spin states (input at x), by enumeration. */
function groundEnergy(network: Network, x: number): number {
  const net = compileIsing(network), s = new Float64Array(net.n)
  s[0] = x
  let best = Infinity
  for (let mask = 0; mask < 1 << net.free.length; mask++) {
    net.free.forEach((i, q) => { s[i] = (mask >> q) & 1 ? 1 : -1 })
    best = Math.min(best, isingEnergy(net, s, 0))
  }
  return best
}

describe('SimIsingSubstrate', () => {
  it('announces model ising with an annealer info block and D-Wave-like ranges that parse', () => {
    const sub = new SimIsingSubstrate(layered, { reads: 3, sweeps: 50 })
    SubstrateInfo.parse(sub.info)
    assert.equal(sub.info.model, 'ising')
    assert.deepEqual(sub.info.ranges, { coupling: { min: -1, max: 1, levels: 0 }, bias: { min: -4, max: 4, levels: 0 } })
    assert.equal(sub.info.sampler?.kind, 'annealer')
    assert.equal(sub.info.sampler?.reads, 3)
    assert.equal(sub.info.sampler?.sweeps, 50)
  })

  it('clips J to [-1, 1] and h to [-4, 4]', async () => {
    const m = layered.edges.length, n = layered.nodes
    const sub = new SimIsingSubstrate(layered)
    const p = await sub.setParams({ weights: new Float64Array(m).fill(3), h: Float64Array.from({ length: n }, (_, i) => (i % 2 ? 9 : -0.5)) })
    assert.ok(p.weights.every((w) => w === 1))
    assert.deepEqual([...p.h!], Array.from({ length: n }, (_, i) => (i % 2 ? 4 : -0.5)))
  })

  it('returns +-1 spins on free nodes, inputs as given, and the internal energy of each returned state', async () => {
    const sub = new SimIsingSubstrate(layered, { reads: 2 })
    const inputs = Float64Array.of(0.5, -1, 0.25, 1, 0.1, -0.6), n = layered.nodes
    const r = await sub.relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 9 } })
    // the energy of the couplings as applied (clipped to [-1, 1])
    const p = await sub.getParams()
    const net = compileIsing({ ...layered, weights: [...p.weights], bias: { h: [...p.h!], psi: layered.bias!.psi } })
    for (let b = 0; b < 2; b++) {
      layered.inputs.forEach((node, k) => assert.equal(r.states[b * n + node], inputs[b * 3 + k]))
      for (const i of net.free) assert.ok(Math.abs(r.states[b * n + i]) === 1)
      assert.ok(Math.abs(r.energy[b] - isingEnergy(net, r.states, b * n)) < 1e-12)
      assert.equal(r.settled[b], 1)
      // two reads of the 100-sweep forward schedule
      assert.equal(r.steps[b], 200)
    }
  })

  it('finds the ground state of small random spin glasses at the end of a cold schedule (enumeration, 10 instances)', async () => {
    let found = 0
    for (let seed = 0; seed < 10; seed++) {
      const net = glass(8, seed)
      const sub = new SimIsingSubstrate(net, { reads: 4, sweeps: 200, coupling: { min: -1, max: 1, levels: 0 } })
      const r = await sub.relax({ batch: 1, inputs: Float64Array.of(0.3), phase: 'free', start: { kind: 'random', seed } })
      if (Math.abs(r.energy[0] - groundEnergy(net, 0.3)) < 1e-9) found++
    }
    assert.equal(found, 10)
  })

  it('samples the Boltzmann distribution over independent reads at a constant temperature (total variation < 0.03)', async () => {
    const network = glass(4, 11), net = compileIsing(network), T = 1.2, B = 20_000
    const sub = new SimIsingSubstrate(network, { betaHot: 1 / T, betaCold: 1 / T, sweeps: 20, maxBatch: B })
    const r = await sub.relax({ batch: B, inputs: new Float64Array(B).fill(-0.4), phase: 'free', start: { kind: 'random', seed: 1 } })
    const count = new Float64Array(16), p = new Float64Array(16), s = new Float64Array(net.n)
    s[0] = -0.4
    for (let mask = 0; mask < 16; mask++) {
      net.free.forEach((i, q) => { s[i] = (mask >> q) & 1 ? 1 : -1 })
      p[mask] = Math.exp(-isingEnergy(net, s, 0) / T)
    }
    const Z = p.reduce((a, b) => a + b, 0)
    for (let b = 0; b < B; b++) {
      let mask = 0
      net.free.forEach((i, q) => { if (r.states[b * net.n + i] > 0) mask |= 1 << q })
      count[mask]++
    }
    let tv = 0
    for (let k = 0; k < 16; k++) tv += 0.5 * Math.abs(count[k] / B - p[k] / Z)
    assert.ok(tv < 0.03, `total variation ${tv}`)
  })

  it('cuts the schedule at the sweep budget and reports the sample unsettled', async () => {
    const sub = new SimIsingSubstrate(layered, { sweeps: 100, reads: 2 })
    const r = await sub.relax({ batch: 1, inputs: Float64Array.of(0.1, 0.2, 0.3), phase: 'free', start: { kind: 'random', seed: 1 }, budget: { maxEvals: 150 } })
    assert.equal(r.steps[0], 150)
    assert.equal(r.settled[0], 0)
  })

  it('gives every read of a reverse anneal the same given state, so a cold reverse point returns it unchanged', async () => {
    const sub = new SimIsingSubstrate(layered, { reversePoint: 1, reverseHold: 0 })
    const n = layered.nodes, given = Float64Array.from({ length: n }, (_, i) => (i % 3 ? 1 : -1))
    const r = await sub.relax({ batch: 1, inputs: Float64Array.of(0.1, 0.2, 0.3), phase: 'free', start: { kind: 'given', states: given } })
    for (let i = 3; i < n; i++) assert.equal(r.states[i], given[i])
    assert.equal(r.steps[0], 0)
  })

  it('applies a fixed per-device coupling variation, the same for the same deviceSeed', async () => {
    const w = new Float64Array(layered.edges.length).fill(0.3)
    const a = await new SimIsingSubstrate(layered, { variation: 0.1, deviceSeed: 1 }).setParams({ weights: w })
    const a2 = await new SimIsingSubstrate(layered, { variation: 0.1, deviceSeed: 1 }).setParams({ weights: w })
    assert.deepEqual([...a.weights], [...a2.weights])
    assert.ok(a.weights.some((v) => Math.abs(v - 0.3) > 1e-3))
  })

  it('is opened for model ising by openSimulator, which refuses phase options and keeps D-Wave ranges for the unbounded default', () => {
    const sub = openSimulator(layered, { coupling: { min: -1e6, max: 1e6, levels: 0 } })
    assert.ok(sub instanceof SimIsingSubstrate)
    assert.equal(sub.info.ranges.coupling.max, 1)
    assert.throws(() => openSimulator(layered, { readoutBits: 4 }), (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_BAD_INPUT')
  })

  it('replicates outputs into groups that validate, nudge together and read out by their mean', async () => {
    const net = replicateOutputs(layered, 4, 1)
    Network.parse(net)
    assert.equal(net.nodes, layered.nodes + 2 * 3)
    assert.deepEqual(net.replicas?.map((g) => g.length), [3, 3])
    const sub = new SimIsingSubstrate(net)
    assert.deepEqual(sub.info.nudgeable, layered.outputs)
    const r = await sub.relax({ batch: 1, inputs: Float64Array.of(0.1, 0.2, 0.3), phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta: 8, targets: Float64Array.of(1, -1) }, start: { kind: 'random', seed: 2 } })
    // a field of 8 beats every local field (|J| <= 1 over at most 5 neighbours, |h| <= 0.5): each group takes its target
    for (const [k, o] of layered.outputs.entries()) for (const i of [o, ...net.replicas![k]]) assert.equal(r.states[i], k === 0 ? 1 : -1)
  })

  it('learns Iris above 80% test accuracy on layered 4-32-3 with 4 spins per class (mean of 2 seeds; chance is 33%)', async () => {
    const acc: number[] = []
    for (const seed of [0, 1]) {
      const data = loadDataset('iris', seed)
      const net = replicateOutputs(asModel(buildNetwork(parseBuilderString('layered:4,32,3'), { inputs: 4, outputs: 3 }, seed), 'ising'), 4, seed)
      const tr = new Trainer(new SimIsingSubstrate(net), net, data,
        TrainConfig.parse({ epochs: 60, seed, batchSize: 4, evalEvery: 0, estimator: 'one-sided', beta: 5, optimiser: { kind: 'adam' }, lr: 0.005 }))
      const f = await tr.train()
      acc.push(f?.accuracy ?? 0)
      assert.equal(tr.trainedNetwork().model, 'ising')
    }
    const mean = acc.reduce((a, b) => a + b, 0) / acc.length
    assert.ok(mean > 0.8, `test accuracies ${acc.join(', ')}`)
  })
})
