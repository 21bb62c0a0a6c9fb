// scikit-learn's 8x8 digits (1,797 images, pixels 0..16), the 2402.08579 digits task (facts §1.6, §5.2).
// Pixels go to pi*(x-8)/16 rad (imageDataset with max 16), targets one-hot to +-pi/2 rad.
import type { Dataset } from './dataset.ts'
import { imageDataset, type ImageSet } from './images.ts'
import { imageSource } from './sources.ts'

const CLASSES = 10
/** the reference's split, per class in file order: rows [0, TRAIN) train, [TRAIN, TRAIN + TEST) test */
export const SK_DIGITS_SPLIT = { trainPerClass: 100, testPerClass: 70 } as const

// keyed by the source's images, so a re-registered loader (tests) is not served a stale task
let memo: { set: ImageSet; data: Dataset } | null = null

/**
 * Row indices of the reference split: per class, the first 100 rows (file order) train and the next 70
 * test; rows past 170 of a class are unused. RangeError when a class has fewer than 170 rows.
 */
export function skDigitsSplit(labels: ArrayLike<number>): { train: number[]; test: number[] } {
  const { trainPerClass: a, testPerClass: b } = SK_DIGITS_SPLIT
  const seen = new Array<number>(CLASSES).fill(0)
  const train: number[] = [], test: number[] = []
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]
    if (!(l >= 0 && l < CLASSES)) throw new RangeError(`sk-digits labels.${i}: class ${l} is not in 0..9`)
    const k = seen[l]++
    if (k < a) train.push(i)
    else if (k < a + b) test.push(i)
  }
  seen.forEach((c, l) => { if (c < a + b) throw new RangeError(`sk-digits: class ${l} has ${c} rows, the split needs ${a + b}`) })
  return { train, test }
}

/** scikit-learn's 8x8 digits: 1,000 train / 700 test (the reference's fixed split; no seed); phases in rad. */
export function skDigitsDataset(): Dataset {
  const set = imageSource('sklearn-digits')
  if (memo?.set !== set) memo = { set, data: imageDataset('sk-digits', set, skDigitsSplit(set.labels), CLASSES) }
  return memo.data
}
