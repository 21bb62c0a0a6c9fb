import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Network } from '../../../src/core/network/network.ts'
import {
  buildNetwork,
  countCouplings,
  describeNetwork,
  formatBuilderSpec,
  parseBuilderString,
  type BuilderSpecInput,
} from '../../../src/core/topology/index.ts'

const IO = { inputs: 2, outputs: 1 }

function noDuplicates(net: Network): boolean {
  const keys = new Set(net.edges.map(([i, j]) => `${Math.min(i, j)}-${Math.max(i, j)}`))
  return keys.size === net.edges.length
}

function std(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length)
}

describe('topology builders', () => {
  const cases: [string, BuilderSpecInput, number][] = [
    ['15x15 lattice, 4 neighbours', { kind: 'lattice', rows: 15, cols: 15 }, 420],
    ['15x15 lattice, 8 neighbours', { kind: 'lattice', rows: 15, cols: 15, neighbours: 8 }, 812],
    ['5x5 lattice with skip 2', { kind: 'lattice', rows: 5, cols: 5, skips: [2] }, 40 + 2 * 5 * 3],
    ['3x4 lattice, 8 neighbours, skips 2,3', { kind: 'lattice', rows: 3, cols: 4, neighbours: 8, skips: [2, 3] }, 9 + 8 + 2 * 6 + (3 * 2 + 1 * 4) + (3 * 1 + 0)],
    ['all-to-all 6', { kind: 'all-to-all', nodes: 6 }, 15],
    ['all-to-all 40', { kind: 'all-to-all', nodes: 40 }, 780],
    ['layered 2,4,3,1', { kind: 'layered', sizes: [2, 4, 3, 1] }, 8 + 12 + 3],
  ]
  for (const [name, spec, count] of cases) {
    it(`${name} has ${count} couplings, no duplicates, and passes Network.parse`, () => {
      const net = buildNetwork(spec, IO, 1)
      assert.equal(countCouplings(net), count)
      assert.ok(noDuplicates(net))
      assert.deepEqual(Network.parse(net), net)
    })
  }

  it('gives identical networks for the same seed and different weights for another', () => {
    for (const [, spec] of cases) {
      assert.deepEqual(buildNetwork(spec, IO, 7), buildNetwork(spec, IO, 7))
      assert.notDeepEqual(buildNetwork(spec, IO, 7).weights, buildNetwork(spec, IO, 8).weights)
    }
  })

  it('puts all-to-all inputs first and outputs last', () => {
    const net = buildNetwork({ kind: 'all-to-all', nodes: 6 }, { inputs: 2, outputs: 3 }, 0)
    assert.deepEqual(net.inputs, [0, 1])
    assert.deepEqual(net.outputs, [3, 4, 5])
  })

  it('couples only consecutive layers and numbers nodes layer by layer', () => {
    const net = buildNetwork({ kind: 'layered', sizes: [2, 3, 1] }, IO, 0)
    assert.equal(net.nodes, 6)
    assert.deepEqual(net.inputs, [0, 1])
    assert.deepEqual(net.outputs, [5])
    const layer = (v: number) => (v < 2 ? 0 : v < 5 ? 1 : 2)
    for (const [i, j] of net.edges) assert.equal(layer(j) - layer(i), 1)
  })

  it('maps the paper sites on 15x15 to node ids r*15+c and sets the grid layout', () => {
    const net = buildNetwork(parseBuilderString('lattice:15x15:in=6,6;7,10:out=10,8'), IO, 0)
    assert.deepEqual(net.inputs, [6 * 15 + 6, 7 * 15 + 10])
    assert.deepEqual(net.outputs, [10 * 15 + 8])
    assert.deepEqual(net.layout, { kind: 'grid', rows: 15, cols: 15 })
  })

  it('defaults lattice sites to row 0 from the left and the last row at the right', () => {
    const net = buildNetwork({ kind: 'lattice', rows: 5, cols: 5 }, IO, 0)
    assert.deepEqual(net.inputs, [0, 1])
    assert.deepEqual(net.outputs, [24])
  })

  it('scales default lattice weights by 1/sqrt(bonds per family), and a given std overrides', () => {
    const net = buildNetwork({ kind: 'lattice', rows: 15, cols: 15 }, IO, 3)
    const s = std(net.weights.slice(0, 210))
    assert.ok(Math.abs(s - 1 / Math.sqrt(210)) < 0.015, `std ${s}`)
    const big = buildNetwork({ kind: 'lattice', rows: 15, cols: 15, weightStd: 2 }, IO, 3)
    assert.ok(Math.abs(std(big.weights) - 2) < 0.3)
  })

  it('shifts every coupling by a given mean and leaves the draws otherwise unchanged', () => {
    const plain = buildNetwork({ kind: 'lattice', rows: 15, cols: 15, weightStd: 0.1 }, IO, 3)
    const ferro = buildNetwork({ kind: 'lattice', rows: 15, cols: 15, weightStd: 0.1, weightMean: 0.3 }, IO, 3)
    ferro.weights.forEach((w, k) => assert.ok(Math.abs(w - plain.weights[k] - 0.3) < 1e-12))
    assert.deepEqual(ferro.bias, plain.bias)
    const dense = buildNetwork({ kind: 'layered', sizes: [2, 30, 1], weightMean: -0.2 }, IO, 1)
    const mean = dense.weights.reduce((a, b) => a + b, 0) / dense.weights.length
    assert.ok(Math.abs(mean + 0.2) < 0.1, `mean ${mean}`)
  })

  it('omits the bias for bias zero, draws directions only by default, and h in [-0.5,0.5) too for bias random', () => {
    assert.equal(buildNetwork({ kind: 'all-to-all', nodes: 5, bias: 'zero' }, IO, 0).bias, undefined)
    const dflt = buildNetwork({ kind: 'all-to-all', nodes: 5 }, IO, 0)
    assert.ok(dflt.bias)
    assert.ok(dflt.bias.h.every((h) => h === 0))
    assert.ok(dflt.bias.psi.every((p) => p >= -Math.PI && p < Math.PI))
    assert.ok(new Set(dflt.bias.psi).size === 5)
    const net = buildNetwork({ kind: 'all-to-all', nodes: 5, bias: 'random' }, IO, 0)
    assert.ok(net.bias)
    assert.ok(net.bias.h.every((h) => h >= -0.5 && h < 0.5))
    assert.ok(net.bias.psi.every((p) => p >= -Math.PI && p < Math.PI))
    Network.parse(net)
  })

  it('describes a network by its counts', () => {
    const net = buildNetwork({ kind: 'layered', sizes: [2, 4, 1] }, IO, 0)
    assert.deepEqual(describeNetwork(net), { nodes: 7, couplings: 12, inputs: 2, outputs: 1, parameters: 12 + 2 * 7 })
  })
})

describe('topology spec errors', () => {
  const bad: [string, BuilderSpecInput, { inputs: number; outputs: number }, RegExp][] = [
    ['a site outside the grid', { kind: 'lattice', rows: 15, cols: 15, inputSites: [[6, 6], [20, 3]] }, IO, /^RangeError: inputSites\.1: \(20,3\) is outside the 15x15 grid/],
    ['too few sites', { kind: 'lattice', rows: 15, cols: 15, inputSites: [[6, 6]] }, IO, /inputSites: 1 sites given but the task has 2 inputs/],
    ['a site listed twice', { kind: 'lattice', rows: 5, cols: 5, outputSites: [[4, 4], [4, 4]] }, { inputs: 2, outputs: 2 }, /outputSites\.1: \(4,4\) listed twice/],
    ['an output on an input site', { kind: 'lattice', rows: 5, cols: 5, outputSites: [[0, 1]] }, IO, /outputSites\.0: \(0,1\) is also an input site/],
    ['a lattice too narrow for the default sites', { kind: 'lattice', rows: 2, cols: 2 }, { inputs: 3, outputs: 1 }, /cols: 2 columns cannot hold the 3 default input sites/],
    ['a repeated skip', { kind: 'lattice', rows: 5, cols: 5, skips: [2, 2] }, IO, /skips\.1: 2 listed twice/],
    ['a skip of 1', { kind: 'lattice', rows: 5, cols: 5, skips: [1] }, IO, /skips\.0/],
    ['layer sizes that do not match the task', { kind: 'layered', sizes: [3, 4, 1] }, IO, /sizes\.0: 3 does not match the task's 2 inputs/],
    ['a last layer that does not match', { kind: 'layered', sizes: [2, 4, 2] }, IO, /sizes\.2: 2 does not match the task's 1 outputs/],
    ['too few all-to-all nodes', { kind: 'all-to-all', nodes: 2 }, IO, /nodes: 2 cannot hold 2 inputs \+ 1 outputs/],
    ['a negative std', { kind: 'all-to-all', nodes: 5, weightStd: -1 }, IO, /weightStd/],
    ['an unknown field', { kind: 'all-to-all', nodes: 5, extra: 1 } as unknown as BuilderSpecInput, IO, /extra/],
  ]
  for (const [name, spec, io, re] of bad) {
    it(`throws a RangeError naming the field for ${name}`, () => {
      assert.throws(() => buildNetwork(spec, io, 0), (e: unknown) => e instanceof RangeError && re.test(String(e)))
    })
  }
})

describe('parseBuilderString', () => {
  it('parses each CLI form', () => {
    assert.deepEqual(parseBuilderString('all-to-all:6'), { kind: 'all-to-all', nodes: 6 })
    assert.deepEqual(parseBuilderString('layered:2,4,1'), { kind: 'layered', sizes: [2, 4, 1] })
    assert.deepEqual(parseBuilderString('lattice:5x5'), { kind: 'lattice', rows: 5, cols: 5, neighbours: 4, skips: [] })
    assert.deepEqual(parseBuilderString('lattice:15x15:n8'), { kind: 'lattice', rows: 15, cols: 15, neighbours: 8, skips: [] })
    assert.deepEqual(parseBuilderString('lattice:15x15:skip=2,3:in=6,6;7,10:out=10,8'), {
      kind: 'lattice', rows: 15, cols: 15, neighbours: 4, skips: [2, 3], inputSites: [[6, 6], [7, 10]], outputSites: [[10, 8]],
    })
    assert.deepEqual(parseBuilderString('all-to-all:6:bias=random:std=0.1'), { kind: 'all-to-all', nodes: 6, weightStd: 0.1, bias: 'random' })
  })

  it('round-trips through formatBuilderSpec', () => {
    for (const s of [
      'all-to-all:6', 'layered:2,4,1', 'lattice:5x5', 'lattice:15x15:n8',
      'lattice:15x15:skip=2,3:in=6,6;7,10:out=10,8', 'lattice:15x15:n8:skip=2:std=0.1:bias=random', 'layered:4,8,3:std=0.25',
      'lattice:15x15:in=6,6;7,10:out=10,8:std=0.05:mean=0.2', 'stacked:2x5x5:mean=-0.1',
    ]) {
      assert.equal(formatBuilderSpec(parseBuilderString(s)), s)
      assert.deepEqual(parseBuilderString(formatBuilderSpec(parseBuilderString(s))), parseBuilderString(s))
    }
  })

  for (const s of ['', 'ring:5', 'all-to-all', 'all-to-all:x', 'layered:2,,1', 'layered:2', 'lattice:5', 'lattice:5x5:in=1', 'lattice:5x5:n6',
    'all-to-all:6:n8', 'all-to-all:6:std=abc', 'all-to-all:6:bias=maybe', 'all-to-all:6:std=1:std=2', 'lattice:5x5:skip=1', 'lattice:5x5:mean=', 'lattice:5x5:mean=x']) {
    it(`rejects '${s}' with a RangeError listing the accepted forms`, () => {
      assert.throws(() => parseBuilderString(s), (e: unknown) => e instanceof RangeError && /accepted forms/.test(e.message))
    })
  }
})
