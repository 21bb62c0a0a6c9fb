// XOR as in the 2402 paper (facts §1.6): x in {-1,+1}^2 scaled by pi/2.
import type { Dataset, Split } from './dataset.ts'

const H = Math.PI / 2

/** XOR on phases: inputs ±pi/2 rad, target +pi/2 rad when they differ, else -pi/2; test = train. */
export function xorDataset(): Dataset {
  const x = new Float64Array([-H, -H, -H, H, H, -H, H, H])
  const y = new Float64Array([-H, H, H, -H])
  const label = new Int32Array([0, 1, 1, 0])
  const train: Split = { x, y, label, rows: 4 }
  // a copy, so a caller that mutates one split cannot corrupt the other
  const test: Split = { x: x.slice(), y: y.slice(), label: label.slice(), rows: 4 }
  return { name: 'xor', nIn: 2, nOut: 1, classes: 2, train, test }
}
