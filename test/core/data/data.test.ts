import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  DATASETS,
  irisDataset,
  loadDataset,
  predictClass,
  targetClass,
  xorDataset,
  type Split,
} from '../../../src/core/data/index.ts'

const H = Math.PI / 2

function counts(s: Split, classes: number): number[] {
  const c = new Array<number>(classes).fill(0)
  for (const l of s.label) c[l]++
  return c
}

describe('xorDataset', () => {
  it('has the paper order of inputs and targets', () => {
    const d = xorDataset()
    assert.equal(d.nIn, 2)
    assert.equal(d.nOut, 1)
    assert.equal(d.classes, 2)
    assert.deepEqual([...d.train.x], [-H, -H, -H, H, H, -H, H, H])
    assert.deepEqual([...d.train.y], [-H, H, H, -H])
    assert.deepEqual([...d.train.label], [0, 1, 1, 0])
    assert.deepEqual(d.test, d.train)
  })

  it('labels agree with the readout of its targets', () => {
    const d = xorDataset()
    for (let r = 0; r < 4; r++) assert.equal(targetClass(d.train.y, r, 1), d.train.label[r])
  })
})

describe('irisDataset', () => {
  const d = irisDataset(0)

  it('has 120 train and 30 test rows of 4 inputs and 3 outputs', () => {
    assert.equal(d.nIn, 4)
    assert.equal(d.nOut, 3)
    assert.equal(d.classes, 3)
    assert.equal(d.train.rows, 120)
    assert.equal(d.test.rows, 30)
    assert.equal(d.train.x.length, 120 * 4)
    assert.equal(d.train.y.length, 120 * 3)
    assert.equal(d.test.x.length, 30 * 4)
    assert.equal(d.test.label.length, 30)
  })

  it('stratifies: 40 train and 10 test rows per class', () => {
    assert.deepEqual(counts(d.train, 3), [40, 40, 40])
    assert.deepEqual(counts(d.test, 3), [10, 10, 10])
  })

  it('scales train features to [-pi/2, pi/2], reaching both ends per feature', () => {
    for (let f = 0; f < 4; f++) {
      let lo = Infinity, hi = -Infinity
      for (let r = 0; r < d.train.rows; r++) { lo = Math.min(lo, d.train.x[r * 4 + f]); hi = Math.max(hi, d.train.x[r * 4 + f]) }
      assert.ok(Math.abs(lo + H) < 1e-12 && Math.abs(hi - H) < 1e-12, `feature ${f}: [${lo}, ${hi}]`)
    }
    assert.ok(d.test.x.every(Number.isFinite))
  })

  it('targets are +pi/2 on the true class and -pi/2 elsewhere', () => {
    for (const s of [d.train, d.test]) {
      for (let r = 0; r < s.rows; r++) {
        for (let k = 0; k < 3; k++) assert.equal(s.y[r * 3 + k], k === s.label[r] ? H : -H)
        assert.equal(targetClass(s.y, r * 3, 3), s.label[r])
      }
    }
  })

  it('is deterministic by seed and splits differently for another seed', () => {
    assert.deepEqual(irisDataset(0), d)
    const other = irisDataset(1)
    assert.notDeepEqual(other.test.x, d.test.x)
    assert.deepEqual(counts(other.test, 3), [10, 10, 10])
  })

  it('takes round(testFraction * count) per class', () => {
    const e = irisDataset(0, 0.3)
    assert.deepEqual(counts(e.test, 3), [15, 15, 15])
    assert.throws(() => irisDataset(0, 1), RangeError)
  })
})

describe('readout', () => {
  it('picks the output with the largest sin(phi), reading at an offset', () => {
    const phi = new Float64Array([9, 9, 0.1, 9, -H, H + 2 * Math.PI, 3])
    assert.equal(predictClass(phi, 2, [2, 3, 4]), 1)
    assert.equal(predictClass(phi, 2, new Uint32Array([0, 2, 4])), 2)
    assert.equal(predictClass(phi, 0, [2, 4]), 0)
  })

  it('reads one output as class 1 when sin(phi) > 0', () => {
    assert.equal(predictClass(new Float64Array([0, 1]), 0, [1]), 1)
    assert.equal(predictClass(new Float64Array([0, -1]), 0, [1]), 0)
    assert.equal(predictClass(new Float64Array([0, 3 * H]), 0, [1]), 0)
  })
})

describe('dataset registry', () => {
  it('loads every registered dataset by name', () => {
    // the image tasks (paper scale) need their sources registered: test/core/data/images.test.ts
    for (const [name, e] of Object.entries(DATASETS)) if (!('sizes' in e)) assert.equal(loadDataset(name, 0).name, name)
  })

  it('throws a RangeError listing the known names for an unknown one', () => {
    assert.throws(() => loadDataset('cifar10', 0), (e: unknown) => e instanceof RangeError && /known: xor, iris/.test(e.message))
    assert.throws(() => loadDataset('toString', 0), RangeError)
  })
})
