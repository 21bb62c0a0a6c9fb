import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createCanvas, loadImage } from '@napi-rs/canvas'
import { xorDataset } from '../../src/core/data/index.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { trainCommand } from '../../src/cli/commands/train.ts'
import { divergingColour, phaseColour } from '../../src/services/plots/colours.ts'
import { CURVE_SIZE, drawCouplings, drawGridHeatmap, drawTrainingCurve, gridGeometry } from '../../src/services/plots/draw.ts'
import { CurveRecorder, equilibriumPhases, responseField, writeRunPlots } from '../../src/services/plots/run-plots.ts'
import { SimOimSubstrate } from '../../drivers/sim/oim.ts'
import { asModel, withInputValues } from '../../src/services/substrates.ts'

const H = Math.PI / 2
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** Width and height from the IHDR chunk, after checking the PNG signature. */
function pngSize(b: Uint8Array): { width: number; height: number } {
  assert.deepEqual([...b.subarray(0, 8)], SIGNATURE)
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return { width: v.getUint32(16, false), height: v.getUint32(20, false) }
}

async function pixel(png: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const img = await loadImage(png)
  const c = createCanvas(img.width, img.height)
  const g = c.getContext('2d')
  g.drawImage(img, 0, 0)
  const d = g.getImageData(Math.round(x), Math.round(y), 1, 1).data
  return [d[0], d[1], d[2]]
}

const near = (a: number[], b: number[], tol = 3) => a.every((v, i) => Math.abs(v - b[i]) <= tol)

describe('colour maps', () => {
  it('gives +pi/2 and -pi/2 clearly different colours and treats -pi and +pi as one', () => {
    const a = phaseColour(H), b = phaseColour(-H)
    assert.ok(a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) > 200, `${a} vs ${b}`)
    assert.deepEqual(phaseColour(Math.PI), phaseColour(-Math.PI))
    assert.deepEqual(phaseColour(0.3), phaseColour(0.3 + 2 * Math.PI))
    assert.deepEqual(divergingColour(0), [247, 247, 247])
    assert.ok(divergingColour(1)[0] > divergingColour(1)[2] && divergingColour(-1)[2] > divergingColour(-1)[0])
  })
})

describe('drawGridHeatmap', () => {
  it('writes a PNG of the expected size with each cell in the colour of its phase', async () => {
    const rows = 3, cols = 4
    const v = new Float64Array(rows * cols)
    v[0] = H; v[1 * cols + 2] = -H
    const png = drawGridHeatmap(v, rows, cols, { title: 'test', scale: 'phase' })
    const geo = gridGeometry(rows, cols)
    assert.deepEqual(pngSize(png), { width: geo.width, height: geo.height })
    const at = (r: number, c: number) => pixel(png, geo.x0 + (c + 0.5) * geo.cell, geo.y0 + (r + 0.5) * geo.cell)
    const up = await at(0, 0), down = await at(1, 2)
    assert.ok(near(up, phaseColour(H)), `${up}`)
    assert.ok(near(down, phaseColour(-H)), `${down}`)
    assert.notDeepEqual(up, down)
  })

  it('refuses a value count that does not fill the grid', () => {
    assert.throws(() => drawGridHeatmap([1, 2, 3], 2, 2, { title: 'x', scale: 'signed' }), /3 entries for a 2x2 grid/)
  })
})

describe('drawCouplings', () => {
  it('draws a positive horizontal bond red and a negative vertical bond blue between their sites', async () => {
    const net = buildNetwork({ kind: 'lattice', rows: 3, cols: 3, bias: 'zero' }, { inputs: 1, outputs: 1 }, 0)
    net.weights = net.edges.map(([i, j]) => (i === 4 && j === 5 ? 1 : i === 4 && j === 7 ? -1 : 0))
    const png = drawCouplings(net, 'bonds')
    const geo = gridGeometry(3, 3)
    assert.deepEqual(pngSize(png), { width: geo.width, height: geo.height })
    // midpoints of bond (1,1)-(1,2) and bond (1,1)-(2,1), a quarter cell away from any dot
    const h = await pixel(png, geo.x0 + 2 * geo.cell, geo.y0 + 1.5 * geo.cell)
    const vert = await pixel(png, geo.x0 + 1.5 * geo.cell, geo.y0 + 2 * geo.cell)
    assert.ok(near(h, divergingColour(1)), `horizontal ${h}`)
    assert.ok(near(vert, divergingColour(-1)), `vertical ${vert}`)
  })

  it('draws more couplings than Math.max takes as arguments (a 784-500-10 network has 397,000)', () => {
    // 156,240 bonds: spreading them into Math.max overflowed the call stack (train --plots on MNIST)
    const net = buildNetwork({ kind: 'lattice', rows: 280, cols: 280, bias: 'zero' }, { inputs: 1, outputs: 1 }, 0)
    assert.ok(net.weights.length > 150_000)
    const geo = gridGeometry(280, 280)
    assert.deepEqual(pngSize(drawCouplings(net, 'many bonds')), { width: geo.width, height: geo.height })
    const geo2 = gridGeometry(400, 400)
    assert.deepEqual(pngSize(drawGridHeatmap(new Float64Array(400 * 400).fill(-0.5), 400, 400, { title: 'x', scale: 'signed' })), { width: geo2.width, height: geo2.height })
  })

  it('draws the coupling matrix of a network without a grid layout', () => {
    const net = buildNetwork({ kind: 'layered', sizes: [2, 3, 1] }, { inputs: 2, outputs: 1 }, 0)
    const geo = gridGeometry(6, 6)
    assert.deepEqual(pngSize(drawCouplings(net, 'matrix')), { width: geo.width, height: geo.height })
  })
})

describe('drawTrainingCurve', () => {
  it('has the fixed size and puts the test accuracy dot where the axes say', async () => {
    const png = drawTrainingCurve([
      { epoch: 1, distance: 1, accuracy: 0.5, testAccuracy: 0.25 },
      { epoch: 2, distance: 0.1, accuracy: 1, testAccuracy: 0.75 },
    ], 'curve')
    assert.deepEqual(pngSize(png), { width: CURVE_SIZE.width, height: CURVE_SIZE.height })
    // accuracy panel: x from 80 (epoch 0) to 610 (last epoch), y = 310 + 200 * (1 - accuracy)
    assert.ok(near(await pixel(png, 610, 310 + 200 * 0.25), [214, 39, 40], 10))
    assert.ok(near(await pixel(png, 80 + 530 / 2, 310 + 200 * 0.75), [214, 39, 40], 10))
    assert.deepEqual(await pixel(png, 700, 100), [255, 255, 255])
  })
})

describe('equilibriumPhases', () => {
  it('relaxes an OIM network on the OIM simulator with its inputs clamped as the model clamps them', async () => {
    const net = withInputValues(asModel(buildNetwork({ kind: 'layered', sizes: [2, 4, 1] }, { inputs: 2, outputs: 1 }, 3), 'oim'), 'unit')
    const data = xorDataset()
    const drawn = await equilibriumPhases(net, data, 1, 7)
    const sub = new SimOimSubstrate(net, {})
    const x = data.test.x.slice(2, 4)
    const want = await sub.relax({ batch: 1, inputs: Float64Array.from(x, (v) => (1 + Math.sin(v)) / 2), phase: 'free', start: { kind: 'random', seed: 7 } })
    await sub.close()
    assert.deepEqual([...drawn], [...want.states])
    // input entries hold the clamped values: XOR sample 1 is (-pi/2, +pi/2) -> (0, 1) in unit values
    assert.deepEqual([...drawn.slice(0, 2)], [0, 1])
  })
})

describe('responseField', () => {
  it('is 1 at the perturbed input, 0 at the other clamped input, and nonzero on its bonded neighbour', async () => {
    const net = buildNetwork({ kind: 'lattice', rows: 3, cols: 3, weightStd: 1 }, { inputs: 2, outputs: 1 }, 4)
    const r = await responseField(net, xorDataset(), 0)
    assert.ok(Math.abs(r[0] - 1) < 1e-9, `input 0: ${r[0]}`)
    assert.equal(r[1], 0)
    assert.ok(Math.abs(r[3]) > 1e-4, `site (1,0): ${r[3]}`)
  })
})

describe('run plots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eqp-plots-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('records epochs and test evaluations from engine events', () => {
    const rec = new CurveRecorder()
    const seen: string[] = []
    const tap = rec.tap((e) => seen.push(e.type))
    const m = { distance: 0.5, cost: 0, accuracy: 0.75, settled: 1, dropped: 0, fallback: 0 }
    tap({ type: 'epoch', epoch: 1, epochs: 2, metrics: m, timeS: 0 })
    tap({ type: 'eval', epoch: 1, metrics: { split: 'test', accuracy: 1, distance: 0.1, cost: 0, settled: 1, samples: 4 } })
    assert.deepEqual(rec.points, [{ epoch: 1, distance: 0.5, accuracy: 0.75, testAccuracy: 1 }])
    assert.deepEqual(seen, ['epoch', 'eval'])
  })

  it('writes curve.png, phases.png, couplings.png and response.png for a lattice', async () => {
    const net = buildNetwork({ kind: 'lattice', rows: 4, cols: 4 }, { inputs: 2, outputs: 1 }, 3)
    const files = await writeRunPlots(join(dir, 'direct'), { network: net, data: xorDataset(), points: [{ epoch: 1, distance: 0.4, accuracy: 0.5 }], label: 'xor 4x4' })
    assert.deepEqual(files.map((f) => f.split('/').pop()), ['curve.png', 'phases.png', 'couplings.png', 'response.png'])
    const geo = gridGeometry(4, 4)
    assert.deepEqual(pngSize(readFileSync(files[1])), { width: geo.width, height: geo.height })
    assert.deepEqual(pngSize(readFileSync(files[2])), { width: geo.width, height: geo.height })
    // input site (0,0) is clamped at -pi/2 for XOR sample 0
    assert.ok(near(await pixel(readFileSync(files[1]), geo.x0 + 0.5 * geo.cell, geo.y0 + 0.5 * geo.cell), phaseColour(-H)))
  })

  it('eqprop-hil train --plots DIR writes the three pictures', async () => {
    const out = join(dir, 'cli')
    const write = process.stdout.write
    process.stdout.write = (() => true) as typeof process.stdout.write
    try {
      assert.equal(await trainCommand(['--task', 'xor', '--network', 'lattice:3x3', '--epochs', '2', '--json', '--out', join(out, 'net.json'), '--plots', out]), 0)
    } finally {
      process.stdout.write = write
    }
    for (const f of ['curve.png', 'phases.png', 'couplings.png', 'response.png']) {
      assert.ok(existsSync(join(out, f)), f)
      pngSize(readFileSync(join(out, f)))
    }
  })
})
