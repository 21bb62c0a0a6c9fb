// The study's figures: the statistics they draw (Wilson interval, quartiles, mean curves) and the PNGs a
// tiny study writes next to its table, which must be real pictures that change when the results do.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createCanvas, loadImage } from '@napi-rs/canvas'
import { GROUP_COLOURS, niceTicks } from '../../src/services/plots/study-charts.ts'
import { parseStudyConfig } from '../../src/services/study/config.ts'
import { entryGroup, meanCurve, quartiles, STUDY_FIGURE_NAMES } from '../../src/services/study/figures.ts'
import { wilsonInterval } from '../../src/services/study/report.ts'
import { runStudy, runStudySeed } from '../../src/services/study/run.ts'

const dir = mkdtempSync(join(tmpdir(), 'eqprop-study-figures-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** Width and height from the IHDR chunk, after checking the PNG signature. */
function pngSize(b: Buffer): { width: number; height: number } {
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature')
  assert.equal(b.subarray(12, 16).toString('latin1'), 'IHDR')
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
}

/** How many pixels are within tol of each colour (#rrggbb), and how many are not white. */
async function colourCounts(png: Buffer, colours: string[], tol = 40): Promise<{ counts: number[]; inked: number; total: number }> {
  const img = await loadImage(png)
  const c = createCanvas(img.width, img.height)
  const g = c.getContext('2d')
  g.drawImage(img, 0, 0)
  const d = g.getImageData(0, 0, img.width, img.height).data
  const rgb = colours.map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)))
  const counts = colours.map(() => 0)
  let inked = 0
  for (let p = 0; p < d.length; p += 4) {
    if (d[p] < 250 || d[p + 1] < 250 || d[p + 2] < 250) inked++
    rgb.forEach(([r, gg, b], k) => { if (Math.abs(d[p] - r) + Math.abs(d[p + 1] - gg) + Math.abs(d[p + 2] - b) <= tol) counts[k]++ })
  }
  return { counts, inked, total: img.width * img.height }
}

describe('study statistics for the figures', () => {
  it('gives the Wilson 95% interval of a proportion', () => {
    // k = 0 of 10: [0, z^2 / (n + z^2)]; 5 of 10: 0.5 -+ 0.2634; 10 of 10 mirrors 0 of 10
    const [a, b] = wilsonInterval(0, 10)
    assert.equal(a, 0)
    assert.ok(Math.abs(b - 3.8415 / 13.8415) < 1e-4, `${b}`)
    const [c, d] = wilsonInterval(5, 10)
    assert.ok(Math.abs(c - 0.2366) < 1e-3 && Math.abs(d - 0.7634) < 1e-3, `${c} ${d}`)
    const [e, f] = wilsonInterval(10, 10)
    assert.ok(Math.abs(e - (1 - b)) < 1e-12 && Math.abs(f - 1) < 1e-12, `${e} ${f}`)
    assert.deepEqual(wilsonInterval(0, 0), [0, 1])
  })

  it('gives quartiles by linear interpolation and none for no values', () => {
    assert.deepEqual(quartiles([4, 1, 3, 2, 5]), [2, 3, 4])
    assert.deepEqual(quartiles([10, 20]), [12.5, 15, 17.5])
    assert.equal(quartiles([]), null)
  })

  it('averages curves on an epoch grid, a stopped run keeping its last value and a missing value skipped', () => {
    const c = meanCurve([
      { epoch: [1, 2, 3, 4], value: [0.4, 0.3, 0.2, 0.1] },
      { epoch: [1, 2], value: [0.6, null] }, // stopped after epoch 2, whose value was not finite
    ], [1, 2, 3, 4])
    assert.deepEqual(c.mean.map((v) => Number(v.toFixed(6))), [0.5, 0.45, 0.4, 0.35])
    assert.equal(c.seeds, 2)
    assert.ok(c.lo.every((v, k) => v <= c.mean[k] && c.hi[k] >= c.mean[k]))
    // a grid point before any record is NaN, not zero
    assert.ok(Number.isNaN(meanCurve([{ epoch: [10], value: [1] }], [5, 10]).mean[0]))
  })

  it('picks round tick values and groups entries by builder kind, substrate and dynamics', () => {
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
    assert.deepEqual(niceTicks(0, 300, 4), [0, 100, 200, 300])
    const e = (x: object) => parseStudyConfig({ name: 'g', entries: [{ label: 'a', task: 'xor', seeds: 1, network: 'lattice:3x3', ...x }] }, 'g').entries[0]
    assert.equal(entryGroup(e({})), 'lattice')
    assert.equal(entryGroup(e({ dynamics: 'reference' })), 'lattice reference')
    assert.equal(entryGroup(e({ network: 'layered:2,4,1', substrate: 'oim' })), 'layered oim')
  })
})

const TINY = {
  name: 'tiny-figures',
  entries: [
    { label: 'a2a6', network: 'all-to-all:6:std=0.7:bias=random', task: 'xor', epochs: 12, seeds: 2, batchSize: 4, mInit: 2, evalEvery: 4, target: { metric: 'distance', value: 0.3 } },
    { label: 'lat3', network: 'lattice:3x3', task: 'xor', epochs: 12, seeds: [3, 5], batchSize: 4, optimiser: 'adam', lr: 0.05, estimator: 'frozen-nudge', evalEvery: 4, target: { metric: 'distance', value: 0.3 } },
  ],
}

describe('study figures', () => {
  const out = join(dir, 'tiny')
  const config = parseStudyConfig(TINY, 'tiny')
  const read = () => Object.fromEntries(STUDY_FIGURE_NAMES.map((n) => [n, readFileSync(join(out, `${n}.png`))]))
  let first: Record<string, Buffer>

  it('a tiny study writes every figure as a PNG with ink in each entry\'s group colour', async () => {
    const partial: boolean[] = []
    const r = await runStudy(config, { outDir: out, workers: 1, onRun: (_run, done) => { if (done === 1) partial.push(existsSync(join(out, 'curves.png'))) } })
    assert.deepEqual(partial, [true], 'figures are written with the first partial table')
    assert.deepEqual(r.figures.map((p) => p.slice(out.length + 1)).sort(), STUDY_FIGURE_NAMES.map((n) => `${n}.png`).sort())
    first = read()
    for (const [name, png] of Object.entries(first)) {
      const { width, height } = pngSize(png)
      assert.ok(width >= 400 && width <= 2000 && height >= 250 && height <= 2000, `${name}: ${width}x${height}`)
      const { counts, inked, total } = await colourCounts(png, [GROUP_COLOURS[0], GROUP_COLOURS[1]])
      // all-to-all in the first colour, the lattice in the second: bars, dots or curves of both are drawn
      assert.ok(counts[0] > 30 && counts[1] > 30, `${name}: ${counts} pixels in the group colours`)
      assert.ok(inked > 0.02 * total && inked < 0.6 * total, `${name}: ${inked} of ${total} pixels differ from white`)
    }
    // each run carries its curve: one value per epoch trained, test accuracy at every 4th epoch
    const run = JSON.parse(readFileSync(join(out, 'lat3-seed3.json'), 'utf8'))
    assert.equal(run.curve.epoch.length, run.epochs)
    assert.deepEqual(run.curve.testEpoch, [4, 8, 12].filter((e) => e <= run.epochs))
    assert.equal(run.curve.distance.at(-1), run.train.distance)
  })

  it('draws the same bytes for the same results and different ones when a result changes', async () => {
    await runStudy(config, { outDir: out, workers: 1 })
    assert.deepEqual(read(), first, 'a resumed study with nothing to train redraws identical figures')
    // one seed of the lattice now reaches the target later and ends with a different accuracy and D
    const f = join(out, 'lat3-seed5.json'), run = JSON.parse(readFileSync(f, 'utf8'))
    writeFileSync(f, JSON.stringify({
      ...run, epochsToTarget: 9, test: { accuracy: 0.25, distance: 0.45 }, train: { accuracy: 0.25, distance: 0.29 },
      curve: { ...run.curve, distance: run.curve.distance.map((d: number) => d / 2) },
    }))
    await runStudy(config, { outDir: out, workers: 1 })
    const again = read()
    for (const name of STUDY_FIGURE_NAMES) assert.notDeepEqual(again[name], first[name], `${name}.png changed`)
  })

  it('draws run files written before curves were recorded, and no figure before the first run', async () => {
    const old = join(dir, 'old')
    const cfg = parseStudyConfig({ name: 'old', entries: [{ ...TINY.entries[1], seeds: [3] }] }, 'old')
    const run = await runStudySeed(cfg.entries[0], 3)
    const { curve: _c, ...noCurve } = run
    const { mkdirSync } = await import('node:fs')
    mkdirSync(old, { recursive: true })
    writeFileSync(join(old, 'lat3-seed3.json'), JSON.stringify(noCurve))
    const r = await runStudy(cfg, { outDir: old, workers: 1 })
    assert.deepEqual(r.figures.map((p) => p.slice(old.length + 1)).sort(), ['accuracy.png', 'distance.png', 'epochs.png', 'reached.png'], 'no curves to draw')
    const { writeStudyFigures } = await import('../../src/services/study/figures.ts')
    assert.deepEqual(writeStudyFigures(join(dir, 'none'), cfg, []), [])
  })

  it('caps the training and test rows per class of an image-free task as train/test --per-class do', async () => {
    const cfg = parseStudyConfig({ name: 'cap', entries: [{ label: 'iris', network: 'layered:4,4,3', task: 'iris', epochs: 1, seeds: 1, trainPerClass: 5, testPerClass: 2, evalEvery: 1 }] }, 'cap')
    const events: number[] = []
    const run = await runStudySeed(cfg.entries[0], 0, 1, { onStart: (_n, rows) => events.push(rows), onEvent: (e) => { if (e.type === 'eval') events.push(e.metrics.samples) } })
    assert.deepEqual(events, [15, 6], '5 training and 2 test rows of each of the 3 classes')
    assert.equal(run.curve?.testEpoch.length, 1)
    const reg = parseStudyConfig({ name: 'r', entries: [{ label: 'r', network: 'layered:2,4,1', task: 'sine-product', epochs: 1, seeds: 1, testPerClass: 2 }] }, 'r')
    await assert.rejects(runStudySeed(reg.entries[0], 0), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /testPerClass/.test(e.message))
  })
})
