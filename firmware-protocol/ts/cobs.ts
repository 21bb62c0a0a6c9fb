// Consistent Overhead Byte Stuffing: the serial framing. Each inner frame is COBS-encoded (no 0x00
// left) and followed by one 0x00 delimiter, so a receiver resynchronises at the next 0x00 after noise.
import { ProtocolError } from './protocol-error.ts'

/** Largest COBS encoding of n bytes (without the 0x00 delimiter): n + 1 + floor(n / 254). */
export function cobsMaxEncodedLength(n: number): number {
  return n + 1 + Math.floor(n / 254)
}

/** Encodes data into out at off (out needs cobsMaxEncodedLength room); returns the end offset. */
function encodeInto(data: Uint8Array, out: Uint8Array, off: number): number {
  let codeAt = off, o = off + 1, code = 1
  const n = data.length
  for (let i = 0; i < n; i++) {
    const b = data[i]
    if (b === 0) {
      out[codeAt] = code; codeAt = o++; code = 1
    } else {
      out[o++] = b
      code++
      // a full block of 254 data bytes ends without an implied zero; open a new block only if
      // more input follows, so 254 non-zero bytes encode as FF + 254 bytes (no trailing 01)
      if (code === 0xff && i + 1 < n) { out[codeAt] = code; codeAt = o++; code = 1 }
    }
  }
  out[codeAt] = code
  return o
}

/**
 * Decodes src[0, len) into dst (which may be src itself: the write index never passes the read
 * index). Returns the decoded length, or -1 if src is not valid COBS (a 0x00, or a block running past
 * the end, or empty input).
 */
function decodeInto(src: Uint8Array, len: number, dst: Uint8Array): number {
  if (len === 0) return -1
  let i = 0, o = 0
  while (i < len) {
    const code = src[i]
    if (code === 0) return -1
    const end = i + code
    if (end > len) return -1
    for (let k = i + 1; k < end; k++) {
      const b = src[k]
      if (b === 0) return -1
      dst[o++] = b
    }
    i = end
    if (code !== 0xff && i < len) dst[o++] = 0
  }
  return o
}

/** COBS-encodes data (no delimiter). */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(data.length))
  return out.slice(0, encodeInto(data, out, 0))
}

/** Decodes one COBS block sequence (no delimiter); throws ProtocolError BAD_COBS on invalid input. */
export function cobsDecode(encoded: Uint8Array): Uint8Array {
  const out = new Uint8Array(encoded.length)
  const n = decodeInto(encoded, encoded.length, out)
  if (n < 0) throw new ProtocolError('BAD_COBS', `invalid COBS block sequence (${encoded.length} bytes)`)
  return out.slice(0, n)
}

/** The bytes to write to a serial link for one inner frame: COBS(inner) followed by 0x00. */
export function serialFrame(inner: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(inner.length) + 1)
  const end = encodeInto(inner, out, 0)
  out[end] = 0
  return out.slice(0, end + 1)
}

/** Counters of a CobsDecoder; every non-empty delimited segment lands in exactly one of them. */
export interface CobsStats {
  /** segments decoded into a frame */
  frames: number
  /** segments that were not valid COBS or decoded to zero bytes */
  badCobs: number
  /** segments longer than the frame limit */
  oversize: number
}

export interface CobsDecoderOptions {
  /** largest decoded (inner) frame accepted, bytes; default 65535 */
  maxFrame?: number
}

/**
 * Streaming serial receiver: takes arbitrary chunks, returns the whole frames they complete.
 * Never throws on data: bad segments are counted in `stats` and skipped. Empty segments (0x00 0x00,
 * which senders may use to flush line noise) are ignored and not counted.
 */
export class CobsDecoder {
  readonly maxFrame: number
  readonly stats: CobsStats = { frames: 0, badCobs: 0, oversize: 0 }
  private readonly buf: Uint8Array
  private len = 0
  private overflow = false

  constructor(opts: CobsDecoderOptions = {}) {
    const maxFrame = opts.maxFrame ?? 65535
    if (!Number.isInteger(maxFrame) || maxFrame < 1 || maxFrame > 65535) {
      throw new RangeError(`maxFrame must be an integer in 1..65535, got ${maxFrame}`)
    }
    this.maxFrame = maxFrame
    this.buf = new Uint8Array(cobsMaxEncodedLength(maxFrame))
  }

  /** Feeds bytes; returns the decoded frames completed by this chunk, in order (each a fresh copy). */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = []
    const n = chunk.length
    let start = 0
    while (start < n) {
      const z = chunk.indexOf(0, start)
      const stop = z < 0 ? n : z
      if (stop > start) this.append(chunk, start, stop)
      if (z < 0) break
      this.endSegment(frames)
      start = z + 1
    }
    return frames
  }

  /** Drops any partial frame (e.g. after the port was reopened). */
  reset(): void {
    this.len = 0
    this.overflow = false
  }

  private append(chunk: Uint8Array, start: number, stop: number): void {
    if (this.overflow) return
    const n = stop - start
    if (this.len + n > this.buf.length) { this.overflow = true; return }
    this.buf.set(chunk.subarray(start, stop), this.len)
    this.len += n
  }

  private endSegment(frames: Uint8Array[]): void {
    if (this.overflow) this.stats.oversize++
    else if (this.len > 0) {
      const n = decodeInto(this.buf, this.len, this.buf)
      if (n <= 0) this.stats.badCobs++
      else if (n > this.maxFrame) this.stats.oversize++
      else { this.stats.frames++; frames.push(this.buf.slice(0, n)) }
    }
    this.len = 0
    this.overflow = false
  }
}
