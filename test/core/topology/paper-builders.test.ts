import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Network } from '../../../src/core/network/network.ts'
import {
  buildNetwork, convAxis, describeNetwork, formatBuilderSpec, lclShapes, parseBuilderString, type BuilderSpecInput,
} from '../../../src/core/topology/index.ts'

function noDuplicates(net: Network): boolean {
  return new Set(net.edges.map(([i, j]) => `${Math.min(i, j)}-${Math.max(i, j)}`)).size === net.edges.length
}

describe('stacked lattice builder', () => {
  const cases: [string, BuilderSpecInput, { inputs: number; outputs: number }, number][] = [
    // 3 layers of 4x5, 4 neighbours: 3 * (4*4 + 3*5) in-layer; 2 * (3+4+3)(4+5+4) for radius 1
    ['3x4x5, n4, radius 1', { kind: 'stacked', layers: 3, rows: 4, cols: 5 }, { inputs: 2, outputs: 1 }, 3 * 31 + 2 * 130],
    ['2x3x3, no in-layer bonds, radius 0', { kind: 'stacked', layers: 2, rows: 3, cols: 3, neighbours: 0, radius: 0 }, { inputs: 3, outputs: 1 }, 9],
    ['2x3x3, n8, radius 1', { kind: 'stacked', layers: 2, rows: 3, cols: 3, neighbours: 8 }, { inputs: 9, outputs: 2 }, 2 * (12 + 8) + 49],
    ['1x5x5 (a plain lattice)', { kind: 'stacked', layers: 1, rows: 5, cols: 5 }, { inputs: 2, outputs: 1 }, 40],
  ]
  for (const [name, spec, io, count] of cases) {
    it(`${name} has ${count} couplings, no duplicates, and passes Network.parse`, () => {
      const net = buildNetwork(spec, io, 1)
      assert.equal(net.edges.length, count)
      assert.ok(noDuplicates(net))
      Network.parse(net)
    })
  }

  it('bonds only nearby sites of the same or the next layer, and draws the stack as one (L*R) x C grid', () => {
    const net = buildNetwork({ kind: 'stacked', layers: 3, rows: 4, cols: 5, radius: 1 }, { inputs: 20, outputs: 3 }, 0)
    assert.deepEqual(net.layout, { kind: 'grid', rows: 12, cols: 5 })
    assert.deepEqual(net.inputs, Array.from({ length: 20 }, (_, k) => k))
    assert.deepEqual(net.outputs, [57, 58, 59])
    for (const [i, j] of net.edges) {
      const li = Math.floor(i / 20), lj = Math.floor(j / 20)
      const [ri, ci, rj, cj] = [Math.floor((i % 20) / 5), i % 5, Math.floor((j % 20) / 5), j % 5]
      assert.ok(lj - li === 0 || lj - li === 1, `edge ${i}-${j} skips a layer`)
      assert.ok(Math.abs(ri - rj) <= 1 && Math.abs(ci - cj) <= 1, `edge ${i}-${j} is not local`)
      if (lj === li) assert.equal(Math.abs(ri - rj) + Math.abs(ci - cj), 1)
    }
  })

  it('refuses a layer too small for the task', () => {
    assert.throws(() => buildNetwork({ kind: 'stacked', layers: 2, rows: 2, cols: 2 }, { inputs: 5, outputs: 1 }, 0), /cannot hold the task's 5 inputs/)
  })
})

describe('LCL builder (locally connected, no weight sharing)', () => {
  const IO10 = { inputs: 64, outputs: 10 }
  const cases: [string, BuilderSpecInput, { inputs: number; outputs: number }, number][] = [
    // C_out * H' * W' * C_in * k * k local bonds (facts §4.5) + dense to the outputs
    ['8x8 -> 4x6x6 (k3 s1) -> 10', { kind: 'lcl', height: 8, width: 8, layers: [{ channels: 4, kernel: 3, stride: 1 }] }, IO10, 4 * 36 * 9 + 144 * 10],
    ['8x8 -> 2x3x3 (k4 s2) -> 10', { kind: 'lcl', height: 8, width: 8, layers: [{ channels: 2, kernel: 4, stride: 2 }] }, IO10, 2 * 9 * 16 + 18 * 10],
    ['8x8 -> 2x6x6 -> 3x3x3 -> 10', { kind: 'lcl', height: 8, width: 8, layers: [{ channels: 2, kernel: 3, stride: 1 }, { channels: 3, kernel: 2, stride: 2 }] }, IO10, 2 * 36 * 9 + 27 * 2 * 4 + 27 * 10],
    // same padding, 6 -> 3 with k3 s2: windows cover 3, 3 and 2 real pixels per axis
    ['6x6 same-padded -> 1x3x3 (k3 s2) -> 2', { kind: 'lcl', height: 6, width: 6, layers: [{ channels: 1, kernel: 3, stride: 2 }], padding: 'same' }, { inputs: 36, outputs: 2 }, 8 * 8 + 9 * 2],
  ]
  for (const [name, spec, io, count] of cases) {
    it(`${name} has ${count} couplings, no duplicates, and passes Network.parse`, () => {
      const net = buildNetwork(spec, io, 2)
      assert.equal(net.edges.length, count)
      assert.ok(noDuplicates(net))
      Network.parse(net)
    })
  }

  it('couples hidden site (channel o, y, x) to exactly the k x k input window at stride s', () => {
    const net = buildNetwork({ kind: 'lcl', height: 8, width: 8, layers: [{ channels: 2, kernel: 3, stride: 2 }] }, IO10, 0)
    // H' = 3; node of channel 1, y 2, x 1 = 64 + (1*3 + 2)*3 + 1
    const site = 64 + (1 * 3 + 2) * 3 + 1
    const window = net.edges.filter(([, j]) => j === site).map(([i]) => i).sort((a, b) => a - b)
    const want: number[] = []
    for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) want.push((4 + dy) * 8 + 2 + dx)
    assert.deepEqual(window, want)
    assert.deepEqual(net.outputs, Array.from({ length: 10 }, (_, k) => 64 + 18 + k))
  })

  it('computes valid and same output sizes like a convolution', () => {
    assert.deepEqual(convAxis(28, 4, 2, 'valid'), { out: 13, pad: 0 })
    assert.deepEqual(convAxis(28, 4, 2, 'same'), { out: 14, pad: 1 })
    assert.deepEqual(lclShapes({ kind: 'lcl', height: 28, width: 28, layers: [{ channels: 3, kernel: 4, stride: 2 }], padding: 'same' }).map((s) => [s.channels, s.height, s.width]), [[1, 28, 28], [3, 14, 14]])
    assert.throws(() => buildNetwork({ kind: 'lcl', height: 4, width: 4, layers: [{ channels: 1, kernel: 5, stride: 1 }] }, { inputs: 16, outputs: 1 }, 0), /layers\.0: kernel 5 does not fit/)
    assert.throws(() => buildNetwork({ kind: 'lcl', height: 4, width: 4, layers: [{ channels: 1, kernel: 2, stride: 1 }] }, { inputs: 15, outputs: 1 }, 0), /16 pixels but the task has 15 inputs/)
  })

  it('reports couplings and trainable parameters (couplings + h, psi per node)', () => {
    const net = buildNetwork({ kind: 'lcl', height: 8, width: 8, layers: [{ channels: 4, kernel: 3, stride: 1 }] }, IO10, 0)
    assert.deepEqual(describeNetwork(net), { nodes: 218, couplings: 2736, inputs: 64, outputs: 10, parameters: 2736 + 2 * 218 })
    const plain = buildNetwork({ kind: 'lcl', height: 8, width: 8, layers: [{ channels: 4, kernel: 3, stride: 1 }], bias: 'zero' }, IO10, 0)
    assert.equal(describeNetwork(plain).parameters, 2736)
  })
})

describe('parseBuilderString (paper scale forms)', () => {
  it('parses stacked and lcl strings with defaults', () => {
    assert.deepEqual(parseBuilderString('stacked:3x4x5'), { kind: 'stacked', layers: 3, rows: 4, cols: 5, neighbours: 4, radius: 1 })
    assert.deepEqual(parseBuilderString('stacked:2x8x8:n0:r=2'), { kind: 'stacked', layers: 2, rows: 8, cols: 8, neighbours: 0, radius: 2 })
    assert.deepEqual(parseBuilderString('lcl:8x8:c4k3s1'), { kind: 'lcl', height: 8, width: 8, layers: [{ channels: 4, kernel: 3, stride: 1 }], padding: 'valid' })
    assert.deepEqual((parseBuilderString('lcl:28x28:c3k4s2,c8k3s2:pad=same:std=0.1') as { layers: unknown }).layers, [{ channels: 3, kernel: 4, stride: 2 }, { channels: 8, kernel: 3, stride: 2 }])
  })

  it('round-trips through formatBuilderSpec', () => {
    for (const s of ['stacked:3x4x5', 'stacked:2x8x8:n8:r=0', 'stacked:2x8x8:n0', 'lcl:8x8:c4k3s1', 'lcl:28x28:c3k4s2,c8k3s2:pad=same:std=0.1:bias=zero']) {
      assert.equal(formatBuilderSpec(parseBuilderString(s)), s)
    }
  })

  for (const s of ['stacked:3x4', 'stacked:2x4x4:n6', 'stacked:2x4x4:r=x', 'stacked:2x4x4:skip=2', 'lcl:8x8', 'lcl:8x8:c4k3', 'lcl:8:c1k1s1', 'lcl:8x8:c1k1s1:pad=full', 'lcl:8x8:c0k3s1']) {
    it(`rejects '${s}' with a RangeError listing the accepted forms`, () => {
      assert.throws(() => parseBuilderString(s), (e: unknown) => e instanceof RangeError && /accepted forms/.test(e.message))
    })
  }
})
