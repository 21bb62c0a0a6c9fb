// An in-memory byte link: two linked ends, for fast tests of everything above the serial port. Bytes
// written on one end arrive on the other in a later macrotask, as they would from a port.
import type { ByteStream } from './transport.ts'

class MemoryEnd implements ByteStream {
  peer!: MemoryEnd
  private open = true
  private readonly dataCbs: ((c: Uint8Array) => void)[] = []
  private readonly closeCbs: ((e?: Error) => void)[] = []

  get isOpen(): boolean { return this.open }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.open) throw new Error('memory link: write on a closed end')
    const copy = bytes.slice()
    const peer = this.peer
    setImmediate(() => { if (peer.open) peer.deliver(copy) })
  }

  deliver(chunk: Uint8Array): void { for (const cb of this.dataCbs) cb(chunk) }
  onData(cb: (chunk: Uint8Array) => void): void { this.dataCbs.push(cb) }
  onClose(cb: (err?: Error) => void): void { this.closeCbs.push(cb) }

  shut(err?: Error): void {
    if (!this.open) return
    this.open = false
    for (const cb of this.closeCbs) cb(err)
  }

  async close(): Promise<void> { this.shut() }
}

export interface MemoryLink {
  /** the two ends; what one writes the other reads */
  a: ByteStream
  b: ByteStream
  /** closes both ends with an error, as pulling the cable would */
  unplug(): void
}

/** A linked pair of in-memory byte streams. */
export function createMemoryLink(): MemoryLink {
  const a = new MemoryEnd(), b = new MemoryEnd()
  a.peer = b
  b.peer = a
  return {
    a, b,
    unplug: () => {
      a.shut(new Error('memory link unplugged'))
      b.shut(new Error('memory link unplugged'))
    },
  }
}
