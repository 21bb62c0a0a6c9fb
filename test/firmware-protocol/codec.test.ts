import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  ProtocolError, arrayCapacity, decodeMessage, decodePayload, encodeFrame, encodeMessage, encodePayload, errorName, fromFixed,
  planChunks, toFixed, wrapPhase, PHASE_LSB,
} from '../../firmware-protocol/ts/index.ts'
import { hex } from './helpers.ts'

describe('encodePayload', () => {
  it('refuses values the wire cannot carry, naming the field', () => {
    assert.throws(() => encodePayload('HELLO', { protoMinor: 256, maxFrame: 1024, watchdogMs: 0 }), /HELLO.protoMinor: expected an integer in 0..255/)
    assert.throws(() => encodePayload('HELLO', { protoMinor: 1.5, maxFrame: 1024, watchdogMs: 0 }), RangeError)
    assert.throws(() => encodePayload('SET_TARGETS', { sample: 0, offset: 0, values: [40000] }), /values\[0\]/)
    assert.throws(() => encodePayload('GET_NODE_LIST', { list: 'inputs' as never, offset: 0, count: 0 }), /one of clampable, nudgeable/)
    assert.throws(() => encodePayload('CLAMP', { sample: 0, replace: 1 as never, clamps: [] }), TypeError)
    assert.throws(() => encodePayload('HELLO', { protoMinor: 0, maxFrame: 1024 } as never), /watchdogMs: missing/)
  })

  it('refuses strings that are too long or not printable ASCII', () => {
    const info = {
      protoMinor: 0, model: 'xy', reports: 'states', capabilities: 0, costs: 0, maxFrame: 256, maxBatch: 1, nodeCount: 1, edgeCount: 0,
      clampableCount: 0, nudgeableCount: 0, coupling: { min: 0, max: 1, levels: 0 }, bias: { min: 0, max: 1, levels: 0 },
      stateLsb: PHASE_LSB, edgeLsb: 0, watchdogMs: 2000, bootCounter: 1, uid: 'a', firmware: '',
    } as const
    assert.throws(() => encodePayload('DEVICE_INFO', { ...info, uid: 'x'.repeat(33) }), /longer than 32/)
    assert.throws(() => encodePayload('DEVICE_INFO', { ...info, uid: 'caf\u00e9' }), /not printable ASCII/)
    assert.throws(() => encodePayload('DEVICE_INFO', { ...info, uid: 'a\nb' }), /not printable ASCII/)
  })

  it('accepts typed arrays for scalar arrays', () => {
    assert.equal(hex(encodePayload('SET_START', { sample: 1, offset: 2, values: Int16Array.of(-1, 2) as unknown as number[] })), '010002000200ffff0200')
  })
})

describe('decodeMessage', () => {
  it('refuses a message meant for the other side only when given a role', () => {
    const f = encodeMessage({ name: 'ACK', seq: 1, body: { ref: 1 } })
    assert.equal(decodeMessage(f).name, 'ACK')
    assert.equal(decodeMessage(f, { role: 'host' }).name, 'ACK')
    assert.throws(() => decodeMessage(f, { role: 'board' }), (e: unknown) => e instanceof ProtocolError && e.codeName === 'UNKNOWN_MESSAGE' && e.detail === 0xfe && e.seq === 1)
  })

  it('accepts HEARTBEAT in both roles', () => {
    const f = encodeMessage({ name: 'HEARTBEAT', seq: 1, body: { state: 'boot', bootCounter: 0, uptimeMs: 0, rxBad: 0 } })
    assert.equal(decodeMessage(f, { role: 'host' }).name, 'HEARTBEAT')
    assert.equal(decodeMessage(f, { role: 'board' }).name, 'HEARTBEAT')
  })

  it('checks the frame limit before anything else', () => {
    const f = encodeMessage({ name: 'SET_PARAMS', seq: 1, body: { offset: 0, values: new Array(100).fill(1) } })
    assert.throws(() => decodeMessage(f, { maxFrame: 256 }), (e: unknown) => e instanceof ProtocolError && e.codeName === 'FRAME_TOO_LARGE' && e.detail === 256)
    assert.equal(decodeMessage(f, { maxFrame: 512 }).name, 'SET_PARAMS')
  })

  it('returns a payload view of exactly the payload length', () => {
    const f = encodeFrame({ seq: 5, msgId: 0xfe }, Uint8Array.of(0x21))
    const big = new Uint8Array(64)
    big.set(f, 10)
    assert.deepEqual(decodeMessage(big.subarray(10, 10 + f.length)).body, { ref: 0x21 })
    assert.deepEqual(decodePayload(0xfe, Uint8Array.of(0x22)), { name: 'ACK', body: { ref: 0x22 } })
  })
})

describe('errorName', () => {
  it('names known codes and returns undefined for unknown ones', () => {
    assert.equal(errorName(11), 'BUSY')
    assert.equal(errorName(999), undefined)
  })
})

describe('chunking', () => {
  it('arrayCapacity gives 59 SET_PARAMS values and 119 STATE values at 256 bytes', () => {
    assert.equal(arrayCapacity('SET_PARAMS', 256), 59)
    assert.equal(arrayCapacity('STATE', 256), Math.floor((256 - 12 - 22) / 2))
    assert.equal(arrayCapacity('EDGES', 1024), Math.floor((1024 - 12 - 10) / 4))
    assert.throws(() => arrayCapacity('HELLO', 256), RangeError)
  })

  it('planChunks covers 0..total exactly', () => {
    assert.deepEqual(planChunks(130, 59), [{ offset: 0, count: 59 }, { offset: 59, count: 59 }, { offset: 118, count: 12 }])
    assert.deepEqual(planChunks(0, 59), [])
    assert.throws(() => planChunks(10, 0), RangeError)
  })
})

describe('fixed point', () => {
  it('encodes phases in 2^-13 rad steps, ties away from zero, clipped to int16', () => {
    assert.equal(toFixed(Math.PI, PHASE_LSB), 25736)
    assert.equal(toFixed(-Math.PI, PHASE_LSB), -25736)
    assert.equal(toFixed(1.5 * PHASE_LSB, PHASE_LSB), 2)
    assert.equal(toFixed(-1.5 * PHASE_LSB, PHASE_LSB), -2)
    assert.equal(toFixed(10, PHASE_LSB), 32767)
    assert.equal(toFixed(-10, PHASE_LSB), -32768)
    assert.throws(() => toFixed(NaN, PHASE_LSB), RangeError)
  })

  it('round-trips any wrapped phase to within half a step', () => {
    for (let x = -20; x <= 20; x += 0.013) {
      const w = wrapPhase(x)
      assert.ok(w > -Math.PI - 1e-12 && w <= Math.PI + 1e-12)
      assert.ok(Math.abs(fromFixed(toFixed(w, PHASE_LSB), PHASE_LSB) - w) <= PHASE_LSB / 2 + 1e-15)
    }
  })
})
