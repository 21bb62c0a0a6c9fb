import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { parseCsv, tableDataset, tableFromUpload } from '../../src/services/datasets/table.ts'
import { DatasetUpload } from '../../src/services/datasets/schemas.ts'
import { inProcessDaemon } from '../support/daemon.ts'

/** Two separable blobs in 2-D: label a near (0, 0), label b near (4, 4). */
function blobs(n: number): string {
  const lines = ['x,"y, quoted",label']
  for (let k = 0; k < n; k++) {
    const d = (k % 5) * 0.1
    lines.push(`${d},${0.2 - d},a`, `${4 + d},${4 - d},b`)
  }
  return lines.join('\r\n') + '\r\n'
}

describe('dataset tables', () => {
  it('parses quoted CSV fields, CRLF line ends and blank lines, keeping line numbers', () => {
    const recs = parseCsv('a,"b,c",d\r\n\r\n1,"say ""hi""",3\n"multi\nline",2,3\n')
    assert.deepEqual(recs.map((r) => r.line), [1, 3, 4])
    assert.deepEqual(recs[1].fields, ['1', 'say "hi"', '3'])
    assert.deepEqual(recs[2].fields, ['multi\nline', '2', '3'])
  })

  it('encodes classes as targets (one output for two classes) and splits each class by seed', () => {
    const t = tableFromUpload(DatasetUpload.parse({ name: 'blobs', csv: blobs(10), testFraction: 0.2 }))
    assert.deepEqual(t.featureNames, ['x', 'y, quoted'])
    assert.deepEqual(t.classNames, ['a', 'b'])
    const d = tableDataset('blobs', t, 3)
    assert.equal(d.nOut, 1)
    assert.equal(d.train.rows, 16)
    assert.equal(d.test.rows, 4)
    for (let r = 0; r < d.train.rows; r++) assert.equal(d.train.y[r], d.train.label[r] === 1 ? Math.PI / 2 : -Math.PI / 2)
    const xs = Array.from(d.train.x)
    assert.equal(Math.min(...xs), -Math.PI / 2)
    assert.equal(Math.max(...xs), Math.PI / 2)
    assert.deepEqual(tableDataset('blobs', t, 3), d, 'the same seed gives the same split')
    assert.notDeepEqual(Array.from(tableDataset('blobs', t, 4).test.x), Array.from(d.test.x))
  })
})

/** A regression table: y = x1 - x2 / 2 on a grid of 36 points in [0, 1]^2. */
function plane(): string {
  const lines = ['x1,x2,y']
  for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) lines.push(`${a / 5},${b / 5},${a / 5 - b / 10}`)
  return lines.join('\n') + '\n'
}

describe('regression tables', () => {
  it('keeps a numeric target and encodes it as asin(t), t scaled to [-1, 1] on train', () => {
    const t = tableFromUpload(DatasetUpload.parse({ name: 'plane', csv: plane(), kind: 'regression', testFraction: 0.25 }))
    assert.deepEqual([t.kind, t.featureNames, t.classNames, t.targetName, t.target?.length], ['regression', ['x1', 'x2'], [], 'y', 36])
    const d = tableDataset('plane', t, 1)
    assert.deepEqual([d.kind, d.nIn, d.nOut, d.classes, d.train.rows, d.test.rows], ['regression', 2, 1, 0, 27, 9])
    // the target column is a function of the features: sin(target phase) = (y - lo) / (hi - lo) * 2 - 1
    const sinY = Array.from(d.train.y, Math.sin)
    assert.ok(Math.abs(Math.min(...sinY) + 1) < 1e-12 && Math.abs(Math.max(...sinY) - 1) < 1e-12)
    assert.notDeepEqual(tableDataset('plane', t, 2).test.x, d.test.x)
  })

  it('refuses a non-numeric or constant target, naming the line or field', () => {
    const bad = (csv: string) => () => tableFromUpload(DatasetUpload.parse({ name: 'p', csv, kind: 'regression' }))
    assert.throws(bad('a,y\n1,2\n2,high\n3,4\n'), /csv\.line 3.*column 'y': 'high' is not a finite number/)
    assert.throws(bad('a,y\n1,2\n2,2\n3,2\n'), /same value on every row/)
    assert.throws(() => tableFromUpload(DatasetUpload.parse({ name: 'p', kind: 'regression', rows: [{ features: [1], label: 1 }, { features: [2], label: 'b' }] })), /rows\.1\.label.*must be a number/)
  })

  it('takes fractional targets in JSON rows for regression, and refuses them as class labels', () => {
    const rows = [{ features: [1], label: 0.25 }, { features: [2], label: -0.75 }, { features: [3], label: 1.5 }]
    const t = tableFromUpload(DatasetUpload.parse({ name: 'p', kind: 'regression', rows }))
    assert.deepEqual(t.target, [0.25, -0.75, 1.5])
    assert.throws(() => tableFromUpload(DatasetUpload.parse({ name: 'p', rows })), /rows\.0\.label: a class label is text or a whole number/)
  })
})

describe('datasets API', () => {
  let d: Daemon
  before(async () => { d = await inProcessDaemon() })
  after(async () => { await d.close() })

  it('lists the built-in datasets with their sizes', async () => {
    const r = (await d.app.inject({ method: 'GET', url: '/datasets' })).json()
    const iris = r.datasets.find((x: { name: string }) => x.name === 'iris')
    assert.deepEqual([iris.builtin, iris.nIn, iris.nOut, iris.trainRows, iris.testRows], [true, 4, 3, 120, 30])
    assert.ok(r.datasets.some((x: { name: string }) => x.name === 'xor'))
  })

  it('takes a CSV upload (JSON-wrapped and raw text/csv) and JSON rows, and lists them', async () => {
    const a = await d.app.inject({ method: 'POST', url: '/datasets', payload: { name: 'blobs', csv: blobs(10), description: 'two blobs' } })
    assert.equal(a.statusCode, 201, a.body)
    assert.deepEqual([a.json().nIn, a.json().nOut, a.json().classes, a.json().trainRows, a.json().testRows], [2, 1, 2, 16, 4])
    const raw = await d.app.inject({ method: 'POST', url: '/datasets?name=blobs-raw&testFraction=0.5', payload: blobs(4), headers: { 'content-type': 'text/csv' } })
    assert.equal(raw.statusCode, 201, raw.body)
    assert.equal(raw.json().testRows, 4)
    const rows = [0, 1, 2, 3, 4, 5].map((k) => ({ features: [k, k % 3, -k], label: k % 3 }))
    const j = await d.app.inject({ method: 'POST', url: '/datasets', payload: { name: 'three', rows, testFraction: 0 } })
    assert.equal(j.statusCode, 201, j.body)
    assert.deepEqual([j.json().nOut, j.json().classNames, j.json().testRows], [3, ['0', '1', '2'], 6])
    const names = (await d.app.inject({ method: 'GET', url: '/datasets' })).json().datasets.map((x: { name: string }) => x.name)
    assert.deepEqual(names, ['xor', 'iris', 'sine-product', 'patterns', 'digits', 'mnist', 'digits14', 'digits8', 'fashion', 'sk-digits', 'blobs', 'blobs-raw', 'three'])
    const again = await d.app.inject({ method: 'POST', url: '/datasets', payload: { name: 'blobs', csv: blobs(3) } })
    assert.equal(again.statusCode, 409)
  })

  it('refuses an upload over the size limit with 413', async () => {
    const big = 'x,label\n' + '1.0,a\n'.repeat(1_500_000)
    const r = await d.app.inject({ method: 'POST', url: '/datasets?name=big', payload: big, headers: { 'content-type': 'text/csv' } })
    assert.equal(r.statusCode, 413)
    assert.equal(r.json().code, 'EQP_ERR_BODY_TOO_LARGE')
  })

  it('trains a run on an uploaded regression table (text/csv, kind=regression): R^2 reported and high', async () => {
    const up = await d.app.inject({ method: 'POST', url: '/datasets?name=plane&kind=regression&testFraction=0.25', payload: plane(), headers: { 'content-type': 'text/csv' } })
    assert.equal(up.statusCode, 201, up.body)
    assert.deepEqual([up.json().classes, up.json().nOut, up.json().trainRows, up.json().testRows], [0, 1, 27, 9])
    const dev = await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', builder: 'layered:2,8,1', task: 'plane', seed: 1 } })
    assert.equal(dev.statusCode, 201, dev.body)
    const r = await d.app.inject({ method: 'POST', url: '/runs', payload: { device: dev.json().id, task: 'plane', epochs: 40, batchSize: 4, seed: 1, evalEvery: 0, optimiser: { kind: 'adam' }, lr: 0.02 } })
    assert.equal(r.statusCode, 202, r.body)
    await d.services.runs.idle(r.json().id)
    const v = await d.services.runs.get(r.json().id)
    assert.equal(v.state, 'done')
    const f = v.result?.final
    assert.ok(f?.r2 !== undefined && f.r2 > 0.8, `test R^2 ${f?.r2}`)
    assert.ok(f.mse !== undefined && f.mse < 0.1, `test MSE ${f.mse}`)
  })

  it('trains a run on an uploaded dataset to full test accuracy', async () => {
    const dev = await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', builder: 'all-to-all:5:std=0.5', task: 'blobs', seed: 2 } })
    assert.equal(dev.statusCode, 201, dev.body)
    const r = await d.app.inject({ method: 'POST', url: '/runs', payload: { device: dev.json().id, task: 'blobs', epochs: 30, batchSize: 4, seed: 2, evalEvery: 0 } })
    assert.equal(r.statusCode, 202, r.body)
    await d.services.runs.idle(r.json().id)
    const v = await d.services.runs.get(r.json().id)
    assert.equal(v.state, 'done')
    assert.equal(v.result?.final?.accuracy, 1)
  })
})
