import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { crc32c, crc32cUpdate } from '../../firmware-protocol/ts/crc32c.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { readVectors, unhex } from './helpers.ts'

describe('crc32c', () => {
  it('gives the catalogue check value 0xE3069283 for ASCII "123456789"', () => {
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283)
  })

  it('matches every frozen CRC vector (RFC 3720 B.4 values included)', () => {
    const { vectors } = readVectors<{ vectors: { name: string; inputHex: string; crcHex: string }[] }>('crc.json')
    assert.ok(vectors.length >= 6)
    for (const v of vectors) assert.equal(crc32c(unhex(v.inputHex)).toString(16).padStart(8, '0'), v.crcHex, v.name)
  })

  it('continues across any split point: crc32cUpdate(crc32c(a), b) = crc32c(a ++ b)', () => {
    const rng = new Rng(7)
    const data = Uint8Array.from({ length: 300 }, () => rng.int(256))
    const whole = crc32c(data)
    for (let k = 0; k <= data.length; k++) assert.equal(crc32cUpdate(crc32c(data.subarray(0, k)), data.subarray(k)), whole)
  })

  it('honours start and end offsets', () => {
    const data = new TextEncoder().encode('xx123456789yy')
    assert.equal(crc32c(data, 2, 11), 0xe3069283)
  })

  it('returns an unsigned 32-bit number', () => {
    const rng = new Rng(3)
    for (let i = 0; i < 50; i++) {
      const c = crc32c(Uint8Array.from({ length: 1 + rng.int(40) }, () => rng.int(256)))
      assert.ok(Number.isInteger(c) && c >= 0 && c <= 0xffffffff)
    }
  })
})
