import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FramedTransport } from '../../drivers/transports/framing.ts'
import { createMemoryLink } from '../../drivers/transports/memory.ts'
import { PacedStream, uartByteRate } from '../../drivers/transports/pacing.ts'
import type { Clock } from '../../drivers/transports/transport.ts'
import { serialFrame } from '../../firmware-protocol/ts/index.ts'
import { FakeClock, settle } from '../support/fake-clock.ts'

const frame = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

describe('memory link', () => {
  it('delivers what one end writes to the other end, in order', async () => {
    const l = createMemoryLink()
    const got: number[] = []
    l.b.onData((c) => got.push(...c))
    await l.a.write(Uint8Array.of(1, 2))
    await l.a.write(Uint8Array.of(3))
    await settle()
    assert.deepEqual(got, [1, 2, 3])
  })

  it('closes both ends with an error on unplug, and refuses writes after', async () => {
    const l = createMemoryLink()
    const errs: (Error | undefined)[] = []
    l.a.onClose((e) => errs.push(e))
    l.b.onClose((e) => errs.push(e))
    l.unplug()
    assert.equal(errs.length, 2)
    assert.ok(errs.every((e) => e instanceof Error))
    assert.equal(l.a.isOpen, false)
    await assert.rejects(l.a.write(Uint8Array.of(1)))
  })
})

describe('FramedTransport', () => {
  it('carries frames with zero bytes intact, however the bytes are chunked', async () => {
    const l = createMemoryLink()
    const rx = new FramedTransport(l.b)
    const got: number[][] = []
    rx.onFrame((f) => got.push([...f]))
    const frames = [Uint8Array.of(0, 0, 1), frame(300, 7), Uint8Array.of(5)]
    const bytes = Uint8Array.from(frames.flatMap((f) => [...serialFrame(f)]))
    // split at every third byte, so delimiters and code bytes land on chunk edges
    for (let i = 0; i < bytes.length; i += 3) await l.a.write(bytes.subarray(i, i + 3))
    await settle(200)
    assert.deepEqual(got, frames.map((f) => [...f]))
    assert.equal(rx.stats().framesIn, 3)
  })

  it('counts a garbled segment as bad COBS and recovers at the next delimiter', async () => {
    const l = createMemoryLink()
    const rx = new FramedTransport(l.b, { maxFrame: 64 })
    const got: number[][] = []
    rx.onFrame((f) => got.push([...f]))
    await l.a.write(Uint8Array.of(9, 1, 2, 0))                // code 9 runs past the segment
    await l.a.write(new Uint8Array(200).fill(7))              // longer than the frame limit...
    await l.a.write(Uint8Array.of(0))                         // ...ended here
    await l.a.write(serialFrame(Uint8Array.of(4, 0, 4)))
    await settle()
    assert.deepEqual(got, [[4, 0, 4]])
    const st = rx.stats()
    assert.equal(st.badCobs, 1)
    assert.equal(st.oversize, 1)
    assert.equal(st.bytesIn, 4 + 200 + 1 + serialFrame(Uint8Array.of(4, 0, 4)).length)
  })

  it('counts bytes and frames it sends', async () => {
    const l = createMemoryLink()
    const tx = new FramedTransport(l.a)
    await tx.send(frame(10, 1))
    await tx.send(frame(10, 2))
    const st = tx.stats()
    assert.equal(st.framesOut, 2)
    assert.equal(st.bytesOut, serialFrame(frame(10, 1)).length + serialFrame(frame(10, 2)).length)
  })
})

describe('PacedStream', () => {
  it('hands bytes on only once a UART at the baud rate would have sent them', async () => {
    const clock = new FakeClock()
    const l = createMemoryLink()
    const rate = uartByteRate(9600) // 960 bytes/s
    const paced = new PacedStream(l.a, rate, clock)
    const arrivals: { at: number; n: number }[] = []
    l.b.onData((c) => arrivals.push({ at: clock.now(), n: c.length }))
    const t0 = clock.now()
    const w1 = paced.write(new Uint8Array(96))   // 0.1 s on the wire
    const w2 = paced.write(new Uint8Array(48))   // then 0.05 s more
    await clock.advance(0.09)
    assert.equal(arrivals.length, 0, 'nothing arrives before the first frame is clocked out')
    await clock.advance(0.02)
    assert.deepEqual(arrivals.map((a) => a.n), [96])
    await clock.advance(0.05)
    await Promise.all([w1, w2])
    assert.deepEqual(arrivals.map((a) => a.n), [96, 48])
    assert.ok(arrivals[1].at - t0 >= 0.15 - 1e-9, `second frame arrived at ${arrivals[1].at - t0} s`)
  })

  it('hands writes that fell due together on in one piece, never before the last of them is due', async () => {
    const clock = new FakeClock()
    // every timer fires 1.5 bytes' time late, as on a loaded machine
    const late: Clock = { now: () => clock.now(), after: (s, fn) => clock.after(s + 1.5 / 960, fn) }
    const l = createMemoryLink()
    const paced = new PacedStream(l.a, uartByteRate(9600), late)
    const arrivals: { at: number; bytes: number[] }[] = []
    l.b.onData((c) => arrivals.push({ at: clock.now(), bytes: [...c] }))
    const t0 = clock.now()
    const w = [paced.write(Uint8Array.of(1, 2)), paced.write(Uint8Array.of(3)), paced.write(Uint8Array.of(4, 5, 6))]
    // due after 2, 3 and 6 bytes' time: the first wake-up, at 3.5, finds the second due too and
    // delivers both at once; the third still waits for its own time (and its late timer)
    await clock.advance(3.6 / 960)
    assert.deepEqual(arrivals.map((a) => a.bytes), [[1, 2, 3]])
    await clock.advance(2.6 / 960)
    assert.deepEqual(arrivals.map((a) => a.bytes), [[1, 2, 3]], 'the third is not due yet')
    await clock.advance(2 / 960)
    await Promise.all(w)
    assert.deepEqual(arrivals.map((a) => a.bytes), [[1, 2, 3], [4, 5, 6]])
    assert.ok(arrivals[1].at - t0 >= 6 / 960 - 1e-9)
  })
})
