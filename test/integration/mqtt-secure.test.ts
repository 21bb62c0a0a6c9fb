// Boards over a secured broker: a real mosquitto with a password file and/or a TLS listener whose
// certificate comes from a throw-away CA. The right credentials (and CA) carry a relax bit for bit
// like the simulator; a refused login and an untrusted certificate fail at the first connect with a
// coded error instead of being retried until the connect timeout; and the daemon lists (and attaches)
// a board on such a broker with the credentials and TLS settings of its config; `eqprop-hil board`
// takes them from --mqtt-user, EQP_MQTT_PASSWORD and --mqtt-ca.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { VirtualBoard } from '../../drivers/board/virtual-board.ts'
import { openRemoteSubstrate } from '../../drivers/remote/index.ts'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import type { Substrate } from '../../drivers/substrate.ts'
import { attachBoardToBroker, mqttConnector, type MqttOptionsInput } from '../../drivers/transports/mqtt.ts'
import type { Daemon } from '../../src/api/daemon.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { EqpError } from '../../src/errors.ts'
import { openMqttBoard } from '../../src/services/boards.ts'
import { BIN, call, inProcessDaemon } from '../support/daemon.ts'
import { NO_MOSQUITTO, NO_MOSQUITTO_PASSWD, NO_OPENSSL, startMosquitto, type Mosquitto, type MosquittoOptions } from '../support/mosquitto.ts'

const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)
const USER = { username: 'lab-host', password: 'correct horse battery' }
/**
 * An upper bound for a failure that must not be retried: BoardConnection's first connect gives up
 * after 10 s (connectTimeoutS), so a failure that is retried cannot come back within 5 s. A bound,
 * not a speed claim: the refusal itself takes milliseconds.
 */
const NOT_RETRIED_MS = 5000

const cleanup: (() => Promise<unknown> | void)[] = []
after(async () => { for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {}) })

async function broker(opts: MosquittoOptions): Promise<Mosquitto> {
  const m = await startMosquitto(opts)
  cleanup.push(() => m.stop())
  return m
}

/** A TS virtual board on the broker as uid. */
async function boardOn(uid: string, mqtt: MqttOptionsInput) {
  const vb = new VirtualBoard(xorNet, { uid })
  cleanup.push(() => vb.close())
  const att = await attachBoardToBroker(vb, uid, mqtt, { reconnectS: 0.2 })
  cleanup.push(() => att.close())
  return att
}

/** A board on the broker, and a host RemoteSubstrate to it. */
async function boardAndHost(uid: string, mqtt: MqttOptionsInput) {
  const att = await boardOn(uid, mqtt)
  const sub = await openRemoteSubstrate(mqttConnector(uid, mqtt), att.where, { replyTimeoutS: 0.5 })
  cleanup.push(() => sub.close())
  return sub
}

/** Parameters then one relax on the board and on the simulator at board resolution: the states must be identical. */
async function relaxesLikeTheSimulator(sub: Substrate): Promise<void> {
  const ref = new QuantisedXySubstrate(xorNet)
  const p = { weights: Float64Array.from(xorNet.weights), h: Float64Array.from(xorNet.bias!.h), psi: Float64Array.from(xorNet.bias!.psi) }
  assert.deepEqual([...(await sub.setParams(p)).weights], [...(await ref.setParams(p)).weights])
  const req = { batch: 2, inputs: Float64Array.of(0.3, -1.2, 2.9, 0.1), phase: 'free', start: { kind: 'random', seed: 77 } } as const
  const x = await sub.relax(req), y = await ref.relax(req)
  assert.deepEqual([...x.states], [...y.states])
}

/** Awaits p, which must reject with an EqpError of `code`, and returns that error and how long it took. */
async function refused(p: Promise<unknown>, code: string): Promise<{ err: EqpError; ms: number }> {
  const t0 = Date.now()
  const err = await p.then(() => null, (e: unknown) => e)
  const ms = Date.now() - t0
  assert.ok(err instanceof EqpError, `expected an EqpError ${code}, got ${err === null ? 'success' : String(err)}`)
  assert.equal(err.code, code, err.message)
  return { err, ms }
}

async function until<T>(what: string, f: () => Promise<T | null>, timeoutS = 10): Promise<T> {
  const end = Date.now() + timeoutS * 1000
  for (;;) {
    const v = await f()
    if (v !== null) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The daemon lists the board as online in GET /boards, then attaches it by uid through its own broker settings. */
async function daemonListsAndAttaches(d: Daemon, uid: string, url: string): Promise<void> {
  const boards = await until('the board in GET /boards', async () => {
    const r = await call(d.url, 'GET', '/boards')
    return r.body.boards?.some((b: { uid: string; state: string }) => b.uid === uid && b.state === 'online') ? r.body : null
  })
  assert.equal(boards.broker.url, url, 'the broker url, without credentials')
  assert.equal(boards.boards.find((b: { uid: string }) => b.uid === uid).nodes, xorNet.nodes)
  // a device that names no broker inherits the daemon's credentials and TLS settings
  const dev = await call(d.url, 'POST', '/devices', { kind: 'mqtt', uid })
  assert.equal(dev.status, 201, dev.text)
  assert.equal(dev.body.info.uid, uid)
  assert.equal(dev.body.status.state, 'ready')
}

describe('boards on a password-protected mosquitto', { skip: NO_MOSQUITTO || NO_MOSQUITTO_PASSWD }, () => {
  it('a board and a host with the right username and password relax bit for bit like the simulator', async () => {
    const m = await broker({ auth: USER })
    const sub = await boardAndHost('auth1', { url: m.url, ...USER })
    assert.equal(sub.info.nodes, xorNet.nodes)
    await relaxesLikeTheSimulator(sub)
  })

  it('a wrong password fails openMqttBoard with EQP_ERR_MQTT_AUTH at the first connect, not after the connect timeout', async () => {
    const m = await broker({ auth: USER })
    // the board is online, so the login is the only thing wrong
    await boardOn('auth2', { url: m.url, ...USER })
    const wrong = await refused(openMqttBoard({ uid: 'auth2', mqtt: { url: m.url, username: USER.username, password: 'wrong' } }), 'EQP_ERR_MQTT_AUTH')
    assert.ok(wrong.ms < NOT_RETRIED_MS, `rejected after ${wrong.ms} ms: it was retried`)
    assert.match(wrong.err.message, /refused the credentials/)
    assert.ok(!wrong.err.message.includes('wrong'), 'the message does not echo the password')
    // no credentials at all: anonymous clients are refused the same way
    const anonymous = await refused(openMqttBoard({ uid: 'auth2', mqtt: { url: m.url } }), 'EQP_ERR_MQTT_AUTH')
    assert.ok(anonymous.ms < NOT_RETRIED_MS, `rejected after ${anonymous.ms} ms: it was retried`)
    // and the board side: a board with a wrong password never gets on the broker
    await refused(boardOn('auth3', { url: m.url, username: USER.username, password: 'wrong' }), 'EQP_ERR_MQTT_AUTH')
  })

  it('the daemon, given the username and password, lists a board in GET /boards and attaches it', async () => {
    const m = await broker({ auth: USER })
    await boardOn('auth4', { url: m.url, ...USER })
    const d = await inProcessDaemon({ mqtt: { url: m.url, ...USER } })
    cleanup.push(() => d.close())
    await daemonListsAndAttaches(d, 'auth4', m.url)
  })
})

describe('boards on a mosquitto with TLS', { skip: NO_MOSQUITTO || NO_OPENSSL }, () => {
  it('mqtts:// with the test CA: a board and a host relax bit for bit like the simulator', async () => {
    const m = await broker({ tls: true })
    assert.match(m.url, /^mqtts:\/\/127\.0\.0\.1:\d+$/)
    const sub = await boardAndHost('tls1', { url: m.url, tls: { ca: m.ca } })
    assert.equal(sub.status().where, `${m.url}/eqprop/tls1`)
    await relaxesLikeTheSimulator(sub)
  })

  it('without the CA the certificate check fails: EQP_ERR_MQTT_CONNECT naming it, at the first connect', async () => {
    const m = await broker({ tls: true })
    await boardOn('tls2', { url: m.url, tls: { ca: m.ca } })
    // rejectUnauthorized is true by default, with or without a tls block
    for (const mqtt of [{ url: m.url }, { url: m.url, tls: {} }]) {
      const { err, ms } = await refused(openMqttBoard({ uid: 'tls2', mqtt }), 'EQP_ERR_MQTT_CONNECT')
      assert.match(err.message, /certificate/)
      assert.match(err.message, /--mqtt-ca/, 'says how to fix it')
      assert.ok(ms < NOT_RETRIED_MS, `rejected after ${ms} ms: it was retried`)
    }
    await refused(boardOn('tls3', { url: m.url }), 'EQP_ERR_MQTT_CONNECT')
  })

  it('without the CA but with rejectUnauthorized false it connects (a lab broker with a self-made certificate)', async () => {
    const m = await broker({ tls: true })
    await boardOn('tls4', { url: m.url, tls: { rejectUnauthorized: false } })
    const sub = await openMqttBoard({ uid: 'tls4', mqtt: { url: m.url, tls: { rejectUnauthorized: false } } })
    cleanup.push(() => sub.close())
    assert.equal(sub.info.uid, 'tls4')
    assert.equal(sub.info.nodes, xorNet.nodes)
  })
})

describe('the daemon on a mosquitto with TLS and a password', { skip: NO_MOSQUITTO || NO_OPENSSL || NO_MOSQUITTO_PASSWD }, () => {
  it('lists a board in GET /boards and attaches it with the tls and credentials of its config', async () => {
    const m = await broker({ tls: true, auth: USER })
    await boardOn('tls5', { url: m.url, ...USER, tls: { ca: m.ca } })
    const d = await inProcessDaemon({ mqtt: { url: m.url, ...USER, tls: { ca: m.ca } } })
    cleanup.push(() => d.close())
    await daemonListsAndAttaches(d, 'tls5', m.url)
  })
})

describe('eqprop-hil board with --mqtt-user, EQP_MQTT_PASSWORD and --mqtt-ca', { skip: NO_MOSQUITTO || NO_OPENSSL || NO_MOSQUITTO_PASSWD }, () => {
  /** The CLI board on the broker; resolves with its first stdout line, or its exit code and stderr if it ends first. */
  function cliBoard(uid: string, m: Mosquitto, password: string): Promise<{ line: string } | { code: number | null; stderr: string }> {
    const args = [BIN, 'board', '--mqtt', m.url, '--mqtt-user', USER.username, '--mqtt-ca', m.ca!, '--uid', uid, '--network', 'all-to-all:6']
    // the password through the environment, as the README recommends (ps shows arguments)
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EQP_MQTT_PASSWORD: password } })
    cleanup.push(() => { p.kill('SIGKILL') })
    let out = '', err = ''
    return new Promise((resolve) => {
      p.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve({ line: out.split('\n')[0] }) })
      p.stderr.on('data', (d: Buffer) => { err += d.toString() })
      p.on('exit', (code) => resolve({ code, stderr: err }))
    })
  }

  it('puts a board on a TLS broker with a password, and a host reaches it', async () => {
    const m = await broker({ tls: true, auth: USER })
    const r = await cliBoard('cli-sec1', m, USER.password)
    assert.deepEqual(r, { line: `board cli-sec1 (ts) ready on ${m.url}/eqprop/cli-sec1` })
    const sub = await openMqttBoard({ uid: 'cli-sec1', mqtt: { url: m.url, ...USER, tls: { ca: m.ca } } })
    cleanup.push(() => sub.close())
    assert.equal(sub.info.nodes, 6)
  })

  it('a wrong EQP_MQTT_PASSWORD ends the command with EQP_ERR_MQTT_AUTH (exit code 2)', async () => {
    const m = await broker({ tls: true, auth: USER })
    const r = await cliBoard('cli-sec2', m, 'wrong')
    assert.ok('code' in r, `the board came up: ${JSON.stringify(r)}`)
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /EQP_ERR_MQTT_AUTH/)
  })
})
