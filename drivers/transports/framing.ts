// Serial framing over a byte link: each inner frame goes out as COBS(frame) + 0x00, and incoming
// bytes are cut at 0x00 and decoded, so the receiver is back in step at the next delimiter after noise.
import { CobsDecoder, MAX_FRAME_LIMIT, serialFrame } from '../../firmware-protocol/ts/index.ts'
import type { ByteStream, LinkStats, Transport } from './transport.ts'

export interface FramedOptions {
  /** largest inner frame accepted, bytes (default 65535) */
  maxFrame?: number
  /** name of the link for messages */
  where?: string
}

/** A Transport of inner frames over a ByteStream, with COBS framing and counters. */
export class FramedTransport implements Transport {
  readonly where: string
  private readonly cobs: CobsDecoder
  private readonly frameCbs: ((f: Uint8Array) => void)[] = []
  private readonly noiseCbs: (() => void)[] = []
  private bytesIn = 0
  private bytesOut = 0
  private framesOut = 0

  constructor(private readonly stream: ByteStream, opts: FramedOptions = {}) {
    this.where = opts.where ?? 'link'
    this.cobs = new CobsDecoder({ maxFrame: opts.maxFrame ?? MAX_FRAME_LIMIT })
    stream.onData((chunk) => {
      this.bytesIn += chunk.length
      const bad = this.cobs.stats.badCobs + this.cobs.stats.oversize
      for (const f of this.cobs.push(chunk)) for (const cb of this.frameCbs) cb(f)
      if (this.cobs.stats.badCobs + this.cobs.stats.oversize > bad) for (const cb of this.noiseCbs) cb()
    })
  }

  get isOpen(): boolean { return this.stream.isOpen }

  async send(frame: Uint8Array): Promise<void> {
    const bytes = serialFrame(frame)
    this.bytesOut += bytes.length
    this.framesOut++
    await this.stream.write(bytes)
  }

  onFrame(cb: (frame: Uint8Array) => void): void { this.frameCbs.push(cb) }
  onClose(cb: (err?: Error) => void): void { this.stream.onClose(cb) }
  onNoise(cb: () => void): void { this.noiseCbs.push(cb) }
  close(): Promise<void> { return this.stream.close() }

  stats(): LinkStats {
    const c = this.cobs.stats
    return { bytesIn: this.bytesIn, bytesOut: this.bytesOut, framesIn: c.frames, framesOut: this.framesOut, badCobs: c.badCobs, oversize: c.oversize }
  }
}
