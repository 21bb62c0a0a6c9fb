// The resistor contrast walked by dense block rows against the per-sample two-pass loop
// (resistorEdgeObservable, resistorBiasObservable): the same gradient sums to the last bit.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createResistorContrast } from '../../../src/core/eqprop/resistor-contrast.ts'
import { Network } from '../../../src/core/network/network.ts'
import { compileResistor, resistorBiasObservable, resistorEdgeObservable, type ResNet } from '../../../src/core/physics/resistor.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { buildNetwork, parseBuilderString } from '../../../src/core/topology/index.ts'
import { asModel } from '../../../src/services/substrates.ts'

/** The reference: per phase, per kept sample, every edge's observable then every node's, added as c * value. */
function reference(net: ResNet, terms: { states: Float64Array; c: number }[], B: number, withBias: boolean, g: Float64Array, keep: Uint8Array | null): void {
  const sw = new Float64Array(net.m), sh = new Float64Array(net.n)
  for (const { states, c } of terms) {
    if (c === 0) continue
    for (let b = 0; b < B; b++) {
      if (keep && !keep[b]) continue
      resistorEdgeObservable(net, states, b * net.n, sw)
      for (let k = 0; k < net.m; k++) g[k] += c * sw[k]
      if (withBias) {
        resistorBiasObservable(net, states, b * net.n, sh)
        for (let i = 0; i < net.n; i++) g[net.m + i] += c * sh[i]
      }
    }
  }
}

const signed = (net: Network, seed: number): Network => {
  // signed input weights (the +-x sources) and random conductances elsewhere
  const rng = new Rng(seed)
  return Network.parse({ ...net, weights: net.edges.map(([i, j]) => (net.inputs.includes(i) || net.inputs.includes(j) ? rng.uniform(-1, 1) : rng.uniform(0, 1))) })
}

const NETS: { name: string; net: Network }[] = [
  { name: 'layered 80-12-7-4 with gains (blocks walked by rows)', net: signed({ ...asModel(buildNetwork(parseBuilderString('layered:80,12,7,4'), { inputs: 80, outputs: 4 }, 1), 'resistor'), gain: { input: 2.5, layers: [1.5, 0.7] } }, 2) },
  { name: 'lattice 5x5 (edge by edge)', net: signed(asModel(buildNetwork(parseBuilderString('lattice:5x5'), { inputs: 3, outputs: 2 }, 3), 'resistor'), 4) },
]

describe('resistor contrast by block rows', () => {
  for (const { name, net: desc } of NETS) {
    it(`${name}: the per-sample loop's sums bit for bit (two phases, keep mask, bias)`, () => {
      const net = compileResistor(desc), B = 6, rng = new Rng(7)
      const phase = () => Float64Array.from({ length: B * net.n }, () => rng.uniform(-2, 2))
      const terms = [{ states: phase(), c: -1 / 0.3 }, { states: phase(), c: 1 / 0.3 }, { states: phase(), c: 0 }]
      const keep = Uint8Array.of(1, 0, 1, 1, 0, 1)
      const len = net.m + net.n
      const ref = new Float64Array(len).fill(0.125), got = ref.slice(), one = ref.slice()
      reference(net, terms, B, true, ref, keep)
      const cc = createResistorContrast(net)
      cc.accumulatePhases(terms, B, true, got, keep)
      for (const t of terms) cc.accumulate(t.states, B, t.c, true, one, keep)
      assert.deepEqual(got, ref)
      assert.deepEqual(one, ref)
      assert.ok(ref.some((v) => Math.abs(v - 0.125) > 1e-3), 'the sums moved')
      // without bias the node entries stay untouched
      const nb = new Float64Array(len)
      cc.accumulatePhases(terms, B, false, nb, null)
      assert.ok(nb.subarray(net.m).every((v) => v === 0))
    })
  }
})
