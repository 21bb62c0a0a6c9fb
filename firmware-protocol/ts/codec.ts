// Payload codec, driven by the message table: no per-message code. Encoding checks every value and
// throws TypeError/RangeError on misuse (a host bug); decoding throws ProtocolError (bad wire data).
import { decodeFrame, encodeFrame, type DecodeFrameOptions } from './frame.ts'
import { ProtocolError } from './protocol-error.ts'
import { MESSAGES_BY_ID, MESSAGES_BY_NAME, SCALAR_SIZE, intRange, type FieldSpec, type MessageSpec } from './table.ts'
import type { MessageBodies, MessageName } from './types-gen.ts'

/** A message body tagged with its name; a discriminated union over every message in the table. */
export type Message = { [N in MessageName]: { name: N; body: MessageBodies[N] } }[MessageName]
/** What encodeMessage takes. */
export type OutgoingMessage = Message & { seq: number; compatFlags?: number }
/** What decodeMessage returns: the body plus the header fields. */
export type DecodedMessage = Message & { id: number; seq: number; major: number; incompatFlags: number; compatFlags: number }
/** Which side is decoding: a board accepts host-to-board messages, a host board-to-host ones. */
export type Role = 'host' | 'board'

export interface DecodeOptions extends DecodeFrameOptions {
  /** refuse messages not meant for this side with UNKNOWN_MESSAGE; default: accept every known id */
  role?: Role
}

/** The compiled table entry for a message name; throws RangeError for an unknown name. */
export function messageSpec(name: string): MessageSpec {
  const spec = MESSAGES_BY_NAME.get(name)
  if (!spec) throw new RangeError(`unknown message '${name}'`)
  return spec
}

/** The table entry for a message id, or undefined. */
export function messageById(id: number): MessageSpec | undefined {
  return MESSAGES_BY_ID.get(id)
}

/** Whether a side in this role accepts the message. */
export function acceptsMessage(role: Role, spec: MessageSpec): boolean {
  return spec.dir === 'both' || (role === 'board' ? spec.dir === 'host-to-board' : spec.dir === 'board-to-host')
}

// ---- encoding -------------------------------------------------------------------------------------

function isPrintable(c: number): boolean {
  return c >= 0x20 && c <= 0x7e
}

function sizeOf(f: FieldSpec, v: unknown, path: string): number {
  switch (f.kind) {
    case 'scalar': return SCALAR_SIZE[f.type]
    case 'struct': return f.size
    case 'string':
      if (typeof v !== 'string') throw new TypeError(`${path}: expected a string`)
      return 1 + v.length
    case 'array':
      if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new TypeError(`${path}: expected an array`)
      return 2 + (v as ArrayLike<unknown>).length * f.elemSize
  }
}

function writeScalar(dv: DataView, off: number, f: Extract<FieldSpec, { kind: 'scalar' }>, v: unknown, path: string): void {
  let x = v
  if (f.toNum) {
    const n = typeof v === 'string' ? f.toNum.get(v) : undefined
    if (n === undefined) throw new RangeError(`${path}: expected one of ${[...f.toNum.keys()].join(', ')}, got ${String(v)}`)
    x = n
  }
  if (f.type === 'bool') {
    if (typeof x !== 'boolean') throw new TypeError(`${path}: expected a boolean`)
    dv.setUint8(off, x ? 1 : 0)
    return
  }
  if (typeof x !== 'number') throw new TypeError(`${path}: expected a number`)
  if (f.type === 'f32') { dv.setFloat32(off, x, true); return }
  const [lo, hi] = intRange(f.type)
  if (!Number.isInteger(x) || x < lo || x > hi) throw new RangeError(`${path}: expected an integer in ${lo}..${hi}, got ${x}`)
  switch (f.type) {
    case 'u8': dv.setUint8(off, x); break
    case 'i8': dv.setInt8(off, x); break
    case 'u16': dv.setUint16(off, x, true); break
    case 'i16': dv.setInt16(off, x, true); break
    case 'u32': dv.setUint32(off, x, true); break
    case 'i32': dv.setInt32(off, x, true); break
  }
}

function writeField(dv: DataView, off: number, f: FieldSpec, v: unknown, path: string): number {
  switch (f.kind) {
    case 'scalar':
      writeScalar(dv, off, f, v, path)
      return off + SCALAR_SIZE[f.type]
    case 'string': {
      const s = v as string
      if (s.length > f.max) throw new RangeError(`${path}: longer than ${f.max} characters`)
      dv.setUint8(off, s.length)
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (!isPrintable(c)) throw new RangeError(`${path}: character ${i} is not printable ASCII`)
        dv.setUint8(off + 1 + i, c)
      }
      return off + 1 + s.length
    }
    case 'struct': {
      if (typeof v !== 'object' || v === null) throw new TypeError(`${path}: expected an object`)
      let o = off
      for (const g of f.fields) o = writeField(dv, o, g, (v as Record<string, unknown>)[g.name], `${path}.${g.name}`)
      return o
    }
    case 'array': {
      const a = v as ArrayLike<unknown>
      if (a.length > 0xffff) throw new RangeError(`${path}: more than 65535 items`)
      dv.setUint16(off, a.length, true)
      let o = off + 2
      for (let i = 0; i < a.length; i++) o = writeField(dv, o, f.of, a[i], `${path}[${i}]`)
      return o
    }
  }
}

/** Encodes a message body into its payload bytes. */
export function encodePayload<N extends MessageName>(name: N, body: MessageBodies[N]): Uint8Array {
  const spec = messageSpec(name)
  if (typeof body !== 'object' || body === null) throw new TypeError(`${name}: body must be an object`)
  const rec = body as unknown as Record<string, unknown>
  let size = 0
  const fields = spec.fields.filter((f) => !(f.kind === 'scalar' && f.optional && !rec[f.name]))
  for (const f of fields) {
    if (rec[f.name] === undefined) throw new TypeError(`${name}.${f.name}: missing`)
    size += sizeOf(f, rec[f.name], `${name}.${f.name}`)
  }
  // optional fields (SPEC 4.3) are written only when non-zero, so a 1.0 message stays byte for byte the same
  if (fields.length < spec.fields.length && fields.some((f, i) => f !== spec.fields[i])) throw new TypeError(`${name}: an optional field is 0 while a later one is set`)
  const out = new Uint8Array(size)
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength)
  let off = 0
  for (const f of fields) off = writeField(dv, off, f, rec[f.name], `${name}.${f.name}`)
  return out
}

/** Encodes a whole inner frame (header, payload, CRC) for a message. */
export function encodeMessage(msg: OutgoingMessage): Uint8Array {
  const spec = messageSpec(msg.name)
  const payload = encodePayload(msg.name, msg.body as never)
  return encodeFrame({ seq: msg.seq, msgId: spec.id, compatFlags: msg.compatFlags ?? 0 }, payload)
}

// ---- decoding -------------------------------------------------------------------------------------

interface Cursor { dv: DataView; pos: number; msg: MessageSpec; seq?: number }

function bad(c: Cursor, at: number, why: string): never {
  throw new ProtocolError('BAD_PAYLOAD', `${c.msg.name}: ${why} at payload offset ${at}`, { detail: at, seq: c.seq, msgId: c.msg.id })
}

function readScalar(c: Cursor, f: Extract<FieldSpec, { kind: 'scalar' }>, path: string): unknown {
  const at = c.pos, dv = c.dv
  if (at + SCALAR_SIZE[f.type] > dv.byteLength) bad(c, at, `${path} truncated`)
  c.pos += SCALAR_SIZE[f.type]
  let x: number
  switch (f.type) {
    case 'u8': case 'bool': x = dv.getUint8(at); break
    case 'i8': x = dv.getInt8(at); break
    case 'u16': x = dv.getUint16(at, true); break
    case 'i16': x = dv.getInt16(at, true); break
    case 'u32': x = dv.getUint32(at, true); break
    case 'i32': x = dv.getInt32(at, true); break
    case 'f32': x = dv.getFloat32(at, true); break
  }
  if (f.type === 'bool') {
    if (x > 1) bad(c, at, `${path} is ${x}, not a bool`)
    return x === 1
  }
  if (f.toName) {
    const name = f.toName.get(x)
    if (name === undefined) bad(c, at, `${path} = ${x} is not a ${f.enumName}`)
    return name
  }
  return x
}

function readField(c: Cursor, f: FieldSpec, path: string): unknown {
  switch (f.kind) {
    case 'scalar': return readScalar(c, f, path)
    case 'string': {
      const at = c.pos, dv = c.dv
      if (at + 1 > dv.byteLength) bad(c, at, `${path} truncated`)
      const n = dv.getUint8(at)
      if (n > f.max) bad(c, at, `${path} has ${n} characters, at most ${f.max}`)
      if (at + 1 + n > dv.byteLength) bad(c, at, `${path} truncated`)
      let s = ''
      for (let i = 0; i < n; i++) {
        const ch = dv.getUint8(at + 1 + i)
        if (!isPrintable(ch)) bad(c, at, `${path} holds byte 0x${ch.toString(16)}`)
        s += String.fromCharCode(ch)
      }
      c.pos = at + 1 + n
      return s
    }
    case 'struct': {
      const o: Record<string, unknown> = {}
      for (const g of f.fields) o[g.name] = readField(c, g, `${path}.${g.name}`)
      return o
    }
    case 'array': {
      const at = c.pos, dv = c.dv
      if (at + 2 > dv.byteLength) bad(c, at, `${path} truncated`)
      const n = dv.getUint16(at, true)
      if (at + 2 + n * f.elemSize > dv.byteLength) bad(c, at, `${path} count ${n} runs past the payload`)
      c.pos = at + 2
      const a = new Array<unknown>(n)
      for (let i = 0; i < n; i++) a[i] = readField(c, f.of, path)
      return a
    }
  }
}

function decodeBody(spec: MessageSpec, payload: Uint8Array, seq?: number): Record<string, unknown> {
  const c: Cursor = { dv: new DataView(payload.buffer, payload.byteOffset, payload.byteLength), pos: 0, msg: spec, seq }
  const body: Record<string, unknown> = {}
  for (const f of spec.fields) {
    // a payload from an older minor ends before its optional fields: they are left out (read as 0)
    if (f.kind === 'scalar' && f.optional && c.pos === c.dv.byteLength) break
    const v = readField(c, f, f.name)
    // 0 on the wire means the same as absent: one form in the body, as the encoder writes it
    if (!(f.kind === 'scalar' && f.optional && v === 0)) body[f.name] = v
  }
  // bytes after the last known field are extension fields of a newer minor: ignored (SPEC 4.3)
  return body
}

function lookup(msgId: number, role: Role | undefined, seq?: number): MessageSpec {
  const spec = MESSAGES_BY_ID.get(msgId)
  if (!spec || (role !== undefined && !acceptsMessage(role, spec))) {
    throw new ProtocolError('UNKNOWN_MESSAGE', `message id 0x${msgId.toString(16).padStart(2, '0')} is not accepted${role ? ` by the ${role}` : ''}`, { detail: msgId, seq, msgId })
  }
  return spec
}

/** Decodes a payload for a message id; throws ProtocolError UNKNOWN_MESSAGE or BAD_PAYLOAD. */
export function decodePayload(msgId: number, payload: Uint8Array, opts: { role?: Role } = {}): Message {
  const spec = lookup(msgId, opts.role)
  return { name: spec.name, body: decodeBody(spec, payload) } as Message
}

/** Checks and decodes a whole inner frame; throws ProtocolError with the NACK code of the first fault. */
export function decodeMessage(frame: Uint8Array, opts: DecodeOptions = {}): DecodedMessage {
  const f = decodeFrame(frame, opts)
  const spec = lookup(f.msgId, opts.role, f.seq)
  const body = decodeBody(spec, f.payload, f.seq)
  return { name: spec.name, id: f.msgId, seq: f.seq, major: f.major, incompatFlags: f.incompatFlags, compatFlags: f.compatFlags, body } as DecodedMessage
}
