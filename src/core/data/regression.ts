// Regression tasks: continuous targets. Features are min-max scaled on the train split to [-pi/2, pi/2]
// rad (as Iris and uploaded tables); each target is min-max scaled on train to t in [-1, 1] and encoded
// as the phase asin(t), so sin(target phase) = t. The engine's cost (log-cos on XY phases) pulls an
// output's phase to asin(t); the metrics read MSE and R^2 on output values (XY sin phi) against t, in
// units of the scaled target (facts §1.7: sin phi is the readout direction).
import { Rng } from '../rng/rng.ts'
import type { Dataset, Split } from './dataset.ts'

const H = Math.PI / 2

/** Row indices of a random split by seed: round(testFraction * rows) test rows (at least 1 train row), source order kept. */
export function randomSplit(rows: number, testFraction: number, seed: number): { train: number[]; test: number[] } {
  if (!(testFraction >= 0 && testFraction < 1)) throw new RangeError(`testFraction: ${testFraction} is not in [0, 1)`)
  const idx = Array.from({ length: rows }, (_, i) => i)
  new Rng(seed).shuffle(idx)
  const nTest = Math.min(rows - 1, Math.round(testFraction * rows))
  return { train: idx.slice(nTest).sort((a, b) => a - b), test: idx.slice(0, nTest).sort((a, b) => a - b) }
}

/** Per-column [lo, hi] over the given rows. */
function ranges(v: number[][], rows: number[], cols: number): { lo: number[]; hi: number[] } {
  const lo = new Array<number>(cols).fill(Infinity), hi = new Array<number>(cols).fill(-Infinity)
  for (const i of rows) for (let c = 0; c < cols; c++) { lo[c] = Math.min(lo[c], v[i][c]); hi[c] = Math.max(hi[c], v[i][c]) }
  return { lo, hi }
}

/**
 * A regression Dataset from raw features [rows][nIn] and targets [rows][nOut]: features to [-pi/2, pi/2]
 * rad and targets to asin(t), t in [-1, 1], both scaled on train. Test targets outside the train range
 * are clipped to t = +-1 (asin has no value beyond), test features are not. Empty test: test = train.
 */
export function regressionDataset(name: string, features: number[][], targets: number[][], split: { train: number[]; test: number[] }): Dataset {
  const nIn = features[0]?.length ?? 0, nOut = targets[0]?.length ?? 0
  if (nIn < 1 || nOut < 1) throw new RangeError(`regression task '${name}' needs at least one feature and one target`)
  if (split.train.length < 2) throw new RangeError(`regression task '${name}' needs at least 2 training rows, got ${split.train.length}`)
  const f = ranges(features, split.train, nIn), t = ranges(targets, split.train, nOut)
  const encode = (rows: number[]): Split => {
    const n = rows.length
    const x = new Float64Array(n * nIn), y = new Float64Array(n * nOut), label = new Int32Array(n).fill(-1)
    rows.forEach((i, r) => {
      for (let c = 0; c < nIn; c++) {
        const span = f.hi[c] - f.lo[c]
        x[r * nIn + c] = span > 0 ? -H + (Math.PI * (features[i][c] - f.lo[c])) / span : 0
      }
      for (let c = 0; c < nOut; c++) {
        const span = t.hi[c] - t.lo[c]
        const s = span > 0 ? -1 + (2 * (targets[i][c] - t.lo[c])) / span : 0
        y[r * nOut + c] = Math.asin(Math.max(-1, Math.min(1, s)))
      }
    })
    return { x, y, label, rows: n }
  }
  const train = encode(split.train)
  const test = split.test.length ? encode(split.test) : { x: train.x.slice(), y: train.y.slice(), label: train.label.slice(), rows: train.rows }
  return { name, kind: 'regression', nIn, nOut, classes: 0, train, test }
}

/** Rows of the built-in regression task (train + test). */
export const SINE_PRODUCT_ROWS = 120

/**
 * y = sin(x1) * x2 with x1 uniform in [-pi/2, pi/2] and x2 uniform in [-1, 1], drawn by seed; a 80/20
 * random split by the same seed. Small on purpose: a 2-input, 1-output network learns it in seconds.
 */
export function sineProductDataset(seed = 0): Dataset {
  const rng = new Rng(seed)
  const x: number[][] = [], y: number[][] = []
  for (let i = 0; i < SINE_PRODUCT_ROWS; i++) {
    const x1 = rng.uniform(-H, H), x2 = rng.uniform(-1, 1)
    x.push([x1, x2])
    y.push([Math.sin(x1) * x2])
  }
  return regressionDataset('sine-product', x, y, randomSplit(SINE_PRODUCT_ROWS, 0.2, seed))
}
