import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { classPatterns, loadDataset, PATTERNS, patternsDataset, randomSplit, regressionDataset, sineProductDataset } from '../../../src/core/data/index.ts'

const H = Math.PI / 2

describe('regression tasks', () => {
  it('encodes features to [-pi/2, pi/2] and targets to asin(t), t in [-1, 1], both scaled on train', () => {
    const x = [[0, 5], [10, 5], [5, 5], [20, 5]], y = [[1], [3], [2], [5]]
    const d = regressionDataset('t', x, y, { train: [0, 1, 2], test: [3] })
    assert.deepEqual([d.kind, d.classes, d.nIn, d.nOut, d.train.rows, d.test.rows], ['regression', 0, 2, 1, 3, 1])
    assert.deepEqual([...d.train.x], [-H, 0, H, 0, 0, 0])
    assert.deepEqual([...d.train.y].map(Math.sin).map((v) => Math.round(v * 1e12) / 1e12), [-1, 1, 0])
    // a test target beyond the train range is clipped to t = 1; its feature is not clipped
    assert.equal(d.test.y[0], H)
    assert.equal(d.test.x[0], -H + Math.PI * 2)
    assert.deepEqual([...d.train.label], [-1, -1, -1])
    assert.throws(() => regressionDataset('t', x, y, { train: [0], test: [] }), /at least 2 training rows/)
  })

  it('splits at random by seed, keeping source order', () => {
    const a = randomSplit(10, 0.3, 1), b = randomSplit(10, 0.3, 1), c = randomSplit(10, 0.3, 2)
    assert.deepEqual(a, b)
    assert.notDeepEqual(a, c)
    assert.equal(a.test.length, 3)
    assert.deepEqual([...a.train, ...a.test].sort((p, q) => p - q), [...Array(10).keys()])
    assert.deepEqual(a.train, [...a.train].sort((p, q) => p - q))
    assert.throws(() => randomSplit(10, 1, 0), /testFraction/)
  })

  it('sine-product is y = sin(x1) x2, seeded, 96 / 24 rows', () => {
    const d = loadDataset('sine-product', 3)
    assert.deepEqual([d.kind, d.nIn, d.nOut, d.train.rows, d.test.rows], ['regression', 2, 1, 96, 24])
    assert.deepEqual(sineProductDataset(3).train.y, d.train.y)
    assert.notDeepEqual(sineProductDataset(4).train.y, d.train.y)
    // the target is a function of the inputs: rows with close inputs have close targets (checks the pairing)
    const t = d.train, sinY = [...t.y].map(Math.sin)
    let lo = Infinity, hi = -Infinity
    for (const v of sinY) { lo = Math.min(lo, v); hi = Math.max(hi, v) }
    assert.ok(Math.abs(lo + 1) < 1e-9 && Math.abs(hi - 1) < 1e-9, `train targets span [-1, 1]: ${lo}, ${hi}`)
    // x2 near its middle (phase ~ 0) means y ~ 0, i.e. t near the scaled zero; check the sign pattern instead:
    // sign(y) = sign(x1) sign(x2) when both are away from 0
    let agree = 0, count = 0
    for (let r = 0; r < t.rows; r++) {
      const x1 = t.x[2 * r], x2 = t.x[2 * r + 1]
      if (Math.abs(x1) < 0.3 || Math.abs(x2) < 0.3) continue
      count++
      const y = sinY[r]
      if ((x1 > 0) === (x2 > 0) ? y > -0.2 : y < 0.2) agree++
    }
    assert.ok(count > 20 && agree / count > 0.9, `${agree} / ${count}`)
  })
})

describe('pattern generation task', () => {
  it('has fixed, distinct, mixed patterns with every output varying over classes', () => {
    const p = classPatterns(PATTERNS.classes, PATTERNS.nOut)
    assert.deepEqual(classPatterns(PATTERNS.classes, PATTERNS.nOut), p)
    const rows = Array.from({ length: PATTERNS.classes }, (_, c) => [...p.subarray(c * PATTERNS.nOut, (c + 1) * PATTERNS.nOut)])
    assert.equal(new Set(rows.map(String)).size, PATTERNS.classes)
    for (const r of rows) assert.ok(r.includes(1) && r.includes(-1))
    for (let k = 0; k < PATTERNS.nOut; k++) assert.equal(new Set(rows.map((r) => r[k])).size, 2)
    assert.throws(() => classPatterns(7, 2), /do not fit/)
  })

  it('targets each row with its class pattern as +-pi/2; inputs are noisy prototypes by seed', () => {
    const d = patternsDataset(0), p = classPatterns(PATTERNS.classes, PATTERNS.nOut)
    assert.deepEqual([d.kind, d.nIn, d.nOut, d.classes, d.train.rows, d.test.rows], ['patterns', 4, 8, 4, 64, 16])
    for (let r = 0; r < d.train.rows; r++) {
      const c = d.train.label[r]
      assert.deepEqual([...d.train.y.subarray(r * 8, r * 8 + 8)], [...p.subarray(c * 8, c * 8 + 8)].map((s) => s * H))
      const x = [...d.train.x.subarray(r * 4, r * 4 + 4)]
      assert.equal(x.indexOf(Math.max(...x)), c, `row ${r}: the prototype's hot input wins through the noise`)
    }
    assert.notDeepEqual(patternsDataset(1).train.x, d.train.x)
    assert.deepEqual(loadDataset('patterns', 0).train.x, d.train.x)
  })
})
