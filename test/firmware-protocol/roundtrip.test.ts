// Property test: random messages drawn from the table (seeded) survive encode -> frame -> COBS ->
// streaming receive -> decode unchanged.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  FrameReceiver, MESSAGES_BY_NAME, arrayCapacity, decodeMessage, encodeMessage, intRange, serialFrame,
  type FieldSpec, type MessageName, type OutgoingMessage,
} from '../../firmware-protocol/ts/index.ts'
import { Rng } from '../../src/core/rng/rng.ts'

const SPECIAL_F32 = [0, -0, 1, -1, Infinity, -Infinity, NaN, 1.401298464324817e-45, 3.4028234663852886e38, -3.4028234663852886e38]

function randomValue(rng: Rng, f: FieldSpec, arrayLen: number): unknown {
  switch (f.kind) {
    case 'scalar': {
      if (f.toNum) { const names = [...f.toNum.keys()]; return names[rng.int(names.length)] }
      if (f.type === 'bool') return rng.int(2) === 1
      if (f.type === 'f32') {
        if (rng.int(8) === 0) return SPECIAL_F32[rng.int(SPECIAL_F32.length)]
        return Math.fround((rng.next() - 0.5) * 10 ** (rng.int(20) - 10))
      }
      const [lo, hi] = intRange(f.type)
      const pick = rng.int(6)
      return pick === 0 ? lo : pick === 1 ? hi : lo + Math.floor(rng.next() * (hi - lo + 1))
    }
    case 'string': {
      const n = rng.int(6) === 0 ? f.max : rng.int(f.max + 1)
      let s = ''
      for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + rng.int(0x5f))
      return s
    }
    case 'struct': return Object.fromEntries(f.fields.map((g) => [g.name, randomValue(rng, g, 0)]))
    case 'array': return Array.from({ length: arrayLen }, () => randomValue(rng, f.of, 0))
  }
}

function randomMessage(rng: Rng, maxFrame: number): OutgoingMessage {
  const specs = [...MESSAGES_BY_NAME.values()]
  const spec = specs[rng.int(specs.length)]
  const cap = spec.array ? arrayCapacity(spec.name as MessageName, maxFrame) : 0
  const len = rng.int(4) === 0 ? cap : rng.int(Math.min(cap, 40) + 1)
  // an optional field that is 0 is not on the wire (SPEC 4.3): it decodes as absent, so leave it out
  const body = Object.fromEntries(spec.fields.map((f) => [f.name, randomValue(rng, f, len)]).filter(([k, v]) => !(v === 0 && spec.fields.find((f) => f.name === k)?.kind === 'scalar' && (spec.fields.find((f) => f.name === k) as { optional?: boolean }).optional)))
  return { name: spec.name, seq: rng.int(0x10000), compatFlags: rng.int(8) === 0 ? rng.int(256) : 0, body } as OutgoingMessage
}

describe('round trip of random messages', () => {
  it('500 seeded random messages encode, frame, COBS-stream and decode to themselves', () => {
    const rng = new Rng(20251124)
    const limits = [256, 512, 1024, 4096]
    for (let i = 0; i < 500; i++) {
      const maxFrame = limits[rng.int(limits.length)]
      const msg = randomMessage(rng, maxFrame)
      const frame = encodeMessage(msg)
      assert.ok(frame.length <= maxFrame, `${msg.name}: ${frame.length} > ${maxFrame}`)
      const d = decodeMessage(frame, { maxFrame })
      assert.equal(d.name, msg.name)
      assert.equal(d.seq, msg.seq)
      assert.equal(d.compatFlags, msg.compatFlags)
      assert.deepStrictEqual(d.body, msg.body, `iteration ${i} (${msg.name})`)
      // through the serial path, split at a random point
      const wire = serialFrame(frame)
      const rx = new FrameReceiver({ maxFrame })
      const k = rng.int(wire.length + 1)
      const got = [...rx.push(wire.subarray(0, k)), ...rx.push(wire.subarray(k))]
      assert.equal(got.length, 1)
      assert.ok(got[0].ok)
      assert.deepStrictEqual(got[0].ok && got[0].message.body, msg.body)
    }
  })

  it('arrayCapacity is exact: capacity items fit the frame, one more does not', () => {
    const rng = new Rng(4)
    for (const spec of MESSAGES_BY_NAME.values()) {
      if (!spec.array) continue
      for (const maxFrame of [256, 300, 1024, 1500]) {
        const cap = arrayCapacity(spec.name as MessageName, maxFrame)
        for (const n of [cap, cap + 1]) {
          const body = Object.fromEntries(spec.fields.map((f) => [f.name, randomValue(rng, f, n)]))
          const frame = encodeMessage({ name: spec.name, seq: 0, body } as OutgoingMessage)
          assert.equal(frame.length <= maxFrame, n === cap, `${spec.name} n=${n} maxFrame=${maxFrame}`)
        }
      }
    }
  })
})
