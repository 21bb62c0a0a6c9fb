// Read tokens and protected reads: with a read-scoped token (or protectReads), every request but
// /health needs a token; read tokens read and never write; write tokens do both; the settings come
// from flags, environment and config file alike, and refuse combinations that leave writes unguarded.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { configFromEnv, readsProtected, resolveConfig } from '../../src/api/config.ts'
import { EqpError } from '../../src/errors.ts'
import { inProcessDaemon } from '../support/daemon.ts'

const dev = { kind: 'sim-xy', builder: 'all-to-all:4', io: { inputs: 1, outputs: 1 } }
const W = { authorization: 'Bearer writer-secret-1' }, R = { authorization: 'Bearer reader-secret-1' }

describe('read tokens', () => {
  it('protect every read but /health, let read tokens read and not write, and let write tokens do both', async () => {
    const d = await inProcessDaemon({ tokens: [{ name: 'lab', token: 'writer-secret-1' }, { name: 'dash', token: 'reader-secret-1', scope: 'read' }] })
    try {
      const get = (url: string, headers = {}) => d.app.inject({ method: 'GET', url, headers })
      for (const url of ['/devices', '/runs', '/metrics', '/datasets', '/boards', '/openapi.json']) {
        const r = await get(url)
        assert.equal(r.statusCode, 401, `${url} without a token: ${r.statusCode}`)
        assert.equal(r.json().code, 'EQP_ERR_UNAUTHORIZED')
        assert.match(r.json().message, /reads are protected/)
      }
      assert.equal((await get('/health')).statusCode, 200, '/health stays open for probes')
      // the dashboard page and bundle hold no data: they load, then ask for a token (200 with a bundle, 503 without)
      assert.notEqual((await get('/')).statusCode, 401, 'the dashboard page loads without a token')
      assert.notEqual((await get('/ui/app.js')).statusCode, 401, 'the dashboard bundle loads without a token')
      assert.equal((await get('/ui/../devices')).statusCode, 401, 'nothing else under /ui/')
      const made = await d.app.inject({ method: 'POST', url: '/devices', payload: dev, headers: W })
      assert.equal(made.statusCode, 201, made.body)
      const id = made.json().id
      for (const h of [R, W]) {
        assert.equal((await get('/devices', h)).statusCode, 200)
        assert.equal((await get(`/devices/${id}/params`, h)).statusCode, 200)
        assert.equal((await get('/metrics', h)).statusCode, 200)
      }
      const ro = await d.app.inject({ method: 'POST', url: '/devices', payload: dev, headers: R })
      assert.equal(ro.statusCode, 401)
      assert.match(ro.json().message, /token 'dash' may only read/)
      const del = await d.app.inject({ method: 'DELETE', url: `/devices/${id}`, headers: R })
      assert.equal(del.statusCode, 401)
      assert.equal((await get('/devices', { authorization: 'Bearer not-a-token-at-all' })).statusCode, 401)
    } finally { await d.close() }
  })

  it('protectReads guards reads with write tokens alone; without it, write tokens leave reads open as before', async () => {
    const p = await inProcessDaemon({ tokens: [{ name: 'lab', token: 'writer-secret-1' }], protectReads: true })
    try {
      assert.equal((await p.app.inject({ method: 'GET', url: '/runs' })).statusCode, 401)
      assert.equal((await p.app.inject({ method: 'GET', url: '/runs', headers: W })).statusCode, 200)
    } finally { await p.close() }
    const o = await inProcessDaemon({ tokens: [{ name: 'lab', token: 'writer-secret-1' }] })
    try {
      assert.equal((await o.app.inject({ method: 'GET', url: '/runs' })).statusCode, 200)
      assert.equal((await o.app.inject({ method: 'POST', url: '/devices', payload: dev })).statusCode, 401)
    } finally { await o.close() }
  })

  it('reads the settings from the environment and refuses read tokens without a write token, or protected reads without any token', () => {
    const env = configFromEnv({ EQP_TOKENS: 'lab=writer-secret-1', EQP_READ_TOKENS: 'dash=reader-secret-1,reader-secret-2' })
    const cfg = resolveConfig({}, env, { host: '0.0.0.0' })
    assert.deepEqual(cfg.tokens.map((t) => [t.name, t.scope]), [['lab', 'write'], ['dash', 'read'], ['readtoken2', 'read']])
    assert.equal(readsProtected(cfg), true)
    assert.equal(readsProtected(resolveConfig({}, { ...env, protectReads: false }, {})), false)
    const bad = (f: Record<string, unknown>, re: RegExp) => assert.throws(() => resolveConfig({}, {}, f), (e: unknown) => e instanceof EqpError && re.test(e.message))
    bad({ tokens: [{ name: 'dash', token: 'reader-secret-1', scope: 'read' }] }, /read token needs a write token/)
    bad({ host: '0.0.0.0', tokens: [{ name: 'dash', token: 'reader-secret-1', scope: 'read' }] }, /non-loopback/)
    bad({ protectReads: true }, /protectReads: needs at least one token/)
    bad({ tokens: [{ name: 'x', token: 'writer-secret-1', scope: 'admin' }] }, /scope/)
  })
})
