// CNN-like layers: the LCL geometry with `:tied` shares one kernel per layer; counts of couplings and of
// trainable values, the tied map, and the string form.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Network } from '../../../src/core/network/network.ts'
import { buildNetwork, countParameters, formatBuilderSpec, parseBuilderString } from '../../../src/core/topology/index.ts'

const IO10 = { inputs: 64, outputs: 10 }

describe('lcl ... :tied (CNN-like)', () => {
  const cases: [string, { inputs: number; outputs: number }, number, number][] = [
    // string, io, couplings (as LCL), trainable coupling values (kernels + dense)
    ['lcl:8x8:c2k4s2:tied', IO10, 2 * 9 * 16 + 18 * 10, 2 * 16 + 18 * 10],
    ['lcl:8x8:c4k3s1:tied', IO10, 4 * 36 * 9 + 144 * 10, 4 * 9 + 144 * 10],
    ['lcl:8x8:c2k3s1,c3k2s2:tied', IO10, 2 * 36 * 9 + 27 * 2 * 4 + 27 * 10, 2 * 9 + 3 * 2 * 4 + 27 * 10],
    // 4x4 'same' at stride 2, kernel 3: 2x2 sites, pad 0 on top/left; per axis site 0 sees 3 pixels and
    // site 1 only 2 (its last offset is padding), so 5 x 5 = 25 bonds, yet every offset is used: 9 values
    ['lcl:4x4:c1k3s2:pad=same:tied', { inputs: 16, outputs: 2 }, 25 + 4 * 2, 9 + 4 * 2],
  ]
  for (const [s, io, couplings, values] of cases) {
    it(`${s}: ${couplings} couplings, ${values} trainable coupling values`, () => {
      const net = buildNetwork(parseBuilderString(s), io, 0)
      Network.parse(net)   // tied edges carry equal weights, the schema checks it
      const c = countParameters(net)
      assert.equal(c.couplings, couplings)
      assert.equal(c.couplingParameters, values)
      assert.equal(c.parameters, values + 2 * net.nodes)
      // the same spec untied: same edges, one value per edge
      const plain = buildNetwork(parseBuilderString(s.replace(':tied', '')), io, 0)
      assert.deepEqual(plain.edges, net.edges)
      assert.equal(plain.tied, undefined)
      assert.equal(countParameters(plain).couplingParameters, couplings)
    })
  }

  it('ties bonds by (channel, input channel, kernel offset): same offset from different sites share, different offsets do not', () => {
    const net = buildNetwork(parseBuilderString('lcl:4x4:c1k2s1:tied:bias=zero'), { inputs: 16, outputs: 1 }, 0)
    const hidden0 = 16   // hidden site (0,0) of the 3x3 hidden layer; it sees pixels 0,1,4,5
    const idx = (i: number, j: number) => net.edges.findIndex(([a, b]) => a === i && b === j)
    const p = (i: number, j: number) => net.tied![idx(i, j)]
    assert.equal(p(0, hidden0), p(1, hidden0 + 1), 'offset (0,0) of sites (0,0) and (0,1)')
    assert.equal(p(5, hidden0), p(10, hidden0 + 4), 'offset (1,1) of sites (0,0) and (1,1)')
    assert.notEqual(p(0, hidden0), p(1, hidden0))
    assert.equal(countParameters(net).parameters, 4 + 9, 'no bias field: 4 kernel values and 9 dense bonds')
  })

  it('formats and parses back; rejects a value on tied', () => {
    for (const s of ['lcl:8x8:c4k3s1:tied', 'lcl:28x28:c3k4s2,c8k3s2:pad=same:tied:std=0.1']) assert.equal(formatBuilderSpec(parseBuilderString(s)), s)
    assert.throws(() => parseBuilderString('lcl:8x8:c4k3s1:tied=1'), /bad network string 'lcl:8x8:c4k3s1:tied=1': tied takes no value/)
    assert.throws(() => parseBuilderString('lattice:4x4:tied'), /unknown segment 'tied' for lattice/)
  })
})
