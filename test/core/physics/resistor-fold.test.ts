// Resistor coordinate descent with the input sources folded into per-node currents against the
// sweep over every edge: deterministic, so the same voltages to the last bits of summation order.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimResistorSubstrate } from '../../../drivers/sim/resistor.ts'
import type { RelaxRequest } from '../../../drivers/substrate.ts'
import type { Network } from '../../../src/core/network/network.ts'
import { compileResistor, compileResistorFold, foldResistorInputs, outputIndex, relaxResistor, relaxResistorFolded, resistorEnergy, resistorEnergyFolded } from '../../../src/core/physics/resistor.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'
import { asModel } from '../../../src/services/substrates.ts'
import { smallNetworks } from '../../support/networks.ts'

/** A builder network as a resistor network with random bias currents (seeded). */
function asResistor(net: Network, seed: number): Network {
  const rng = new Rng(seed)
  const r = asModel(net, 'resistor')
  return { ...r, bias: { h: Array.from({ length: r.nodes }, () => rng.uniform(-0.2, 0.2)), psi: new Array<number>(r.nodes).fill(0) } }
}

const NETS: { name: string; net: Network }[] = [
  { name: 'layered 6-8-3', net: asResistor(buildNetwork({ kind: 'layered', sizes: [6, 8, 3], weightStd: 0.8, bias: 'random' }, { inputs: 6, outputs: 3 }, 1), 11) },
  { name: 'layered 30-12-7-4', net: asResistor(buildNetwork({ kind: 'layered', sizes: [30, 12, 7, 4], weightStd: 0.5, bias: 'random' }, { inputs: 30, outputs: 4 }, 2), 12) },
  // input and free neighbours interleave in the adjacency here, so summation order changes
  ...smallNetworks(3).filter((s) => !s.name.startsWith('layered')).map((s, k) => ({ name: s.name, net: asResistor(s.net, 13 + k) })),
]

describe('resistor input fold', () => {
  for (const { name, net: desc } of NETS) {
    it(`${name}: folded sweeps give the unfolded voltages and sweep counts (free, cost and current nudges)`, () => {
      const net = compileResistor(desc), fold = compileResistorFold(net), out = outputIndex(net)
      const rng = new Rng(5)
      const start = Float64Array.from({ length: net.n }, () => rng.uniform(-1, 1))
      const y = Float64Array.from(net.outputs, () => rng.uniform(-1, 1))
      const ext = Float64Array.from({ length: net.n }, () => rng.uniform(-0.1, 0.1))
      const cases: [string, number, Float64Array | null, Float64Array | null][] = [['free', 0, null, null], ['cost', 0.6, y, null], ['current', 0, null, ext]]
      for (const [what, beta, yy, ee] of cases) {
        const a = start.slice(), b = start.slice()
        const sa = relaxResistor(net, a, beta, yy, 0, ee, 0, 1e-12, 100_000, out)
        foldResistorInputs(net, fold, b)
        const sb = relaxResistorFolded(net, fold, b, beta, yy, 0, ee, 0, 1e-12, 100_000, out)
        assert.ok(sa.settled && sb.settled, `${what}: settled`)
        assert.equal(sb.sweeps, sa.sweeps, `${what}: sweeps`)
        for (let i = 0; i < net.n; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-12, `${what}: node ${i}: ${a[i]} vs ${b[i]}`)
        const ea = resistorEnergy(net, a, 0), eb = resistorEnergyFolded(net, fold, b)
        assert.ok(Math.abs(ea - eb) < 1e-12 * Math.max(1, Math.abs(ea)), `${what}: energy ${ea} vs ${eb}`)
        // the relaxation moved the free nodes (the comparison is not of two untouched starts)
        assert.ok(a.some((v, i) => !net.clamped[i] && Math.abs(v - start[i]) > 1e-3), `${what}: moved`)
      }
    })
  }

  it('folds input-input edges into the energy constant (a network with coupled inputs)', () => {
    // 2 inputs joined by a signed edge, both driving node 2; node 3 is the output
    const desc: Network = { model: 'resistor', nodes: 4, edges: [[0, 1], [0, 2], [1, 2], [2, 3]], weights: [-0.7, 0.4, -0.9, 0.5], inputs: [0, 1], outputs: [3], bias: { h: [0, 0, 0.1, -0.2], psi: [0, 0, 0, 0] } }
    const net = compileResistor(desc), fold = compileResistorFold(net)
    const v = Float64Array.of(0.3, -0.8, 0.6, -0.1)
    foldResistorInputs(net, fold, v)
    assert.ok(Math.abs(resistorEnergyFolded(net, fold, v) - resistorEnergy(net, v, 0)) < 1e-15)
    assert.ok(fold.ccEdge.length === 1 && fold.ffEdge.length === 1)
  })

  it('is bit-identical on a layered net (input edges first in every adjacency list)', () => {
    const net = compileResistor(NETS[1].net), fold = compileResistorFold(net), out = outputIndex(net)
    const rng = new Rng(6)
    const a = Float64Array.from({ length: net.n }, () => rng.uniform(-1, 1)), b = a.slice()
    relaxResistor(net, a, 0, null, 0, null, 0, 1e-9, 20_000, out)
    foldResistorInputs(net, fold, b)
    relaxResistorFolded(net, fold, b, 0, null, 0, null, 0, 1e-9, 20_000, out)
    assert.deepEqual([...b], [...a])
  })

  it('SimResistorSubstrate fold on/off: same states, energies and sweeps, after a parameter update too', async () => {
    const desc = NETS[1].net
    const on = new SimResistorSubstrate(desc), off = new SimResistorSubstrate(desc, { fold: false })
    const rng = new Rng(9)
    const B = 3, nIn = desc.inputs.length, nOut = desc.outputs.length
    const inputs = Float64Array.from({ length: B * nIn }, () => rng.uniform(-1, 1))
    const targets = Float64Array.from({ length: B * nOut }, () => rng.uniform(-1, 1))
    const check = async (req: RelaxRequest) => {
      const a = await off.relax(req), b = await on.relax(req)
      for (let i = 0; i < a.states.length; i++) assert.ok(Math.abs(a.states[i] - b.states[i]) < 1e-12, `state ${i}`)
      assert.deepEqual([...b.steps], [...a.steps])
      for (let s = 0; s < B; s++) assert.ok(Math.abs(a.energy[s] - b.energy[s]) < 1e-12)
      return a
    }
    const free = await check({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 4 } })
    await check({ batch: B, inputs, phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta: 0.5, targets }, start: { kind: 'given', states: free.states } })
    const d = { weights: Float64Array.from({ length: desc.edges.length }, () => rng.uniform(-0.2, 0.2)), h: Float64Array.from({ length: desc.nodes }, () => rng.uniform(-0.1, 0.1)) }
    await on.updateParams(d); await off.updateParams(d)
    await check({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 8 } })
  })
})
