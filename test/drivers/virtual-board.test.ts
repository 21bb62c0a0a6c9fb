// The TS virtual board against SPEC.md, driven frame by frame (no remote driver in between).
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { VirtualBoard, type VirtualBoardOptionsInput } from '../../drivers/board/virtual-board.ts'
import { FramedTransport } from '../../drivers/transports/framing.ts'
import { createMemoryLink } from '../../drivers/transports/memory.ts'
import {
  decodeMessage, encodeFrame, encodeMessage, ERROR_CODES, FAULT_CODES, PHASE_LSB,
  type DecodedMessage, type MessageBodies, type MessageName,
} from '../../firmware-protocol/ts/index.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { FakeClock } from '../support/fake-clock.ts'

const net = buildNetwork({ kind: 'all-to-all', nodes: 5, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 2)
const M = net.edges.length, N = net.nodes

/** A bare host: sends frames, collects every frame the board sends (decoded, or the raw bytes). */
class RawHost {
  readonly got: { raw: Uint8Array; msg: DecodedMessage | null }[] = []
  readonly t: FramedTransport
  seq = 100
  constructor(readonly board: VirtualBoard, readonly clock: FakeClock) {
    const l = createMemoryLink()
    board.attach(l.b)
    this.t = new FramedTransport(l.a)
    this.t.onFrame((f) => {
      let msg: DecodedMessage | null = null
      try { msg = decodeMessage(f, { role: 'host' }) } catch { msg = null }
      this.got.push({ raw: f, msg })
    })
  }

  async send<N extends MessageName>(name: N, body: MessageBodies[N], seq = this.seq++): Promise<Uint8Array> {
    const f = encodeMessage({ name, body, seq } as never)
    await this.t.send(f)
    return f
  }

  /** Sends a command and returns the board's answer to it (same seq). */
  async call<N extends MessageName>(name: N, body: MessageBodies[N], seq = this.seq++): Promise<DecodedMessage> {
    const before = this.got.length
    await this.send(name, body, seq)
    await this.clock.until(() => this.got.slice(before).some((g) => g.msg?.seq === seq && g.msg.name !== 'HEARTBEAT' && g.msg.name !== 'FAULT'), 5, 0.01)
    return this.got.slice(before).find((g) => g.msg?.seq === seq && g.msg.name !== 'HEARTBEAT' && g.msg.name !== 'FAULT')!.msg!
  }

  hello(watchdogMs = 0): Promise<DecodedMessage> {
    return this.call('HELLO', { protoMinor: 0, maxFrame: 1024, watchdogMs })
  }

  events(name: 'FAULT' | 'HEARTBEAT'): DecodedMessage[] {
    return this.got.filter((g) => g.msg?.name === name).map((g) => g.msg!)
  }
}

const nackOf = (m: DecodedMessage) => {
  assert.equal(m.name, 'NACK', `expected a NACK, got ${m.name}`)
  return m.body as MessageBodies['NACK']
}

describe('VirtualBoard', () => {
  let clock: FakeClock, board: VirtualBoard, host: RawHost
  const make = (o: VirtualBoardOptionsInput = {}) => {
    board = new VirtualBoard(net, { uid: 'vb-test', bootCounter: 7, maxBatch: 4, ...o }, clock)
    host = new RawHost(board, clock)
  }
  beforeEach(() => { clock = new FakeClock() })
  afterEach(() => board.close())

  it('sends FAULT RESET on boot and refuses every command but HELLO with NOT_READY', async () => {
    make()
    await clock.advance(0.01)
    assert.deepEqual(host.events('FAULT').map((f) => (f.body as { code: number }).code), [FAULT_CODES.RESET])
    const r = nackOf(await host.call('GET_PARAMS', { offset: 0, count: 0 }))
    assert.equal(r.code, ERROR_CODES.NOT_READY)
  })

  it('answers HELLO with DEVICE_INFO: identity, counts, limits and the boot counter', async () => {
    make({ maxFrame: 512 })
    const m = await host.hello(1500)
    assert.equal(m.name, 'DEVICE_INFO')
    const d = m.body as MessageBodies['DEVICE_INFO']
    assert.equal(d.uid, 'vb-test')
    assert.equal(d.bootCounter, 7)
    assert.equal(d.nodeCount, N)
    assert.equal(d.edgeCount, M)
    assert.equal(d.clampableCount, 2)
    assert.equal(d.nudgeableCount, 1)
    assert.equal(d.maxFrame, 512, 'min(host 1024, board 512)')
    assert.equal(d.watchdogMs, 1500)
    assert.equal(d.stateLsb, PHASE_LSB)
    assert.ok(m.seq === 100)
  })

  it('answers a retried UPDATE_PARAMS (same seq, same bytes) from its reply cache, applying it once', async () => {
    make()
    await host.hello()
    await host.call('SET_PARAMS', { offset: 0, values: [0.5, 0.25] })
    const a = await host.call('UPDATE_PARAMS', { offset: 0, deltas: [0.125, 0.125] }, 500)
    const b = await host.call('UPDATE_PARAMS', { offset: 0, deltas: [0.125, 0.125] }, 500)
    assert.deepEqual(a.body, b.body)
    assert.deepEqual((a.body as MessageBodies['PARAMS']).values, [0.625, 0.375])
    assert.deepEqual([...board.params.subarray(0, 2)], [0.625, 0.375])
    assert.equal(board.stats.replays, 1)
    // the same bytes under a new seq are a new command
    await host.call('UPDATE_PARAMS', { offset: 0, deltas: [0.125, 0.125] }, 501)
    assert.deepEqual([...board.params.subarray(0, 2)], [0.75, 0.5])
  })

  it('clips and quantises parameters to its ranges, wraps psi, and reports them as applied', async () => {
    make({ coupling: { min: -1, max: 1, levels: 5 } })
    await host.hello()
    const r = await host.call('SET_PARAMS', { offset: 0, values: [0.3, 7, -0.74] })
    assert.deepEqual((r.body as MessageBodies['PARAMS']).values, [0.5, 1, -0.5])
    const psi = await host.call('SET_PARAMS', { offset: M + N, values: [3 * Math.PI / 2] })
    assert.ok(Math.abs((psi.body as MessageBodies['PARAMS']).values[0] - -Math.PI / 2) < 1e-6)
  })

  it('refuses writes past the end and non-finite values with OUT_OF_RANGE, changing nothing', async () => {
    make()
    await host.hello()
    const total = M + 2 * N
    const past = nackOf(await host.call('SET_PARAMS', { offset: total - 1, values: [1, 1] }))
    assert.equal(past.code, ERROR_CODES.OUT_OF_RANGE)
    assert.equal(past.detail, total)
    const nan = nackOf(await host.call('SET_PARAMS', { offset: 0, values: [1, NaN] }))
    assert.equal(nan.code, ERROR_CODES.OUT_OF_RANGE)
    assert.equal(nan.detail, 1)
    assert.equal(board.params[0], 0)
    const clamp = nackOf(await host.call('CLAMP', { sample: 0, replace: true, clamps: [{ node: 4, value: 0 }] }))
    assert.equal(clamp.code, ERROR_CODES.OUT_OF_RANGE, 'node 4 is not clampable')
  })

  it('refuses a message meant for the host with UNKNOWN_MESSAGE and a short payload with BAD_PAYLOAD', async () => {
    make()
    await host.hello()
    const wrongWay = encodeMessage({ name: 'ACK', body: { ref: 1 }, seq: 9 })
    await host.t.send(wrongWay)
    const short = encodeFrame({ seq: 10, msgId: 0x10 }, Uint8Array.of(0, 0))
    await host.t.send(short)
    await clock.advance(0.01)
    const nacks = host.got.filter((g) => g.msg?.name === 'NACK').map((g) => ({ seq: g.msg!.seq, ...(g.msg!.body as MessageBodies['NACK']) }))
    assert.deepEqual(nacks.map((n) => [n.seq, n.code, n.detail]), [[9, ERROR_CODES.UNKNOWN_MESSAGE, 0xfe], [10, ERROR_CODES.BAD_PAYLOAD, 0]])
  })

  it('answers a frame with a damaged CRC by NACK BAD_CRC carrying its (unverified) seq', async () => {
    make()
    await host.hello()
    const f = encodeMessage({ name: 'GET_PARAMS', body: { offset: 0, count: 0 }, seq: 321 })
    f[9] ^= 0x10
    await host.t.send(f)
    await clock.advance(0.01)
    const n = host.got.find((g) => g.msg?.name === 'NACK')!.msg!
    assert.equal(n.seq, 321)
    assert.equal((n.body as MessageBodies['NACK']).code, ERROR_CODES.BAD_CRC)
    assert.equal(board.stats.rxBad, 1)
  })

  it('relaxes a batch, reports states in state_lsb units that keep the clamps, and ignores a retried RELAX', async () => {
    make()
    await host.hello()
    await host.call('SET_PARAMS', { offset: 0, values: net.weights })
    for (let s = 0; s < 2; s++) await host.call('CLAMP', { sample: s, replace: true, clamps: [{ node: 0, value: 1000 * (s + 1) }, { node: 1, value: -2000 }] })
    const relax = { batch: 2, phase: 'free', nudge: 'cost', cost: 'log-cos', start: 'random', beta: 0, seed: 5, budgetUs: 0, maxSteps: 0 } as const
    const done = await host.call('RELAX', relax, 700)
    assert.equal(done.name, 'RELAX_DONE')
    assert.equal((done.body as MessageBodies['RELAX_DONE']).batch, 2)
    await host.call('RELAX', relax, 700)
    assert.equal(board.stats.relaxations, 1, 'the retry is answered from the cache')
    const st = (await host.call('GET_STATE', { sample: 1, kind: 'nodes', offset: 0, count: 0 })).body as MessageBodies['STATE']
    assert.equal(st.total, N)
    assert.equal(st.values[0], 2000)
    assert.equal(st.values[1], -2000)
    assert.ok(Number.isFinite(st.energy))
    const edges = nackOf(await host.call('GET_STATE', { sample: 0, kind: 'edges', offset: 0, count: 0 }))
    assert.equal(edges.code, ERROR_CODES.UNSUPPORTED)
    const beyond = nackOf(await host.call('GET_STATE', { sample: 2, kind: 'nodes', offset: 0, count: 0 }))
    assert.equal(beyond.code, ERROR_CODES.OUT_OF_RANGE)
  })

  it('refuses RELAX start=previous before any relaxation with NO_PREVIOUS naming the sample', async () => {
    make()
    await host.hello()
    const r = nackOf(await host.call('RELAX', { batch: 1, phase: 'free', nudge: 'cost', cost: 'log-cos', start: 'previous', beta: 0, seed: 0, budgetUs: 0, maxSteps: 0 }))
    assert.equal(r.code, ERROR_CODES.NO_PREVIOUS)
    assert.equal(r.detail, 0)
  })

  it('trips its watchdog when the host is silent: safe state, parameters zero, FAULT WATCHDOG, NOT_READY until HELLO', async () => {
    make()
    await host.hello(400)
    await host.call('SET_PARAMS', { offset: 0, values: [0.5] })
    await clock.advance(0.5)
    const fault = host.events('FAULT').find((f) => (f.body as { code: number }).code === FAULT_CODES.WATCHDOG)
    assert.ok(fault, 'a FAULT WATCHDOG')
    assert.ok((fault.body as { detail: number }).detail >= 400)
    assert.equal(board.boardState, 'safe')
    assert.equal(board.params[0], 0)
    assert.equal(nackOf(await host.call('GET_PARAMS', { offset: 0, count: 0 })).code, ERROR_CODES.NOT_READY)
    assert.equal((await host.hello()).name, 'DEVICE_INFO')
    assert.equal(board.boardState, 'ready')
  })

  it('keeps its watchdog fed by host heartbeats, and sends heartbeats of its own when idle', async () => {
    make()
    await host.hello(400)
    for (let i = 0; i < 10; i++) {
      await host.send('HEARTBEAT', { state: 'boot', bootCounter: 0, uptimeMs: 0, rxBad: 0 })
      await clock.advance(0.1)
    }
    assert.equal(board.boardState, 'ready')
    const hb = host.events('HEARTBEAT')
    assert.ok(hb.length >= 5, `${hb.length} heartbeats in 1 s at a 0.1 s period`)
    assert.equal((hb.at(-1)!.body as MessageBodies['HEARTBEAT']).state, 'ready')
  })

  it('reboots with boot counter + 1, zero parameters and a FAULT RESET', async () => {
    make()
    await host.hello()
    await host.call('SET_PARAMS', { offset: 0, values: [0.5] })
    board.reboot()
    await clock.advance(0.01)
    assert.equal(board.bootCounter, 8)
    assert.equal(board.params[0], 0)
    assert.equal(host.events('FAULT').length, 2)
    const d = (await host.hello()).body as MessageBodies['DEVICE_INFO']
    assert.equal(d.bootCounter, 8)
  })

  it('as an incompatible firmware, answers in its own major with UNSUPPORTED_MAJOR', async () => {
    make({ faults: { protocolMajor: 2 } })
    await host.send('HELLO', { protoMinor: 0, maxFrame: 1024, watchdogMs: 0 }, 55)
    await clock.advance(0.01)
    const raw = host.got.filter((g) => g.raw[0] === 2)
    assert.ok(raw.length >= 2, 'the FAULT RESET and the NACK, both in major 2')
    const nack = raw.find((g) => g.raw[5] === 0xff)!.raw
    assert.equal(new DataView(nack.buffer, nack.byteOffset).getUint16(3, true), 55)
  })
})
