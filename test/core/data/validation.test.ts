import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { irisDataset, xorDataset } from '../../../src/core/data/index.ts'
import { holdOutValidation, pickRows } from '../../../src/core/data/validation.ts'

describe('holdOutValidation', () => {
  const iris = irisDataset(0)

  it('splits the training rows into two disjoint stratified parts and leaves the test split alone', () => {
    const { train, validation } = holdOutValidation(iris, 0.25, 7)
    assert.equal(train.rows + validation.rows, iris.train.rows)
    assert.equal(validation.rows, 30)
    for (let k = 0; k < 3; k++) assert.equal(Array.from(validation.label).filter((l) => l === k).length, 10)
    // every training row lands in exactly one part: compare the rows as strings of their inputs
    const key = (s: typeof train, r: number) => Array.from(s.x.subarray(r * 4, r * 4 + 4)).join(',')
    const all = Array.from({ length: iris.train.rows }, (_, r) => key(iris.train, r)).sort()
    const parts = [...Array.from({ length: train.rows }, (_, r) => key(train, r)), ...Array.from({ length: validation.rows }, (_, r) => key(validation, r))].sort()
    assert.deepEqual(parts, all)
  })

  it('is the same split for the same seed and another for another seed', () => {
    assert.deepEqual(holdOutValidation(iris, 0.2, 3).validation.x, holdOutValidation(iris, 0.2, 3).validation.x)
    assert.notDeepEqual(holdOutValidation(iris, 0.2, 3).validation.x, holdOutValidation(iris, 0.2, 4).validation.x)
  })

  it('refuses a fraction outside (0, 1) and one that leaves a split empty', () => {
    assert.throws(() => holdOutValidation(iris, 0, 0), RangeError)
    assert.throws(() => holdOutValidation(iris, 1, 0), RangeError)
    assert.throws(() => holdOutValidation(xorDataset(), 0.01, 0), /empty split/)
  })

  it('pickRows copies the chosen rows with their targets and labels', () => {
    const s = pickRows(iris.train, [5, 0])
    assert.deepEqual(Array.from(s.x.subarray(0, 4)), Array.from(iris.train.x.subarray(20, 24)))
    assert.deepEqual(Array.from(s.y.subarray(3, 6)), Array.from(iris.train.y.subarray(0, 3)))
    assert.deepEqual(Array.from(s.label), [iris.train.label[5], iris.train.label[0]])
  })
})
