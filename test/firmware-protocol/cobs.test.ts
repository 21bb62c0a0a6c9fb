import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CobsDecoder, cobsDecode, cobsEncode, cobsMaxEncodedLength, serialFrame } from '../../firmware-protocol/ts/cobs.ts'
import { ProtocolError } from '../../firmware-protocol/ts/protocol-error.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { concat, hex, readVectors, unhex } from './helpers.ts'

const V = readVectors('cobs.json')

function randomBytes(rng: Rng, n: number, zeroOdds: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => (rng.int(zeroOdds) === 0 ? 0 : 1 + rng.int(255)))
}

describe('cobsEncode / cobsDecode', () => {
  it('match every frozen COBS vector both ways', () => {
    for (const v of V.vectors) {
      assert.equal(hex(cobsEncode(unhex(v.decodedHex))), v.encodedHex, v.name)
      assert.equal(hex(cobsDecode(unhex(v.encodedHex))), v.decodedHex, v.name)
    }
  })

  it('reject every frozen invalid encoding with BAD_COBS (code 1)', () => {
    for (const v of V.invalid) {
      assert.throws(() => cobsDecode(unhex(v.encodedHex)), (e: unknown) => e instanceof ProtocolError && e.code === 1 && e.codeName === 'BAD_COBS', v.name)
    }
  })

  it('round-trip random data of every length up to 600 with no 0x00 in the encoding and overhead <= 1 + floor(n/254)', () => {
    const rng = new Rng(11)
    for (let n = 0; n <= 600; n++) {
      const data = randomBytes(rng, n, [2, 20, 1000][n % 3])
      const enc = cobsEncode(data)
      assert.ok(!enc.includes(0), `n=${n}`)
      assert.ok(enc.length <= cobsMaxEncodedLength(n), `n=${n}`)
      assert.deepEqual(cobsDecode(enc), data)
    }
  })

  it('serialFrame ends in exactly one 0x00 and has no other', () => {
    const f = serialFrame(unhex('00112200'))
    assert.equal(f[f.length - 1], 0)
    assert.equal(f.indexOf(0), f.length - 1)
    assert.deepEqual(cobsDecode(f.subarray(0, f.length - 1)), unhex('00112200'))
  })
})

describe('CobsDecoder', () => {
  it('reproduces every frozen stream vector (frames and counters)', () => {
    for (const s of V.streams) {
      const d = new CobsDecoder({ maxFrame: s.maxFrame })
      const frames = s.chunks.flatMap((c: string) => d.push(unhex(c))).map(hex)
      assert.deepEqual(frames, s.frames, s.name)
      assert.deepEqual(d.stats, s.stats, s.name)
    }
  })

  it('gives the same frames for a stream split at every possible point', () => {
    const rng = new Rng(5)
    const frames = [randomBytes(rng, 40, 5), randomBytes(rng, 300, 50), randomBytes(rng, 1, 2)]
    const stream = concat(...frames.map(serialFrame))
    for (let k = 0; k <= stream.length; k++) {
      const d = new CobsDecoder()
      const got = [...d.push(stream.subarray(0, k)), ...d.push(stream.subarray(k))]
      assert.deepEqual(got, frames, `split at ${k}`)
    }
  })

  it('gives the same frames fed one byte at a time and in random chunk sizes', () => {
    const rng = new Rng(6)
    const frames = Array.from({ length: 20 }, () => randomBytes(rng, 1 + rng.int(200), 4))
    const stream = concat(...frames.map(serialFrame))
    const one = new CobsDecoder()
    const byByte: Uint8Array[] = []
    for (let i = 0; i < stream.length; i++) byByte.push(...one.push(stream.subarray(i, i + 1)))
    assert.deepEqual(byByte, frames)
    const two = new CobsDecoder()
    const byChunk: Uint8Array[] = []
    for (let i = 0; i < stream.length;) { const n = 1 + rng.int(64); byChunk.push(...two.push(stream.subarray(i, i + n))); i += n }
    assert.deepEqual(byChunk, frames)
  })

  it('resynchronises on the next 0x00 after random garbage and counts the garbage once', () => {
    const rng = new Rng(8)
    for (let t = 0; t < 200; t++) {
      const garbage = randomBytes(rng, 1 + rng.int(100), 1000)   // no zero most of the time
      const frame = randomBytes(rng, 1 + rng.int(50), 6)
      const d = new CobsDecoder({ maxFrame: 256 })
      const got = d.push(concat(garbage, new Uint8Array([0]), serialFrame(frame)))
      assert.deepEqual(got[got.length - 1], frame)
      const segments = garbage.reduce((n, b, i) => (b === 0 ? n : (i + 1 === garbage.length || garbage[i + 1] === 0) ? n + 1 : n), 0)
      assert.equal(d.stats.frames + d.stats.badCobs + d.stats.oversize, segments + 1)
    }
  })

  it('counts an oversize segment, keeps memory bounded, and decodes the next frame', () => {
    const d = new CobsDecoder({ maxFrame: 32 })
    const got = d.push(concat(serialFrame(new Uint8Array(5000).fill(7)), serialFrame(unhex('0102'))))
    assert.deepEqual(got.map(hex), ['0102'])
    assert.deepEqual(d.stats, { frames: 1, badCobs: 0, oversize: 1 })
  })

  it('reset() drops a partial frame', () => {
    const d = new CobsDecoder()
    d.push(unhex('0311'))
    d.reset()
    assert.deepEqual(d.push(unhex('021100')).map(hex), ['11'])
  })

  it('rejects a maxFrame outside 1..65535', () => {
    assert.throws(() => new CobsDecoder({ maxFrame: 0 }), RangeError)
    assert.throws(() => new CobsDecoder({ maxFrame: 70000 }), RangeError)
  })
})
