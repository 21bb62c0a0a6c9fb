// The receive path in one place: bytes (serial) or whole frames (MQTT) in, decoded messages or coded
// errors out. Never throws on bad data, so a transport can feed it anything; every bad frame is counted.
import { CobsDecoder } from './cobs.ts'
import { decodeMessage, type DecodedMessage, type Role } from './codec.ts'
import { MAX_FRAME_LIMIT } from './frame.ts'
import { ProtocolError } from './protocol-error.ts'
import { ERROR_CODES, type ErrorName } from './types-gen.ts'

export type Received = { ok: true; message: DecodedMessage } | { ok: false; error: ProtocolError }

export interface ReceiverOptions {
  /** frame limit in bytes (default MAX_FRAME_LIMIT); a session uses DEVICE_INFO.maxFrame */
  maxFrame?: number
  /** which side this is; messages meant for the other side fail with UNKNOWN_MESSAGE */
  role?: Role
}

export interface ReceiverStats {
  /** frames decoded into messages */
  messages: number
  /** frames dropped or refused, all codes together */
  bad: number
  /** frames dropped or refused, by NACK code name */
  errors: Record<ErrorName, number>
}

/** Decodes a stream (push) or single frames (accept) into messages, counting every failure by code. */
export class FrameReceiver {
  private readonly cobs: CobsDecoder
  private readonly maxFrame: number
  private readonly role?: Role
  private readonly counts = Object.fromEntries(Object.keys(ERROR_CODES).map((k) => [k, 0])) as Record<ErrorName, number>
  private messages = 0

  constructor(opts: ReceiverOptions = {}) {
    this.maxFrame = opts.maxFrame ?? MAX_FRAME_LIMIT
    this.role = opts.role
    this.cobs = new CobsDecoder({ maxFrame: this.maxFrame })
  }

  /** Serial: feeds raw bytes, returns one result per complete frame in them. */
  push(chunk: Uint8Array): Received[] {
    return this.cobs.push(chunk).map((f) => this.accept(f))
  }

  /** MQTT (or any already-delimited link): decodes one inner frame. */
  accept(frame: Uint8Array): Received {
    try {
      const message = decodeMessage(frame, { maxFrame: this.maxFrame, role: this.role })
      this.messages++
      return { ok: true, message }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err     // a bug, not bad data: let it surface
      this.counts[err.codeName]++
      return { ok: false, error: err }
    }
  }

  /** Drops a partial serial frame (after a reconnect). */
  reset(): void {
    this.cobs.reset()
  }

  /** Counters since construction; COBS-level drops appear as BAD_COBS and FRAME_TOO_LARGE. */
  get stats(): ReceiverStats {
    const errors = { ...this.counts }
    errors.BAD_COBS += this.cobs.stats.badCobs
    errors.FRAME_TOO_LARGE += this.cobs.stats.oversize
    let bad = 0
    for (const k of Object.keys(errors) as ErrorName[]) bad += errors[k]
    return { messages: this.messages, bad, errors }
  }
}
