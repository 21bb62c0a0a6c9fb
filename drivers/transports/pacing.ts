// Link-rate emulation: a pty moves ~50 MB/s whatever baud rate it is given, so benches and tests that
// want a real UART's timing pace their writes. Each write is handed on once the bytes before it and
// the write itself would have been clocked out at the byte rate (8N1: baud / 10 bytes per second).
import { sleep, systemClock, type ByteStream, type Clock } from './transport.ts'

/** Bytes per second of a UART at this baud rate with 8N1 framing. */
export function uartByteRate(baud: number): number {
  return baud / 10
}

/** A write waiting for its bytes to be clocked out. */
interface QueuedWrite { bytes: Uint8Array; due: number; resolve: () => void; reject: (err: Error) => void }

/** Wraps a ByteStream so that bytes reach the peer no faster than bytesPerS. */
export class PacedStream implements ByteStream {
  private busyUntil = 0
  private readonly queue: QueuedWrite[] = []
  private pumping = false

  constructor(private readonly inner: ByteStream, private readonly bytesPerS: number, private readonly clock: Clock = systemClock) {
    if (!(bytesPerS > 0)) throw new RangeError(`bytesPerS must be positive, got ${bytesPerS}`)
  }

  get isOpen(): boolean { return this.inner.isOpen }

  write(bytes: Uint8Array): Promise<void> {
    // the schedule is fixed when the write is issued: a UART sends queued bytes back to back, so a
    // timer that fires late for one frame must not delay the frames queued behind it
    const issued = this.clock.now()
    this.busyUntil = Math.max(issued, this.busyUntil) + bytes.length / this.bytesPerS
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, due: this.busyUntil, resolve, reject })
      if (!this.pumping) void this.pump()
    })
  }

  /** Hands queued writes on as they fall due, one inner write for all that are due by then. */
  private async pump(): Promise<void> {
    this.pumping = true
    try {
      while (this.queue.length > 0) {
        // deliver at the end of the transmission, as a UART receiver would see the last byte
        const wait = this.queue[0].due - this.clock.now()
        if (wait > 0) await sleep(this.clock, wait)
        // a late timer leaves several writes due: they go out together (one wake-up and one system
        // call, not one per frame, which on a loaded machine added a scheduling delay per frame)
        const now = this.clock.now() + 1e-9
        let k = 1
        while (k < this.queue.length && this.queue[k].due <= now) k++
        const batch = this.queue.splice(0, k)
        const bytes = k === 1 ? batch[0].bytes : concat(batch.map((w) => w.bytes))
        // not awaited: the inner stream keeps its writes in order, and waiting for each write's
        // completion (a thread-pool round trip for a serial port) delayed every frame behind it
        this.inner.write(bytes).then(() => { for (const w of batch) w.resolve() }, (err: Error) => { for (const w of batch) w.reject(err) })
      }
    } finally {
      this.pumping = false
    }
  }

  onData(cb: (chunk: Uint8Array) => void): void { this.inner.onData(cb) }
  onClose(cb: (err?: Error) => void): void { this.inner.onClose(cb) }
  close(): Promise<void> { return this.inner.close() }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
