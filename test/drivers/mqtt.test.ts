// The MQTT transport's parts, on the embedded aedes broker and on a private mosquitto: options,
// protocol fallback, connector failures, authentication, status and discovery, the board link's
// de-duplication window, and interop with the mosquitto command-line client.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import mqtt from 'mqtt'
import { VirtualBoard } from '../../drivers/board/virtual-board.ts'
import { openRemoteSubstrate } from '../../drivers/remote/index.ts'
import { attachBoardToBroker, boardTopics, MqttOptions, mqttBoardLink, mqttConnector, watchBoards } from '../../drivers/transports/mqtt.ts'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../drivers/transports/mqtt-broker.ts'
import { encodeMessage, MESSAGE_IDS } from '../../firmware-protocol/ts/index.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { mqttOptionsFromFlags } from '../../src/cli/commands/bridge.ts'
import { UsageError } from '../../src/cli/usage.ts'
import { EqpError } from '../../src/errors.ts'
import { freePort, NO_MOSQUITTO, startMosquitto, type Mosquitto } from '../support/mosquitto.ts'

const net = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)
const cleanup: (() => Promise<unknown> | void)[] = []
after(async () => { for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {}) })
const isCode = (code: string) => (e: unknown) => e instanceof EqpError && e.code === code

describe('MqttOptions', () => {
  it('fills the defaults and refuses bad urls, prefixes and versions', () => {
    const o = MqttOptions.parse({ url: 'mqtt://127.0.0.1:1883' })
    assert.deepEqual(o, { url: 'mqtt://127.0.0.1:1883', prefix: 'eqprop', keepaliveS: 10, qos: 0 })
    assert.equal(MqttOptions.parse({ url: 'mqtts://b:8883', tls: {} }).tls!.rejectUnauthorized, true)
    for (const bad of [{ url: 'http://x' }, { url: 'mqtt://x', prefix: 'a/+/b' }, { url: 'mqtt://x', prefix: '/a' }, { url: 'mqtt://x', protocolVersion: 3 }, { url: 'mqtt://x', qos: 2 }, { url: 'mqtt://x', extra: 1 }]) {
      assert.equal(MqttOptions.safeParse(bad).success, false, JSON.stringify(bad))
    }
  })
  it('--mqtt-qos sets the QoS of commands and replies; anything but 0 or 1 is a usage error naming the flag', () => {
    assert.equal(mqttOptionsFromFlags({ mqtt: 'mqtt://x' }).qos, 0)
    assert.equal(mqttOptionsFromFlags({ mqtt: 'mqtt://x', 'mqtt-qos': '1' }).qos, 1)
    assert.throws(() => mqttOptionsFromFlags({ mqtt: 'mqtt://x', 'mqtt-qos': '2' }), (e: unknown) => e instanceof UsageError && /--mqtt-qos/.test(e.message))
  })
})

describe('MQTT transport on the embedded broker (aedes, MQTT 3.1.1 only)', () => {
  let broker: EmbeddedBroker
  before(async () => {
    broker = await startEmbeddedBroker()
    cleanup.push(() => broker.close())
  })

  it('falls back from MQTT 5 to 3.1.1, and fails with EQP_ERR_MQTT_CONNECT when 5 is forced', async () => {
    // watchBoards connects a client the same way the connector and the board link do
    const dir = await watchBoards({ url: broker.url })
    await dir.close()
    await assert.rejects(watchBoards({ url: broker.url, protocolVersion: 5 }), (e: unknown) => isCode('EQP_ERR_MQTT_CONNECT')(e) && /protocol version/i.test((e as Error).message))
  })

  it('a connector fails with EQP_ERR_MQTT_BOARD_OFFLINE without a board, and EQP_ERR_MQTT_CONNECT without a broker', async () => {
    await assert.rejects(mqttConnector('nobody', { url: broker.url }, { statusWaitS: 0.2 })(), isCode('EQP_ERR_MQTT_BOARD_OFFLINE'))
    const port = await freePort()   // nothing listens there
    await assert.rejects(mqttConnector('x', { url: `mqtt://127.0.0.1:${port}` })(), isCode('EQP_ERR_MQTT_CONNECT'))
  })

  it('publishes a retained status with the board identity, refreshes it after a reboot, and says offline on close', async () => {
    const board = new VirtualBoard(net, { uid: 'st1', bootCounter: 4 })
    cleanup.push(() => board.close())
    const att = await attachBoardToBroker(board, 'st1', { url: broker.url })
    assert.equal(att.where, `${broker.url}/eqprop/st1`)
    // a watcher started after the board still sees it: the status is retained
    const dir = await watchBoards({ url: broker.url })
    cleanup.push(() => dir.close())
    const on = await dir.waitFor('st1', 'online', 5)
    assert.equal(on.model, 'xy')
    assert.equal(on.nodes, 6)
    assert.equal(on.edges, 15)
    assert.equal(on.bootCounter, 4)
    assert.match(on.protocol!, /^eqprop-wire 1\.\d+$/)
    assert.deepEqual(dir.list().map((b) => b.uid), ['st1'])
    const rebooted = new Promise<number>((resolve) => { dir.on('change', (b) => { if (b.uid === 'st1' && b.bootCounter === 5) resolve(b.bootCounter) }) })
    board.reboot()
    await att.updateStatus()
    assert.equal(await rebooted, 5)
    await att.close()
    const off = await dir.waitFor('st1', 'offline', 5)
    assert.equal(off.uid, 'st1')
  })

  it('the board link passes retries of the newest command and drops late copies of older ones (window 0: passes all)', async () => {
    const frames = (name: 'GET_PARAMS', seq: number) => encodeMessage({ name, body: { offset: 0, count: 1 }, seq })
    const hb = encodeMessage({ name: 'HEARTBEAT', body: { state: 'boot', bootCounter: 0, uptimeMs: 0, rxBad: 0 }, seq: 3 })
    const A = frames('GET_PARAMS', 10), B = frames('GET_PARAMS', 11), C = frames('GET_PARAMS', 12)
    // A, A again (duplicate of the newest: passes), B, A late (dropped), heartbeat, B again (newest: passes), A late again (dropped), C
    const sent = [A, A, B, A, hb, B, A, C]
    for (const [uid, window, want] of [['dd1', 64, [10, 10, 11, 3, 11, 12]], ['dd0', 0, [10, 10, 11, 10, 3, 11, 10, 12]]] as const) {
      const link = await mqttBoardLink(uid, { url: broker.url }, () => ({}), { dedupWindow: window })
      cleanup.push(() => link.close())
      const got: number[] = []
      const done = new Promise<void>((resolve) => link.onFrame((f) => { got.push(f[3] | (f[4] << 8)); if (f[3] === 12) resolve() }))
      const host = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 })
      // one publisher at QoS 1: the broker delivers in this order
      for (const f of sent) await host.publishAsync(boardTopics('eqprop', uid).cmd, Buffer.from(f), { qos: 1 })
      await done
      await host.endAsync()
      assert.deepEqual(got, want, `window ${window}`)
      assert.equal(link.stats().duplicatesDropped, window ? 2 : 0)
    }
  })

  it('sends commands and replies at QoS 0 by default and at QoS 1 when asked; the status at QoS 1, retained', async () => {
    const seen: string[] = []
    const onPublish = (p: { topic: string; qos: number; retain: boolean; payload: Buffer | string }, client: unknown) => {
      // heartbeats go at QoS 0 whatever the setting (SPEC 10.1)
      if (client && p.topic.startsWith('qos/') && !(p.payload[5] === MESSAGE_IDS.HEARTBEAT && !p.topic.endsWith('/status'))) seen.push(`${p.topic.split('/').slice(1).join('/')} ${p.qos}${p.retain ? ' retained' : ''}`)
    }
    broker.aedes.on('publish', onPublish)
    try {
      for (const qos of [0, 1] as const) {
        seen.length = 0
        const uid = `q${qos}`
        const board = new VirtualBoard(net, { uid })
        cleanup.push(() => board.close())
        const att = await attachBoardToBroker(board, uid, { url: broker.url, prefix: 'qos', qos })
        const sub = await openRemoteSubstrate(mqttConnector(uid, { url: broker.url, prefix: 'qos', qos }), att.where, { replyTimeoutS: 0.5 })
        const r = await sub.relax({ batch: 1, inputs: Float64Array.of(0.5, -0.5), phase: 'free', start: { kind: 'random', seed: 1 } })
        assert.equal(r.states.length, 6)
        await sub.close()
        await att.close()
        // (the previous board's last reply may land after the reset: only this board's topics count)
        const mine = seen.filter((s) => s.startsWith(`${uid}/`)).map((s) => s.slice(uid.length + 1))
        assert.deepEqual([...new Set(mine)].sort(), [`cmd ${qos}`, `reply ${qos}`, 'status 1 retained'], `qos ${qos}: ${seen.join(', ')}`)
        assert.ok(mine.filter((s) => s.startsWith('cmd')).length >= 3, 'HELLO, RELAX, GET_STATE at least')
      }
    } finally { broker.aedes.removeListener('publish', onPublish) }
  })

  it('clients in this process reach the embedded broker without TCP; one lost abruptly fires its last will and comes back', async () => {
    const board = new VirtualBoard(net, { uid: 'ip1' })
    cleanup.push(() => board.close())
    const att = await attachBoardToBroker(board, 'ip1', { url: broker.url }, { reconnectS: 0.1 })
    cleanup.push(() => att.close())
    assert.equal(att.link.client.stream instanceof Socket, false, 'a stream pair, not a socket')
    const dir = await watchBoards({ url: broker.url })
    cleanup.push(() => dir.close())
    await dir.waitFor('ip1', 'online', 5)
    const offline = dir.waitFor('ip1', 'offline', 5)
    att.link.client.stream.destroy()   // no DISCONNECT: the broker publishes the will
    assert.equal((await offline).state, 'offline')
    await new Promise((r) => setTimeout(r, 50))
    await dir.waitFor('ip1', 'online', 5)
    assert.ok(att.link.stats().reconnects >= 1)
    // the same broker without the in-process path: TCP
    const tcp = await startEmbeddedBroker({ inProcess: false })
    cleanup.push(() => tcp.close())
    const link = await mqttBoardLink('ip2', { url: tcp.url }, () => ({}))
    cleanup.push(() => link.close())
    assert.equal(link.client.stream instanceof Socket, true)
  })

  it('refuses bad credentials with EQP_ERR_MQTT_AUTH and accepts good ones', async () => {
    const b = await startEmbeddedBroker()
    cleanup.push(() => b.close())
    b.aedes.authenticate = (_c, user, pass, cb) => cb(null, user === 'lab' && pass?.toString() === 'secret')
    await assert.rejects(watchBoards({ url: b.url, username: 'lab', password: 'wrong' }), isCode('EQP_ERR_MQTT_AUTH'))
    const dir = await watchBoards({ url: b.url, username: 'lab', password: 'secret' })
    await dir.close()
  })
})

describe('MQTT transport on mosquitto', { skip: NO_MOSQUITTO }, () => {
  let mosq: Mosquitto
  before(async () => {
    mosq = await startMosquitto()
    cleanup.push(() => mosq.stop())
  })

  it('mosquitto_sub prints the retained status JSON of an attached board', async () => {
    const board = new VirtualBoard(net, { uid: 'interop1' })
    cleanup.push(() => board.close())
    const att = await attachBoardToBroker(board, 'interop1', { url: mosq.url })
    cleanup.push(() => att.close())
    // -C 1: exit after one message (the retained one arrives at once); -W 5: give up after 5 s
    const p = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mosq.port), '-t', 'eqprop/+/status', '-v', '-C', '1', '-W', '5'])
    let out = ''
    p.stdout.on('data', (d: Buffer) => { out += d.toString() })
    const code = await new Promise<number | null>((r) => p.on('exit', r))
    assert.equal(code, 0, out)
    const sp = out.trim().indexOf(' ')
    assert.equal(out.slice(0, sp), 'eqprop/interop1/status')
    const s = JSON.parse(out.slice(sp + 1))
    assert.equal(s.state, 'online')
    assert.equal(s.uid, 'interop1')
    assert.equal(s.edges, 15)
    assert.ok(!Number.isNaN(Date.parse(s.since)), s.since)
  })

  it('the last will marks an abruptly lost board offline (retained), and it comes back online by itself', async () => {
    const board = new VirtualBoard(net, { uid: 'will1' })
    cleanup.push(() => board.close())
    const att = await attachBoardToBroker(board, 'will1', { url: mosq.url }, { reconnectS: 0.3 })
    cleanup.push(() => att.close())
    const dir = await watchBoards({ url: mosq.url })
    cleanup.push(() => dir.close())
    await dir.waitFor('will1', 'online', 5)
    const off = dir.waitFor('will1', 'offline', 5)
    att.link.client.stream.destroy()        // the socket dies without DISCONNECT: the broker sends the will
    assert.deepEqual(Object.keys(await off).sort(), ['receivedAt', 'state', 'uid'])
    await dir.waitFor('will1', 'online', 5)
    assert.ok(att.link.stats().reconnects >= 1)
  })
})
