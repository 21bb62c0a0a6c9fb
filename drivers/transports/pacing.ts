// Link-rate emulation: a pty moves ~50 MB/s whatever baud rate it is given, so benches and tests that
// want a real UART's timing pace their writes. Each write is handed on once the bytes before it and
// the write itself would have been clocked out at the byte rate (8N1: baud / 10 bytes per second).
import { sleep, systemClock, type ByteStream, type Clock } from './transport.ts'

/** Bytes per second of a UART at this baud rate with 8N1 framing. */
export function uartByteRate(baud: number): number {
  return baud / 10
}

/** Wraps a ByteStream so that bytes reach the peer no faster than bytesPerS. */
export class PacedStream implements ByteStream {
  private busyUntil = 0
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly inner: ByteStream, private readonly bytesPerS: number, private readonly clock: Clock = systemClock) {
    if (!(bytesPerS > 0)) throw new RangeError(`bytesPerS must be positive, got ${bytesPerS}`)
  }

  get isOpen(): boolean { return this.inner.isOpen }

  write(bytes: Uint8Array): Promise<void> {
    // the schedule is fixed when the write is issued: a UART sends queued bytes back to back, so a
    // timer that fires late for one frame must not delay the frames queued behind it
    const issued = this.clock.now()
    this.busyUntil = Math.max(issued, this.busyUntil) + bytes.length / this.bytesPerS
    const due = this.busyUntil
    const p = this.chain.then(async () => {
      // deliver at the end of the transmission, as a UART receiver would see the last byte
      const wait = due - this.clock.now()
      if (wait > 0) await sleep(this.clock, wait)
      await this.inner.write(bytes)
    })
    this.chain = p.catch(() => {})
    return p
  }

  onData(cb: (chunk: Uint8Array) => void): void { this.inner.onData(cb) }
  onClose(cb: (err?: Error) => void): void { this.inner.onClose(cb) }
  close(): Promise<void> { return this.inner.close() }
}
