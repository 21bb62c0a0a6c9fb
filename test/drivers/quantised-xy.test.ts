import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import { PHASE_LSB } from '../../firmware-protocol/ts/index.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

const lattice = buildNetwork({ kind: 'lattice', rows: 4, cols: 4, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 2 }, 5)

substrateContract('simulated XY lattice at board resolution', async () => new QuantisedXySubstrate(lattice), { stateLsb: PHASE_LSB, f32Params: true })

describe('QuantisedXySubstrate', () => {
  it('returns states on the 2^-13 rad grid, wrapped to (-pi, pi]', async () => {
    const sub = new QuantisedXySubstrate(lattice)
    const r = await sub.relax({ batch: 3, inputs: Float64Array.of(0.1, 3.1, -2, 2, 1, -1), phase: 'free', start: { kind: 'random', seed: 4 } })
    for (const x of r.states) {
      assert.ok(Number.isInteger(x / PHASE_LSB), `${x} is not a multiple of 2^-13`)
      assert.ok(x > -Math.PI - PHASE_LSB && x <= Math.PI + PHASE_LSB)
    }
  })

  it('stores parameters as f32 after clip and quantise, with psi wrapped', async () => {
    const sub = new QuantisedXySubstrate(lattice, { coupling: { min: -0.6, max: 0.6, levels: 4 } })
    const m = lattice.edges.length, n = lattice.nodes
    const p = await sub.setParams({ weights: Float64Array.from({ length: m }, (_, k) => (k % 2 ? 5 : 0.25)), h: new Float64Array(n).fill(0.1), psi: new Float64Array(n).fill(7) })
    for (let k = 0; k < m; k++) assert.equal(p.weights[k], Math.fround(k % 2 ? 0.6 : 0.2))
    for (const h of p.h!) assert.equal(h, Math.fround(0.1))
    for (const psi of p.psi!) assert.equal(psi, Math.fround(7 - 2 * Math.PI))
  })

  it('stays within readout resolution of the plain simulator (same physics)', async () => {
    const q = new QuantisedXySubstrate(lattice)
    const s = new SimXySubstrate(lattice)
    const req = { batch: 2, inputs: Float64Array.of(0.5, -0.5, 1, 0.25), phase: 'free' as const, start: { kind: 'random' as const, seed: 8 } }
    const a = await q.relax(req), b = await s.relax(req)
    for (let i = 0; i < a.states.length; i++) {
      const d = Math.abs(Math.atan2(Math.sin(a.states[i] - b.states[i]), Math.cos(a.states[i] - b.states[i])))
      assert.ok(d < 1e-3, `node ${i}: ${a.states[i]} vs ${b.states[i]}`)
    }
  })
})
