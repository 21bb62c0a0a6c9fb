// A validation split carved out of the training rows, so a checkpoint can be chosen without looking at the test split.
import type { Dataset, Split } from './dataset.ts'
import { stratifiedSplit } from './images.ts'

/** The rows of a split at the given indices, in that order. */
export function pickRows(s: Split, rows: readonly number[]): Split {
  const nIn = s.x.length / s.rows, nOut = s.y.length / s.rows
  const x = new Float64Array(rows.length * nIn), y = new Float64Array(rows.length * nOut), label = new Int32Array(rows.length)
  rows.forEach((r, k) => {
    x.set(s.x.subarray(r * nIn, (r + 1) * nIn), k * nIn)
    y.set(s.y.subarray(r * nOut, (r + 1) * nOut), k * nOut)
    label[k] = s.label[r]
  })
  return { x, y, label, rows: rows.length }
}

/**
 * Holds out `fraction` of the training rows (stratified by class, chosen by seed) as a validation
 * split: returns the shrunk training split and the validation split; the test split is untouched.
 */
export function holdOutValidation(data: Dataset, fraction: number, seed: number): { train: Split; validation: Split } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validation fraction ${fraction} is not in (0, 1)`)
  if (data.train.label.some((l) => l < 0 || l >= data.classes)) throw new RangeError(`task '${data.name}' has rows without a class, so no stratified validation split`)
  const { train, test } = stratifiedSplit(data.train.label, data.classes, fraction, seed)
  if (train.length === 0 || test.length === 0) throw new RangeError(`a validation fraction of ${fraction} leaves an empty split of ${data.train.rows} training rows`)
  return { train: pickRows(data.train, train), validation: pickRows(data.train, test) }
}
