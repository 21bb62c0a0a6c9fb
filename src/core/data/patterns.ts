// Pattern generation (2402.08579 names it beside regression): each class maps to a fixed binary pattern
// of +-pi/2 rad over K outputs, so the network must set many outputs at once rather than pick one.
// Inputs are noisy class prototypes; accuracy counts samples whose whole pattern has every sign right.
import { Rng } from '../rng/rng.ts'
import type { Dataset, Split } from './dataset.ts'

const H = Math.PI / 2

/** Sizes of the built-in pattern task. */
export const PATTERNS = { classes: 4, nIn: 4, nOut: 8, trainPerClass: 16, testPerClass: 4, noise: 0.3 } as const

/**
 * The class patterns: classes x nOut signs (+-1), fixed (drawn from a constant seed, not the task's),
 * distinct, each with both signs, and with no output constant over all classes.
 */
export function classPatterns(classes: number, nOut: number): Int8Array {
  if (classes < 2 || nOut < 2 || classes > 2 ** nOut - 2) throw new RangeError(`patterns: ${classes} classes do not fit ${nOut} outputs`)
  const rng = new Rng(0x9a77e2)
  for (;;) {
    const p = Int8Array.from({ length: classes * nOut }, () => (rng.next() < 0.5 ? -1 : 1))
    const rows = Array.from({ length: classes }, (_, c) => p.subarray(c * nOut, (c + 1) * nOut).join())
    const mixed = Array.from({ length: classes }, (_, c) => new Set(p.subarray(c * nOut, (c + 1) * nOut)).size === 2).every(Boolean)
    const varied = Array.from({ length: nOut }, (_, k) => new Set(Array.from({ length: classes }, (_, c) => p[c * nOut + k])).size === 2).every(Boolean)
    if (new Set(rows).size === classes && mixed && varied) return p
  }
}

/**
 * The pattern task: class c's input prototype is +pi/2 on input c mod nIn and -pi/2 elsewhere, plus
 * Gaussian noise of `noise` rad per input (seeded); its target is pattern c as +-pi/2 rad.
 */
export function patternsDataset(seed = 0): Dataset {
  const { classes, nIn, nOut, trainPerClass, testPerClass, noise } = PATTERNS
  const pat = classPatterns(classes, nOut)
  const rng = new Rng(seed)
  const make = (perClass: number): Split => {
    const n = classes * perClass
    const x = new Float64Array(n * nIn), y = new Float64Array(n * nOut), label = new Int32Array(n)
    for (let r = 0; r < n; r++) {
      const c = r % classes
      for (let i = 0; i < nIn; i++) x[r * nIn + i] = (i === c % nIn ? H : -H) + noise * rng.normal()
      for (let k = 0; k < nOut; k++) y[r * nOut + k] = H * pat[c * nOut + k]
      label[r] = c
    }
    return { x, y, label, rows: n }
  }
  return { name: 'patterns', kind: 'patterns', nIn, nOut, classes, train: make(trainPerClass), test: make(testPerClass) }
}
