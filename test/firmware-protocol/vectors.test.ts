// Runs the frozen vectors (firmware-protocol/vectors/*.json) against the TypeScript codec.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  FrameReceiver, ProtocolError, TABLE, cobsDecode, decodeMessage, encodeFrame, encodeMessage, encodePayload, messageSpec, serialFrame,
  type OutgoingMessage, type Role,
} from '../../firmware-protocol/ts/index.ts'
import { hex, readVectors, unhex } from './helpers.ts'

// learning.json holds the on-board learning section's vectors in the same two formats
const LEARN = readVectors('learning.json')
const POS = [...readVectors('positive.json').vectors, ...LEARN.vectors]
const NEG = [...readVectors('negative.json').vectors, ...LEARN.negative]
const TOL = readVectors('tolerant.json').vectors

const roleFor = (name: string): Role | undefined => {
  const dir = messageSpec(name).dir
  return dir === 'host-to-board' ? 'board' : dir === 'board-to-host' ? 'host' : undefined
}

describe('positive vectors', () => {
  it('cover every message in the table', () => {
    const covered = new Set(POS.map((v: { message: string }) => v.message))
    for (const m of TABLE.messages) assert.ok(covered.has(m.name), `no positive vector for ${m.name}`)
  })

  for (const v of POS) {
    it(`${v.message}: ${v.name} encodes to the frozen payload, frame and serial bytes and decodes back`, () => {
      const msg = { name: v.message, seq: v.seq, compatFlags: v.compatFlags, body: v.body } as OutgoingMessage
      assert.equal(messageSpec(v.message).id, v.id)
      assert.equal(hex(encodePayload(msg.name, msg.body as never)), v.payloadHex)
      assert.equal(hex(encodeMessage(msg)), v.frameHex)
      assert.equal(hex(serialFrame(unhex(v.frameHex))), v.serialHex)
      const d = decodeMessage(unhex(v.frameHex), { role: roleFor(v.message) })
      assert.equal(d.name, v.message)
      assert.equal(d.seq, v.seq)
      assert.equal(d.compatFlags, v.compatFlags)
      assert.deepEqual(d.body, v.body)
      const rx = new FrameReceiver({ role: roleFor(v.message) })
      const got = rx.push(unhex(v.serialHex))
      assert.equal(got.length, 1)
      assert.ok(got[0].ok)
      assert.deepEqual(got[0].ok && got[0].message.body, v.body)
    })
  }
})

describe('negative vectors', () => {
  for (const v of NEG) {
    it(`${v.name}: fails with ${v.error} (${v.code}), detail ${v.detail}`, () => {
      assert.equal(TABLE.errors.find((e) => e.name === v.error)?.code, v.code)
      const input = unhex(v.inputHex)
      const check = (e: unknown): boolean => {
        assert.ok(e instanceof ProtocolError, String(e))
        assert.equal(e.codeName, v.error)
        assert.equal(e.code, v.code)
        assert.equal(e.detail, v.detail)
        return true
      }
      if (v.layer === 'cobs') {
        assert.throws(() => cobsDecode(input), check)
        return
      }
      assert.throws(() => decodeMessage(input, { maxFrame: v.maxFrame, role: v.role }), check)
      const rx = new FrameReceiver({ maxFrame: v.maxFrame, role: v.role })
      const r = rx.accept(input)
      assert.ok(!r.ok && r.error.code === v.code)
      assert.equal(rx.stats.errors[v.error as keyof typeof rx.stats.errors], 1)
      assert.equal(rx.stats.bad, 1)
    })
  }

  it('errors found after the CRC check carry the sequence number, for the NACK', () => {
    const v = NEG.find((x: { name: string }) => x.name === 'bad enum')
    assert.throws(() => decodeMessage(unhex(v.inputHex)), (e: unknown) => e instanceof ProtocolError && e.seq === 0x0203 && e.msgId === 0x24)
  })

  it('cover every frame-level check: size, length, CRC, major, flags, id, payload', () => {
    const codes = new Set(NEG.map((v: { error: string }) => v.error))
    for (const c of ['BAD_COBS', 'FRAME_TOO_LARGE', 'BAD_LENGTH', 'BAD_CRC', 'UNSUPPORTED_MAJOR', 'UNKNOWN_INCOMPATIBLE_FLAG', 'UNKNOWN_MESSAGE', 'BAD_PAYLOAD']) {
      assert.ok(codes.has(c), c)
    }
  })
})

describe('tolerant vectors', () => {
  for (const v of TOL) {
    it(`${v.name}: is accepted, and re-encodes to the canonical payload`, () => {
      const d = decodeMessage(unhex(v.frameHex), { role: roleFor(v.message) })
      assert.equal(d.name, v.message)
      assert.equal(d.seq, v.seq)
      assert.equal(d.compatFlags, v.compatFlags)
      assert.deepEqual(d.body, v.body)
      assert.equal(hex(encodePayload(d.name, d.body as never)), v.canonicalPayloadHex)
    })
  }
})

describe('encodeFrame', () => {
  it('refuses header values out of range', () => {
    assert.throws(() => encodeFrame({ seq: 0x10000, msgId: 1 }, new Uint8Array(0)), RangeError)
    assert.throws(() => encodeFrame({ seq: 1, msgId: 256 }, new Uint8Array(0)), RangeError)
    assert.throws(() => encodeFrame({ seq: 1, msgId: 1 }, new Uint8Array(65524)), RangeError)
  })
})
