import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { configFromEnv, isLoopback, resolveConfig } from '../../src/api/config.ts'
import { EqpError } from '../../src/errors.ts'
import { inProcessDaemon } from '../support/daemon.ts'

const dev = { kind: 'sim-xy', builder: 'all-to-all:4', io: { inputs: 1, outputs: 1 } }

describe('bearer tokens', () => {
  it('lets reads through, refuses writes without a valid token, and names the client by its token', async () => {
    const d = await inProcessDaemon({ tokens: [{ name: 'alice', token: 'alice-secret-1' }, { name: 'bob', token: 'bob-secret-22' }] })
    try {
      assert.equal((await d.app.inject({ method: 'GET', url: '/devices' })).statusCode, 200)
      const none = await d.app.inject({ method: 'POST', url: '/devices', payload: dev })
      assert.equal(none.statusCode, 401)
      assert.equal(none.json().code, 'EQP_ERR_UNAUTHORIZED')
      assert.match(none.json().message, /authorization/)
      const wrong = await d.app.inject({ method: 'GET', url: '/devices', headers: { authorization: 'Bearer nope-nope-nope' } })
      assert.equal(wrong.statusCode, 401)
      const ok = await d.app.inject({ method: 'POST', url: '/devices', payload: dev, headers: { authorization: 'Bearer bob-secret-22' } })
      assert.equal(ok.statusCode, 201, ok.body)
      const run = await d.app.inject({ method: 'POST', url: '/runs', payload: { device: ok.json().id, task: 'xor', epochs: 1 }, headers: { authorization: 'Bearer alice-secret-1' } })
      // 4 nodes all-to-all with 1 input cannot take XOR's 2 inputs: a 400 that proves the token passed
      assert.equal(run.statusCode, 400)
      assert.equal(run.json().code, 'EQP_ERR_TASK_MISMATCH')
    } finally { await d.close() }
  })
})

describe('relax rate limit', () => {
  it('answers 429 with Retry-After once a client has used its burst, per client', async () => {
    const d = await inProcessDaemon({ relaxRate: 0.001, relaxBurst: 2 })
    try {
      const id = (await d.app.inject({ method: 'POST', url: '/devices', payload: dev })).json().id
      const relax = (client: string) => d.app.inject({ method: 'POST', url: `/devices/${id}/relax`, payload: { inputs: [[0.5]] }, headers: { 'x-eqp-client': client } })
      assert.equal((await relax('a')).statusCode, 200)
      assert.equal((await relax('a')).statusCode, 200)
      const third = await relax('a')
      assert.equal(third.statusCode, 429)
      assert.equal(third.json().code, 'EQP_ERR_RATE_LIMITED')
      assert.ok(Number(third.headers['retry-after']) >= 1)
      assert.equal((await relax('b')).statusCode, 200, 'another client has its own bucket')
      // reads are not limited
      assert.equal((await d.app.inject({ method: 'GET', url: `/devices/${id}/params` })).statusCode, 200)
    } finally { await d.close() }
  })
})

describe('serve config', () => {
  it('refuses a non-loopback address without a token, and takes one with', () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && !isLoopback('0.0.0.0'))
    assert.throws(() => resolveConfig({}, {}, { host: '0.0.0.0' }), (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_INSECURE_BIND')
    const c = resolveConfig({}, configFromEnv({ EQP_TOKENS: 'lab=0123456789abcdef' }), { host: '0.0.0.0' })
    assert.deepEqual(c.tokens, [{ name: 'lab', token: '0123456789abcdef', scope: 'write' }])
  })

  it('lets flags override the environment, which overrides the file, and names a bad field', () => {
    const c = resolveConfig({ port: 1, relaxRate: 5 }, configFromEnv({ EQP_PORT: '2', EQP_DATA_DIR: '/tmp/x' }), { port: 3 })
    assert.deepEqual([c.port, c.relaxRate, c.dataDir], [3, 5, '/tmp/x'])
    assert.throws(() => resolveConfig({ prot: 80 }, {}, {}), (e: unknown) => e instanceof EqpError && /config\.prot: unknown field/.test(e.message))
    assert.throws(() => resolveConfig({}, configFromEnv({ EQP_PORT: 'eighty' }), {}), (e: unknown) => e instanceof EqpError && /config\.port/.test(e.message))
  })
})
