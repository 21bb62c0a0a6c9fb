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
    assert.deepEqual(names, ['xor', 'iris', 'digits', 'mnist', 'digits14', 'digits8', 'fashion', 'blobs', 'blobs-raw', 'three'])
    const again = await d.app.inject({ method: 'POST', url: '/datasets', payload: { name: 'blobs', csv: blobs(3) } })
    assert.equal(again.statusCode, 409)
  })

  it('refuses an upload over the size limit with 413', async () => {
    const big = 'x,label\n' + '1.0,a\n'.repeat(1_500_000)
    const r = await d.app.inject({ method: 'POST', url: '/datasets?name=big', payload: big, headers: { 'content-type': 'text/csv' } })
    assert.equal(r.statusCode, 413)
    assert.equal(r.json().code, 'EQP_ERR_BODY_TOO_LARGE')
  })

  it('trains a run on an uploaded dataset to full test accuracy', async () => {
    const dev = await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', builder: 'all-to-all:5:std=0.5', task: 'blobs', seed: 2 } })
    assert.equal(dev.statusCode, 201, dev.body)
    const r = await d.app.inject({ method: 'POST', url: '/runs', payload: { device: dev.json().id, task: 'blobs', epochs: 30, batchSize: 4, seed: 2, evalEvery: 0 } })
    assert.equal(r.statusCode, 202, r.body)
    await d.services.runs.idle(r.json().id)
    const v = d.services.runs.get(r.json().id)
    assert.equal(v.state, 'done')
    assert.equal(v.result?.final?.accuracy, 1)
  })
})
