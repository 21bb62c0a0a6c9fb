// The inner frame: 8-byte header, payload, CRC-32C. This is the serial frame before COBS and the whole
// MQTT message payload.
//
//   off size field
//   0   1    protocol major
//   1   1    incompatible flags   (unknown bit set -> refuse)
//   2   1    compatible flags     (unknown bit set -> ignore)
//   3   2    sequence number      (u16 LE)
//   5   1    message id
//   6   2    payload length n     (u16 LE)
//   8   n    payload              (little-endian fields)
//   8+n 4    CRC-32C of bytes [0, 8+n), stored LE
import { crc32c } from './crc32c.ts'
import { ProtocolError } from './protocol-error.ts'
import { KNOWN_INCOMPATIBLE_FLAGS, TABLE } from './table.ts'

export const PROTOCOL_MAJOR: number = TABLE.protocol.major
export const PROTOCOL_MINOR: number = TABLE.protocol.minor
export const HEADER_SIZE = 8
export const CRC_SIZE = 4
/** header + CRC: an empty-payload frame is this long */
export const FRAME_OVERHEAD = HEADER_SIZE + CRC_SIZE
/** every implementation accepts inner frames up to this size; HELLO and DEVICE_INFO always fit */
export const MIN_FRAME_LIMIT: number = TABLE.protocol.minFrameLimit
/** no inner frame is ever longer than this */
export const MAX_FRAME_LIMIT: number = TABLE.protocol.maxFrameLimit

export interface FrameHeader {
  seq: number
  msgId: number
  /** default 0 */
  compatFlags?: number
  /** default 0; only for building test frames, v1.0 defines no incompatible flag */
  incompatFlags?: number
  /** default PROTOCOL_MAJOR; only for building test frames */
  major?: number
}

export interface Frame {
  major: number
  incompatFlags: number
  compatFlags: number
  seq: number
  msgId: number
  /** a view into the decoded frame's bytes, exactly payload-length long */
  payload: Uint8Array
}

export interface DecodeFrameOptions {
  /** receiver's frame limit in bytes (default MAX_FRAME_LIMIT) */
  maxFrame?: number
}

function checkByte(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${name} must be an integer in 0..${max}, got ${v}`)
}

/** Builds an inner frame from a header and a payload. */
export function encodeFrame(h: FrameHeader, payload: Uint8Array): Uint8Array {
  const major = h.major ?? PROTOCOL_MAJOR
  checkByte('major', major, 0xff)
  checkByte('incompatFlags', h.incompatFlags ?? 0, 0xff)
  checkByte('compatFlags', h.compatFlags ?? 0, 0xff)
  checkByte('seq', h.seq, 0xffff)
  checkByte('msgId', h.msgId, 0xff)
  const n = payload.length
  if (n > MAX_FRAME_LIMIT - FRAME_OVERHEAD) throw new RangeError(`payload of ${n} bytes exceeds ${MAX_FRAME_LIMIT - FRAME_OVERHEAD}`)
  const out = new Uint8Array(FRAME_OVERHEAD + n)
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength)
  dv.setUint8(0, major)
  dv.setUint8(1, h.incompatFlags ?? 0)
  dv.setUint8(2, h.compatFlags ?? 0)
  dv.setUint16(3, h.seq, true)
  dv.setUint8(5, h.msgId)
  dv.setUint16(6, n, true)
  out.set(payload, HEADER_SIZE)
  dv.setUint32(HEADER_SIZE + n, crc32c(out, 0, HEADER_SIZE + n), true)
  return out
}

/**
 * Checks and splits an inner frame, in the order of SPEC section 3.4: size limit, minimum size, CRC,
 * major, incompatible flags, payload-length field. Throws ProtocolError; errors found after the CRC
 * check carry the (then trustworthy) seq and msgId, BAD_CRC carries the unverified ones.
 */
export function decodeFrame(frame: Uint8Array, opts: DecodeFrameOptions = {}): Frame {
  const maxFrame = opts.maxFrame ?? MAX_FRAME_LIMIT
  if (!Number.isInteger(maxFrame) || maxFrame < FRAME_OVERHEAD || maxFrame > MAX_FRAME_LIMIT) {
    throw new RangeError(`maxFrame must be an integer in ${FRAME_OVERHEAD}..${MAX_FRAME_LIMIT}, got ${maxFrame}`)
  }
  const size = frame.length
  if (size > maxFrame) throw new ProtocolError('FRAME_TOO_LARGE', `frame of ${size} bytes exceeds the limit ${maxFrame}`, { detail: maxFrame })
  if (size < FRAME_OVERHEAD) throw new ProtocolError('BAD_LENGTH', `frame of ${size} bytes is shorter than ${FRAME_OVERHEAD}`, { detail: size })
  const dv = new DataView(frame.buffer, frame.byteOffset, size)
  const seq = dv.getUint16(3, true)
  const msgId = dv.getUint8(5)
  const crc = dv.getUint32(size - CRC_SIZE, true)
  const want = crc32c(frame, 0, size - CRC_SIZE)
  if (crc !== want) {
    throw new ProtocolError('BAD_CRC', `CRC-32C 0x${crc.toString(16).padStart(8, '0')} != 0x${want.toString(16).padStart(8, '0')}`, { seq, msgId })
  }
  const major = dv.getUint8(0)
  if (major !== PROTOCOL_MAJOR) {
    throw new ProtocolError('UNSUPPORTED_MAJOR', `protocol major ${major}, this side speaks ${PROTOCOL_MAJOR}`, { detail: PROTOCOL_MAJOR, seq, msgId })
  }
  const incompatFlags = dv.getUint8(1)
  const unknown = incompatFlags & ~KNOWN_INCOMPATIBLE_FLAGS & 0xff
  if (unknown !== 0) {
    throw new ProtocolError('UNKNOWN_INCOMPATIBLE_FLAG', `unknown incompatible flags 0x${unknown.toString(16)}`, { detail: unknown, seq, msgId })
  }
  const n = dv.getUint16(6, true)
  if (n !== size - FRAME_OVERHEAD) {
    throw new ProtocolError('BAD_LENGTH', `payload length field ${n} but frame holds ${size - FRAME_OVERHEAD}`, { detail: size, seq, msgId })
  }
  return { major, incompatFlags, compatFlags: dv.getUint8(2), seq, msgId, payload: frame.subarray(HEADER_SIZE, HEADER_SIZE + n) }
}
