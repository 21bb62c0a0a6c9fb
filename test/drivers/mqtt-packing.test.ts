// SPEC 10.5: several inner frames in one MQTT payload. The frozen vectors split as they say, and the
// packer publishes the frames of one synchronous run as one message, within the limit.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FramePacker, splitPayload } from '../../drivers/transports/mqtt/packing.ts'
import { hex, readVectors, unhex } from '../firmware-protocol/helpers.ts'

interface PackVec { name: string; payloadHex: string; framesHex: string[] }

describe('splitPayload (SPEC 10.5)', () => {
  it('takes the frames of every frozen vector out of its payload, in order', () => {
    const { vectors } = readVectors<{ vectors: PackVec[] }>('mqtt-packed.json')
    assert.ok(vectors.length >= 7)
    for (const v of vectors) assert.deepEqual(splitPayload(unhex(v.payloadHex)).map(hex), v.framesHex, v.name)
  })
})

describe('FramePacker', () => {
  const frame = (len: number, tag: number) => { const f = new Uint8Array(len); f[0] = tag; return f }
  const tick = () => new Promise<void>((r) => setImmediate(r))

  it('publishes the frames added in one synchronous run as one payload, after the run', async () => {
    const out: Buffer[] = []
    const p = new FramePacker((b) => out.push(b))
    p.add(frame(20, 1), 1024)
    p.add(frame(30, 2), 1024)
    assert.equal(out.length, 0, 'nothing before the run ends')
    await tick()
    assert.equal(out.length, 1)
    assert.equal(out[0].length, 50)
    assert.deepEqual([out[0][0], out[0][20]], [1, 2])
    p.add(frame(10, 3), 1024)
    await tick()
    assert.equal(out.length, 2, 'a later run is a new message')
    assert.deepEqual([p.messages, p.frames], [2, 3])
  })

  it('starts a new payload rather than pass the limit', async () => {
    const out: Buffer[] = []
    const p = new FramePacker((b) => out.push(b))
    for (let k = 0; k < 5; k++) p.add(frame(40, k), 100)
    await tick()
    assert.deepEqual(out.map((b) => b.length), [80, 80, 40])
  })

  it('calls every frame\'s done once its payload is written, and fails them on clear()', async () => {
    const calls: string[] = []
    const p = new FramePacker((_b, done) => setImmediate(() => done?.()))
    p.add(frame(12, 1), 1024, (e) => calls.push(e?.message ?? 'ok'))
    p.add(frame(12, 2), 1024, (e) => calls.push(e?.message ?? 'ok'))
    await tick(); await tick()
    assert.deepEqual(calls, ['ok', 'ok'])
    p.add(frame(12, 3), 1024, (e) => calls.push(e?.message ?? 'ok'))
    p.clear(new Error('gone'))
    assert.equal(calls[2], 'gone')
  })
})
