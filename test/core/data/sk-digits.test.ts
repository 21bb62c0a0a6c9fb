import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'
import { loadDataset, skDigitsDataset, skDigitsSplit } from '../../../src/core/data/index.ts'
import { loadSklearnDigits, SKLEARN_DIGITS_FILE } from '../../../src/services/datasets/sources.ts'
import { EqpError } from '../../../src/errors.ts'

const H = Math.PI / 2

describe("scikit-learn's 8x8 digits (Debian python3-sklearn)", () => {
  const installed = existsSync(SKLEARN_DIGITS_FILE)

  it('splits per class in file order: rows 0..99 train, 100..169 test, the rest unused', () => {
    // 10 classes cycled: class l's k-th row is row 10k + l, 175 rows each
    const labels = Array.from({ length: 1750 }, (_, i) => i % 10)
    const { train, test } = skDigitsSplit(labels)
    assert.equal(train.length, 1000)
    assert.equal(test.length, 700)
    assert.deepEqual(train.slice(0, 3), [0, 1, 2])
    assert.equal(train.at(-1), 999)
    assert.deepEqual([test[0], test.at(-1)], [1000, 1699])
    assert.throws(() => skDigitsSplit(labels.slice(0, 1699)), /class 9 has 169 rows, the split needs 170/)
    assert.throws(() => skDigitsSplit([0, 12]), /class 12 is not in 0\.\.9/)
  })

  it('names the Debian package when the file is missing, and the line of a damaged file', () => {
    assert.throws(() => loadSklearnDigits('/nonexistent/digits.csv.gz'),
      (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_DATASET_MISSING' && /apt-get install python3-sklearn/.test(e.message) && /sk-digits/.test(e.message))
    const dir = mkdtempSync(join(tmpdir(), 'skd-'))
    const row = (px: number, l: number) => [...new Array(64).fill(px), l].join(',')
    writeFileSync(join(dir, 'a.csv.gz'), gzipSync(`${row(3, 1)}\n${row(17, 2)}\n`))
    assert.throws(() => loadSklearnDigits(join(dir, 'a.csv.gz')), /line 2: field 1 '17' is not a whole number in 0\.\.16/)
    writeFileSync(join(dir, 'b.csv.gz'), gzipSync(`${row(3, 1)}\n1,2,3\n`))
    assert.throws(() => loadSklearnDigits(join(dir, 'b.csv.gz')), /line 2: 3 fields, expected 65/)
    const ok = loadSklearnDigits((writeFileSync(join(dir, 'c.csv.gz'), gzipSync(`${row(16, 7)}\n${row(0, 3)}\n`)), join(dir, 'c.csv.gz')))
    assert.deepEqual([ok.rows, ok.max, ok.pixels[0], ok.pixels[64], ok.labels[0], ok.labels[1]], [2, 16, 16, 0, 7, 3])
  })

  it('loads the real file: 1,000 / 700 rows, pixels as pi*(x-8)/16, targets +-pi/2', { skip: !installed && 'python3-sklearn not installed' }, () => {
    const d = skDigitsDataset()
    assert.equal(loadDataset('sk-digits', 5), d)
    assert.deepEqual([d.name, d.nIn, d.nOut, d.classes, d.train.rows, d.test.rows], ['sk-digits', 64, 10, 10, 1000, 700])
    const count = (l: Int32Array) => { const c = new Array<number>(10).fill(0); for (const v of l) c[v]++; return c }
    assert.deepEqual(count(d.train.label), new Array(10).fill(100))
    assert.deepEqual(count(d.test.label), new Array(10).fill(70))
    // read the file independently: the first train row and the first test row of class 0
    const rows = gunzipSync(readFileSync(SKLEARN_DIGITS_FILE)).toString().trim().split('\n').map((l) => l.split(',').map(Number))
    assert.equal(rows.length, 1797)
    const class0 = rows.filter((r) => r[64] === 0)
    for (const [split, src] of [[d.train, class0[0]], [d.test, class0[100]]] as const) {
      const r = [...split.label].indexOf(0)
      const x = [...split.x.subarray(r * 64, r * 64 + 64)]
      x.forEach((v, k) => assert.ok(Math.abs(v - (Math.PI * (src[k] - 8)) / 16) < 1e-12, `pixel ${k}`))
      assert.deepEqual([...split.y.subarray(r * 10, r * 10 + 10)], [H, ...new Array(9).fill(-H)])
    }
    let lo = Infinity, hi = -Infinity
    for (const v of d.train.x) { lo = Math.min(lo, v); hi = Math.max(hi, v) }
    assert.deepEqual([lo, hi], [-H, H])
  })
})
