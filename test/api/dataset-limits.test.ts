// Dataset uploads stop at the first limit crossed (bytes, rows, columns) while they stream in: a CSV
// over the row limit is refused at the first row past it, naming the limit, before the rest of the
// body is read or anything is parsed.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { CsvLimitScanner, checkCsvLimits } from '../../src/services/datasets/csv-limits.ts'
import { DATASET_LIMITS } from '../../src/services/datasets/schemas.ts'
import { parseCsv } from '../../src/services/datasets/table.ts'
import { inProcessDaemon } from '../support/daemon.ts'

const rows = (n: number, from = 0) => Array.from({ length: n }, (_, k) => `${(from + k) % 7}.5,${(from + k) % 2 ? 'a' : 'b'}\n`).join('')

describe('CSV limit scanner', () => {
  it('counts the records parseCsv finds, however the text is split (quotes, escaped quotes, newlines in fields, CRLF, blank lines)', () => {
    const text = 'a,"b,c",label\r\n\r\n1,"say ""hi""",x\n"multi\nline",2,"y"\n  \n3,4,z'
    const want = parseCsv(text).length
    for (let cut = 0; cut <= text.length; cut++) {
      for (const step of [1, 2, 5]) {
        const s = new CsvLimitScanner()
        s.push(text.slice(0, cut))
        for (let i = cut; i < text.length; i += step) s.push(text.slice(i, i + step))
        s.end()
        assert.equal(s.records, want, `cut at ${cut}, then ${step} at a time`)
      }
    }
  })

  it('refuses at the first row over the limit (413, naming rows and the line) and at a header over the column limit (400)', () => {
    const s = new CsvLimitScanner({ rows: 3, features: 4 })
    s.push('x,label\n1,a\n2,b\n3,a\n')
    assert.throws(() => s.push('4,b\n5,a\n'), (e: Error & { code?: string; statusCode?: number }) =>
      e.code === 'EQP_ERR_UPLOAD_LIMIT' && e.statusCode === 413 && /more than 3 rows/.test(e.message) && /line 5/.test(e.message))
    assert.throws(() => checkCsvLimits('a,b,c,d,e,label\n', { rows: 3, features: 4 }), (e: Error & { code?: string }) =>
      e.code === 'EQP_ERR_BAD_INPUT' && /csv\.line 1: at most 4 feature columns, got 5/.test(e.message))
    assert.doesNotThrow(() => checkCsvLimits('x,label\n1,a\n2,b\n3,a\n\n\n', { rows: 3, features: 4 }))
  })
})

describe('dataset uploads against the limits', () => {
  let d: Daemon
  before(async () => { d = await inProcessDaemon() })
  after(async () => { await d.close() })

  it('a streamed text/csv upload of 1,000,000 rows is refused with 413 at row 100,001, and the rest is never read', async () => {
    let produced = 0
    const total = 1_000_000, per = 1000
    const body = Readable.from((function* () {
      yield 'x,label\n'
      for (let k = 0; k < total; k += per) { produced += per; yield rows(per, k) }
    })())
    const r = await d.app.inject({ method: 'POST', url: '/datasets?name=huge', payload: body, headers: { 'content-type': 'text/csv' } })
    assert.equal(r.statusCode, 413, r.body)
    assert.equal(r.json().code, 'EQP_ERR_UPLOAD_LIMIT')
    assert.match(r.json().message, new RegExp(`more than ${DATASET_LIMITS.rows} rows.*line ${DATASET_LIMITS.rows + 2}`))
    assert.ok(produced < total / 2, `${produced} of ${total} rows were read`)
    assert.equal((await d.app.inject({ method: 'GET', url: '/datasets/huge' })).statusCode, 404)
  })

  it('the same table inside a JSON body is refused the same way, and a table at the limit is taken', async () => {
    const over = await d.app.inject({ method: 'POST', url: '/datasets', payload: { name: 'over', csv: 'x,label\n' + rows(DATASET_LIMITS.rows + 1) } })
    assert.equal(over.statusCode, 413, over.body)
    assert.equal(over.json().code, 'EQP_ERR_UPLOAD_LIMIT')
    const wide = await d.app.inject({ method: 'POST', url: '/datasets?name=wide', payload: `${Array.from({ length: 1025 }, (_, k) => `f${k}`).join(',')},label\n`, headers: { 'content-type': 'text/csv' } })
    assert.equal(wide.statusCode, 400, wide.body)
    assert.match(wide.json().message, /at most 1024 feature columns, got 1025/)
    const at = await d.app.inject({ method: 'POST', url: '/datasets?name=at-limit&testFraction=0', payload: 'x,label\n' + rows(DATASET_LIMITS.rows), headers: { 'content-type': 'text/csv' } })
    assert.equal(at.statusCode, 201, at.body)
    assert.equal(at.json().trainRows, DATASET_LIMITS.rows)
  })

  it('JSON rows over the row or column limit are refused naming the field, and a JSON body over the byte limit with 413', async () => {
    const row = (k: number) => ({ features: [k % 7], label: k % 2 ? 'a' : 'b' })
    const many = await d.app.inject({ method: 'POST', url: '/datasets', payload: { name: 'many', rows: Array.from({ length: DATASET_LIMITS.rows + 1 }, (_, k) => row(k)) } })
    assert.equal(many.statusCode, 400, many.body)
    assert.match(many.json().message, /rows/)
    const wide = await d.app.inject({ method: 'POST', url: '/datasets', payload: { name: 'wide-json', rows: [{ features: new Array(DATASET_LIMITS.features + 1).fill(1), label: 'a' }] } })
    assert.equal(wide.statusCode, 400, wide.body)
    assert.match(wide.json().message, /rows\.0\.features/)
    // past the daemon's upload limit (8 MiB by default), before any of it is parsed
    const huge = await d.app.inject({ method: 'POST', url: '/datasets', headers: { 'content-type': 'application/json' }, payload: `{"name":"huge","csv":"${'1,a\\n'.repeat(3 * 1024 * 1024)}"}` })
    assert.equal(huge.statusCode, 413, huge.body)
    for (const name of ['many', 'wide-json', 'huge']) assert.equal((await d.app.inject({ method: 'GET', url: `/datasets/${name}` })).statusCode, 404)
  })

  it('over real HTTP, a body over the byte limit with no content-length is cut off with 413 and the connection closed', async () => {
    const { port } = d.app.server.address() as AddressInfo
    let sent = 0
    const attempt = () => new Promise<{ status: number; body: string; connection: string | undefined } | null>((resolve, reject) => {
      sent = 0
      let answered = false
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/datasets?name=endless', headers: { 'content-type': 'text/csv', 'transfer-encoding': 'chunked' } }, (r) => {
        answered = true
        let b = ''
        r.on('data', (c: Buffer) => { b += c.toString() })
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: b, connection: r.headers.connection }))
      })
      // the server closes on us once it has answered; on a loaded machine its reset can overtake the
      // answer in our socket (the kernel drops unread data on a reset): that attempt tells nothing
      req.on('error', () => { if (!answered) resolve(null) })
      // a wide row, so the byte limit comes before the row limit; the client would go on for 64 MB
      const row = `${'1,'.repeat(1000)}a\n`
      req.write(`${Array.from({ length: 1000 }, (_, k) => `f${k}`).join(',')},label\n`)
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && !answered) {
          sent += row.length
          if (!req.write(row)) { req.once('drain', pump); return }
        }
        req.end()
      }
      pump()
      setTimeout(() => reject(new Error('no answer')), 60_000).unref()
    })
    let res = await attempt()
    for (let k = 0; k < 4 && res === null; k++) res = await attempt()
    assert.ok(res !== null, 'every attempt was reset before its answer could be read')
    assert.equal(res.status, 413, res.body)
    assert.equal(JSON.parse(res.body).code, 'EQP_ERR_BODY_TOO_LARGE')
    assert.equal(res.connection, 'close')
    assert.ok(sent < 64 * 1024 * 1024, `the client sent all ${sent} bytes`)
  })
})
