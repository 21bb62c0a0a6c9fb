// Random and mutated frames into the TypeScript receive path: no exception escapes, every loop ends,
// and every bad frame is counted exactly once.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  ERROR_CODES, FrameReceiver, MESSAGES_BY_ID, ProtocolError, cobsDecode, decodeMessage, encodeFrame, encodeMessage, serialFrame,
  type DecodedMessage, type OutgoingMessage,
} from '../../firmware-protocol/ts/index.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { concat, readVectors, unhex } from './helpers.ts'

const CORPUS: Uint8Array[] = readVectors('positive.json').vectors.map((v: { serialHex: string }) => unhex(v.serialHex))
const IDS = [...MESSAGES_BY_ID.keys()]
const CODES = new Set<number>(Object.values(ERROR_CODES))

function mutate(rng: Rng, src: Uint8Array): Uint8Array {
  let b = Array.from(src)
  const n = 1 + rng.int(4)
  for (let k = 0; k < n && b.length > 0; k++) {
    const at = rng.int(b.length)
    switch (rng.int(7)) {
      case 0: b[at] ^= 1 << rng.int(8); break
      case 1: b[at] = rng.int(256); break
      case 2: b.splice(at, 0, rng.int(256)); break
      case 3: b.splice(at, 1); break
      case 4: b = b.slice(0, at); break
      case 5: b[at] = 0; break
      default: b.splice(at, 0, ...b.slice(at, at + 1 + rng.int(20))); break
    }
  }
  return Uint8Array.from(b)
}

/** A frame with a good CRC but a random payload, so the payload decoders see arbitrary bytes. */
function randomPayloadFrame(rng: Rng): Uint8Array {
  const payload = Uint8Array.from({ length: rng.int(4) === 0 ? rng.int(1200) : rng.int(80) }, () => (rng.int(3) === 0 ? 0 : rng.int(256)))
  if (payload.length >= 6 && rng.int(2) === 0) { payload[4] = rng.int(8); payload[5] = 0 }   // plausible array counts
  const msgId = rng.int(5) === 0 ? rng.int(256) : IDS[rng.int(IDS.length)]
  return encodeFrame({ seq: rng.int(0x10000), msgId, compatFlags: rng.int(256) }, payload)
}

function countSegments(stream: Uint8Array, pending: number): { segments: number; pending: number } {
  let segments = 0, run = pending
  for (const b of stream) {
    if (b === 0) { if (run > 0) segments++; run = 0 } else run++
  }
  return { segments, pending: run }
}

function checkStable(m: DecodedMessage): void {
  const again = decodeMessage(encodeMessage({ name: m.name, seq: m.seq, body: m.body } as OutgoingMessage))
  assert.deepStrictEqual(again.body, m.body)
}

describe('fuzzing the receive path', () => {
  it('3000 random and mutated streams: no exception escapes, every segment is counted once', { timeout: 20_000 }, () => {
    const rng = new Rng(99)
    const rx = new FrameReceiver({ maxFrame: 1024 })
    let segments = 0, pending = 0, results = 0, accepted = 0
    for (let i = 0; i < 3000; i++) {
      const parts: Uint8Array[] = []
      for (let p = 1 + rng.int(4); p > 0; p--) {
        switch (rng.int(4)) {
          case 0: parts.push(Uint8Array.from({ length: rng.int(600) }, () => (rng.int(40) === 0 ? 0 : rng.int(256)))); break
          case 1: parts.push(mutate(rng, CORPUS[rng.int(CORPUS.length)])); break
          case 2: parts.push(serialFrame(randomPayloadFrame(rng))); break
          default: parts.push(CORPUS[rng.int(CORPUS.length)]); break
        }
      }
      const stream = concat(...parts)
      const c = countSegments(stream, pending)
      segments += c.segments
      pending = c.pending
      for (let at = 0; at < stream.length;) {          // random chunking
        const n = 1 + rng.int(256)
        for (const r of rx.push(stream.subarray(at, at + n))) {
          results++
          if (r.ok) { accepted++; checkStable(r.message) } else {
            assert.ok(r.error instanceof ProtocolError)
            assert.ok(CODES.has(r.error.code), `code ${r.error.code}`)
          }
        }
        at += n
      }
    }
    const s = rx.stats
    const cobsLevel = s.errors.BAD_COBS + s.errors.FRAME_TOO_LARGE
    // FRAME_TOO_LARGE from decodeFrame cannot happen here: the COBS decoder enforces the same limit
    assert.equal(results + cobsLevel, segments)
    assert.equal(s.messages, accepted)
    assert.equal(s.messages + s.bad, segments)
    assert.ok(accepted > 100 && s.bad > 100, `accepted ${accepted}, bad ${s.bad}`)
  })

  it('2000 frames with good CRCs and random payloads decode or fail with a ProtocolError only', () => {
    const rng = new Rng(123)
    let ok = 0
    for (let i = 0; i < 2000; i++) {
      const f = randomPayloadFrame(rng)
      try { checkStable(decodeMessage(f)); ok++ } catch (e) {
        assert.ok(e instanceof ProtocolError, String(e))
        assert.ok(e.codeName === 'UNKNOWN_MESSAGE' || e.codeName === 'BAD_PAYLOAD', e.codeName)
      }
    }
    assert.ok(ok > 50, `only ${ok} accepted`)
  })

  it('random bytes into cobsDecode either decode or throw BAD_COBS', () => {
    const rng = new Rng(77)
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.from({ length: rng.int(300) }, () => (rng.int(50) === 0 ? 0 : rng.int(256)))
      try { cobsDecode(b) } catch (e) { assert.ok(e instanceof ProtocolError && e.codeName === 'BAD_COBS') }
    }
  })
})
