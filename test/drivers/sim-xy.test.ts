import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import { compileXy, xyEnergy } from '../../src/core/physics/xy.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

const lattice = buildNetwork({ kind: 'lattice', rows: 4, cols: 4, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 2 }, 5)

substrateContract('simulated XY lattice', async () => new SimXySubstrate(lattice))
substrateContract('simulated XY lattice, 16-level couplings in [-1, 1], maxBatch 2', async () =>
  new SimXySubstrate(lattice, { coupling: { min: -1, max: 1, levels: 16 }, maxBatch: 2, solver: 'fire-newton' }))

describe('SimXySubstrate', () => {
  it('refuses a delta of the wrong length, naming the field, and changes nothing', async () => {
    const sub = new SimXySubstrate(lattice)
    const before = await sub.getParams()
    const m = lattice.edges.length
    await assert.rejects(sub.updateParams({ weights: new Float64Array(m + 1) }), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /weights/.test(e.message))
    await assert.rejects(sub.updateParams({ weights: new Float64Array(m), psi: new Float64Array(2) }), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /psi/.test(e.message))
    assert.deepEqual(await sub.getParams(), before)
    const after = await sub.updateParams({ weights: new Float64Array(m).fill(-0.0625), psi: new Float64Array(lattice.nodes).fill(0.5) })
    const { min, max } = sub.info.ranges.coupling
    for (let k = 0; k < m; k++) assert.equal(after.weights[k], Math.min(Math.max(before.weights[k] - 0.0625, min), max))
    for (let i = 0; i < lattice.nodes; i++) assert.equal(after.psi![i], before.psi![i] + 0.5)
  })

  it('quantises and clips couplings like a board with a 4-level DAC', async () => {
    const sub = new SimXySubstrate(lattice, { coupling: { min: -0.6, max: 0.6, levels: 4 } })
    const m = lattice.edges.length
    const applied = await sub.setParams({ weights: Float64Array.from({ length: m }, (_, k) => (k % 2 ? 5 : 0.25)) })
    for (let k = 0; k < m; k++) assert.ok(Math.abs(applied.weights[k] - (k % 2 ? 0.6 : 0.2)) < 1e-15)
  })

  it('reports the internal energy of each returned state', async () => {
    const sub = new SimXySubstrate(lattice)
    const r = await sub.relax({ batch: 2, inputs: Float64Array.of(0.1, -0.2, 0.3, 0.4), phase: 'free', start: { kind: 'random', seed: 9 } })
    const net = compileXy(lattice)
    for (let b = 0; b < 2; b++) assert.ok(Math.abs(r.energy[b] - xyEnergy(net, r.states.subarray(b * net.n), 0)) < 1e-12)
  })

  it('draws each sample from its own stream, so a batch split into chunks relaxes identically', async () => {
    const sub = new SimXySubstrate(lattice)
    const inputs = Float64Array.of(0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8)
    const whole = await sub.relax({ batch: 4, inputs, phase: 'free', start: { kind: 'random', seed: 100 } })
    const second = await sub.relax({ batch: 2, inputs: inputs.subarray(4), phase: 'free', start: { kind: 'random', seed: 102 } })
    assert.deepEqual([...second.states], [...whole.states.subarray(2 * 16)])
  })

  it('applies an explicit nudge force (the frozen-nudge variant)', async () => {
    const sub = new SimXySubstrate(lattice)
    const free = await sub.relax({ batch: 1, inputs: Float64Array.of(0.5, -0.5), phase: 'free', start: { kind: 'random', seed: 2 } })
    const force = new Float64Array(16)
    force[lattice.outputs[0]] = 0.05
    const nudged = await sub.relax({ batch: 1, inputs: Float64Array.of(0.5, -0.5), phase: 'nudged', nudge: { kind: 'force', force }, start: { kind: 'given', states: free.states } })
    assert.ok(nudged.states[lattice.outputs[0]] > free.states[lattice.outputs[0]], 'a positive torque turns the output forward')
  })
})
