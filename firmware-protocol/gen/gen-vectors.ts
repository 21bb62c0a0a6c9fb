// Generates the frozen test vectors firmware-protocol/vectors/*.json. Run once:
//   node --import tsx firmware-protocol/gen/gen-vectors.ts [--force]
// The files are then frozen: tests read them and never regenerate them, so a codec change that alters
// any byte fails the tests. --force overwrites (only for a deliberate protocol version bump).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cobsEncode, crc32c, encodeFrame, encodeMessage, encodePayload, messageSpec, serialFrame, type OutgoingMessage } from '../ts/index.ts'
import { isMain } from './names.ts'

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'))
const f32 = Math.fround
const range = (a: number, b: number): Uint8Array => Uint8Array.from({ length: b - a + 1 }, (_, i) => (a + i) & 0xff)
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

// ---- CRC ------------------------------------------------------------------------------------------

function crcVectors(): object {
  const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)
  const cases: [string, Uint8Array, string][] = [
    ['check value: ASCII 123456789', ascii('123456789'), 'catalogue check value'],
    ['empty input', new Uint8Array(0), 'init xor xorout'],
    ['32 zero bytes', new Uint8Array(32), 'RFC 3720 B.4'],
    ['32 bytes of 0xFF', new Uint8Array(32).fill(0xff), 'RFC 3720 B.4'],
    ['32 incrementing bytes 00..1F', range(0, 31), 'RFC 3720 B.4'],
    ['32 decrementing bytes 1F..00', range(0, 31).reverse(), 'RFC 3720 B.4'],
    ['one byte 0x00', new Uint8Array(1), ''],
    ['ASCII a', ascii('a'), ''],
  ]
  return {
    algorithm: 'CRC-32C (Castagnoli): poly 0x1EDC6F41 (reflected 0x82F63B78), init 0xFFFFFFFF, refin/refout true, xorout 0xFFFFFFFF',
    vectors: cases.map(([name, input, source]) => ({ name, inputHex: hex(input), crcHex: crc32c(input).toString(16).padStart(8, '0'), ...(source ? { source } : {}) })),
  }
}

// ---- COBS -----------------------------------------------------------------------------------------

function cobsVectors(): object {
  const pad = (head: Uint8Array, total: number): Uint8Array => { const b = new Uint8Array(total); b.set(head); return b }
  const tail253 = (() => { const b = range(3, 255); const d = new Uint8Array(255); d.set(b); d[253] = 0; d[254] = 1; return d })()
  const cases: [string, Uint8Array][] = [
    ['one zero', bytes('00')],
    ['two zeros', bytes('0000')],
    ['zero, byte, zero', bytes('001100')],
    ['zero inside', bytes('11220033')],
    ['no zero', bytes('11223344')],
    ['trailing zeros', bytes('11000000')],
    ['254 non-zero bytes: one full block, no trailing code', range(1, 254)],
    ['255 bytes starting with zero', range(0, 254)],
    ['255 non-zero bytes: full block then a 1-byte block', range(1, 255)],
    ['254 non-zero bytes then a zero', pad(range(2, 255), 255)],
    ['253 non-zero bytes, zero, one byte', tail253],
    ['single non-zero byte', bytes('01')],
    ['empty', new Uint8Array(0)],
  ]
  const good = (h: string): Uint8Array => cobsEncode(bytes(h))
  const streams = [
    { name: 'two frames in one chunk', maxFrame: 64, chunks: [hex(cat(serialFrame(bytes('11220033')), serialFrame(bytes('44'))))], frames: ['11220033', '44'], stats: { frames: 2, badCobs: 0, oversize: 0 } },
    { name: 'one frame split over three chunks', maxFrame: 64, chunks: ['0311', '2202', '3300'], frames: ['11220033'], stats: { frames: 1, badCobs: 0, oversize: 0 } },
    { name: 'leading delimiters are ignored, not counted', maxFrame: 64, chunks: ['0000' + hex(serialFrame(bytes('aa00bb'))) + '00'], frames: ['aa00bb'], stats: { frames: 1, badCobs: 0, oversize: 0 } },
    { name: 'garbage before a delimiter is one bad frame, then resync', maxFrame: 64, chunks: ['ffff', '00' + hex(serialFrame(bytes('0102')))], frames: ['0102'], stats: { frames: 1, badCobs: 1, oversize: 0 } },
    { name: 'embedded zero splits a frame into two bad segments', maxFrame: 64, chunks: ['0311002202330000' + hex(serialFrame(bytes('7f')))], frames: ['7f'], stats: { frames: 1, badCobs: 2, oversize: 0 } },
    { name: 'oversize segment is dropped, next frame decodes', maxFrame: 16, chunks: [hex(serialFrame(range(1, 40))) + hex(serialFrame(range(1, 16)))], frames: [hex(range(1, 16))], stats: { frames: 1, badCobs: 0, oversize: 1 } },
    { name: 'a segment decoding to nothing is bad', maxFrame: 64, chunks: ['0100' + hex(serialFrame(bytes('00')))], frames: ['00'], stats: { frames: 1, badCobs: 1, oversize: 0 } },
    { name: 'bytes after the last delimiter stay pending', maxFrame: 64, chunks: [hex(serialFrame(bytes('05'))) + hex(good('0607'))], frames: ['05'], stats: { frames: 1, badCobs: 0, oversize: 0 } },
  ]
  return {
    note: 'encodedHex excludes the 0x00 delimiter. Streams: feed chunks in order to a fresh decoder with maxFrame; expect frames (decoded hex) and stats.',
    vectors: cases.map(([name, d]) => ({ name, decodedHex: hex(d), encodedHex: hex(cobsEncode(d)) })),
    invalid: [
      { name: 'embedded zero in a COBS frame', encodedHex: '0311002202', error: 'BAD_COBS', code: 1 },
      { name: 'code byte runs past the end', encodedHex: '051122', error: 'BAD_COBS', code: 1 },
      { name: 'full block code with too few bytes', encodedHex: 'ff' + hex(range(1, 100)), error: 'BAD_COBS', code: 1 },
      { name: 'zero as the first code byte', encodedHex: '001122', error: 'BAD_COBS', code: 1 },
      { name: 'empty input', encodedHex: '', error: 'BAD_COBS', code: 1 },
    ],
    streams,
  }
}

// ---- messages -------------------------------------------------------------------------------------

const P = 2 ** -13   // phase LSB
const ph = (rad: number): number => Math.round(rad / P)

const POSITIVE: (OutgoingMessage & { label: string })[] = [
  { label: 'hello', name: 'HELLO', seq: 1, body: { protoMinor: 0, maxFrame: 1024, watchdogMs: 2000 } },
  { label: 'hello, sequence number 0xFFFF', name: 'HELLO', seq: 0xffff, body: { protoMinor: 3, maxFrame: 65535, watchdogMs: 0 } },
  {
    label: 'device info, xy lattice', name: 'DEVICE_INFO', seq: 1, body: {
      protoMinor: 0, model: 'xy', reports: 'states+edges', capabilities: 0b0111, costs: 0b011, maxFrame: 1024, maxBatch: 16,
      nodeCount: 16, edgeCount: 24, clampableCount: 4, nudgeableCount: 2,
      coupling: { min: -1, max: 1, levels: 256 }, bias: { min: 0, max: 0.5, levels: 0 },
      stateLsb: P, edgeLsb: 2 ** -14, watchdogMs: 2000, bootCounter: 42, uid: 'xy-lattice-7f3a', firmware: '1.0.0+g1a2b3c4',
    },
  },
  {
    label: 'device info, ising, empty firmware string', name: 'DEVICE_INFO', seq: 0x1234, body: {
      protoMinor: 0, model: 'ising', reports: 'states', capabilities: 0, costs: 0b100, maxFrame: 256, maxBatch: 1,
      nodeCount: 64, edgeCount: 2016, clampableCount: 64, nudgeableCount: 8,
      coupling: { min: -7, max: 7, levels: 15 }, bias: { min: -7, max: 7, levels: 15 },
      stateLsb: 1, edgeLsb: 0, watchdogMs: 500, bootCounter: 0xffffffff, uid: 'ISING.64_A', firmware: '',
    },
  },
  { label: 'get edges, as many as fit', name: 'GET_EDGES', seq: 2, body: { offset: 0, count: 0 } },
  { label: 'edges chunk', name: 'EDGES', seq: 2, body: { offset: 0, total: 24, edges: [{ a: 0, b: 1 }, { a: 1, b: 2 }, { a: 0, b: 4 }, { a: 14, b: 15 }] } },
  { label: 'edges, empty chunk past the end', name: 'EDGES', seq: 3, body: { offset: 24, total: 24, edges: [] } },
  { label: 'get clampable list', name: 'GET_NODE_LIST', seq: 4, body: { list: 'clampable', offset: 0, count: 0 } },
  { label: 'nudgeable list', name: 'NODE_LIST', seq: 5, body: { list: 'nudgeable', offset: 0, total: 2, nodes: [14, 15] } },
  { label: 'set params', name: 'SET_PARAMS', seq: 6, body: { offset: 0, values: [0.5, -0.25, 1, 0, f32(0.1)] } },
  { label: 'update params', name: 'UPDATE_PARAMS', seq: 7, body: { offset: 24, deltas: [f32(0.001), f32(-0.002), 0] } },
  { label: 'get params', name: 'GET_PARAMS', seq: 8, body: { offset: 8, count: 100 } },
  { label: 'params as applied', name: 'PARAMS', seq: 6, body: { offset: 0, total: 56, values: [0.5, -0.25, 1, 0, f32(0.1015625)] } },
  { label: 'clamp two inputs of sample 3', name: 'CLAMP', seq: 9, body: { sample: 3, replace: true, clamps: [{ node: 0, value: ph(Math.PI / 2) }, { node: 1, value: ph(-Math.PI / 2) }] } },
  { label: 'clamp, append chunk', name: 'CLAMP', seq: 10, body: { sample: 3, replace: false, clamps: [{ node: 4, value: -32768 }] } },
  { label: 'set targets to +pi and -pi', name: 'SET_TARGETS', seq: 11, body: { sample: 0, offset: 0, values: [ph(Math.PI), ph(-Math.PI)] } },
  { label: 'set force', name: 'SET_FORCE', seq: 12, body: { sample: 1, offset: 4, values: [f32(0.1), f32(-0.1), 0] } },
  { label: 'set start states', name: 'SET_START', seq: 13, body: { sample: 0, offset: 0, values: [0, 1, -1, 32767, -32768] } },
  {
    label: 'relax, free phase, random start', name: 'RELAX', seq: 14, body: {
      batch: 16, phase: 'free', nudge: 'cost', cost: 'log-cos', start: 'random', beta: 0, seed: 12345, budgetUs: 0, maxSteps: 0,
    },
  },
  {
    label: 'relax, nudged with targets, from previous', name: 'RELAX', seq: 15, body: {
      batch: 4, phase: 'nudged', nudge: 'cost', cost: 'one-minus-cos', start: 'previous', beta: f32(0.1), seed: 0, budgetUs: 250000, maxSteps: 100000,
    },
  },
  {
    label: 'relax, nudged with explicit force, given start', name: 'RELAX', seq: 16, body: {
      batch: 1, phase: 'nudged', nudge: 'force', cost: 'squared', start: 'given', beta: 1, seed: 0xdeadbeef, budgetUs: 1000000, maxSteps: 0,
    },
  },
  { label: 'relax done', name: 'RELAX_DONE', seq: 15, body: { batch: 4, settled: 3, elapsedUs: 1834 } },
  { label: 'get node states of sample 2', name: 'GET_STATE', seq: 17, body: { sample: 2, kind: 'nodes', offset: 0, count: 0 } },
  {
    label: 'state chunk, node phases', name: 'STATE', seq: 17, body: {
      sample: 2, kind: 'nodes', settled: true, steps: 1234, energy: -3.5, offset: 0, total: 16,
      values: [ph(0.5), ph(-0.5), ph(3), ph(-3), 0, ph(Math.PI), ph(-Math.PI), 1],
    },
  },
  {
    label: 'state chunk, edge observables, not settled', name: 'STATE', seq: 18, body: {
      sample: 0, kind: 'edges', settled: false, steps: 0, energy: f32(1.25e-3), offset: 20, total: 24, values: [-16384, 16384, 0, 8192],
    },
  },
  {
    label: 'state chunk longer than one COBS block', name: 'STATE', seq: 0x0101, body: {
      sample: 0x0101, kind: 'nodes', settled: true, steps: 0x01010101, energy: f32(2.5), offset: 0x0101, total: 0x0201, values: new Array(150).fill(0x1111),
    },
  },
  { label: 'set params filling a 256-byte frame exactly (59 values)', name: 'SET_PARAMS', seq: 19, body: { offset: 0, values: Array.from({ length: 59 }, (_, i) => f32((i - 29) / 32)) } },
  { label: 'stop', name: 'STOP', seq: 20, body: {} },
  { label: 'ack of CLAMP', name: 'ACK', seq: 9, body: { ref: 0x20 } },
  { label: 'nack BUSY for GET_STATE', name: 'NACK', seq: 21, body: { ref: 0x25, code: 11, detail: 0 } },
  { label: 'nack OUT_OF_RANGE with detail', name: 'NACK', seq: 22, body: { ref: 0x20, code: 9, detail: 3 } },
  { label: 'board heartbeat', name: 'HEARTBEAT', seq: 7, body: { state: 'ready', bootCounter: 42, uptimeMs: 123456, rxBad: 2 } },
  { label: 'host heartbeat (zeros)', name: 'HEARTBEAT', seq: 300, body: { state: 'boot', bootCounter: 0, uptimeMs: 0, rxBad: 0 } },
  { label: 'fault: watchdog', name: 'FAULT', seq: 8, body: { code: 1, detail: 2150 } },
  // 1.1: the pipelining window (SPEC 5.3), an optional field at the end of HELLO and DEVICE_INFO
  { label: 'hello 1.1, window 8', name: 'HELLO', seq: 0x0200, body: { protoMinor: 1, maxFrame: 1024, watchdogMs: 2000, window: 8 } },
  {
    label: 'device info 1.1, window 4', name: 'DEVICE_INFO', seq: 0x0200, body: {
      protoMinor: 1, model: 'xy', reports: 'states', capabilities: 0b0111, costs: 0b001, maxFrame: 1024, maxBatch: 4,
      nodeCount: 6, edgeCount: 15, clampableCount: 2, nudgeableCount: 1,
      coupling: { min: -8, max: 8, levels: 0 }, bias: { min: -8, max: 8, levels: 0 },
      stateLsb: P, edgeLsb: 0, watchdogMs: 2000, bootCounter: 7, uid: 'fixture-6', firmware: '1.1.0', window: 4,
    },
  },
  { label: 'nack OUT_OF_ORDER, expecting seq 0x0203', name: 'NACK', seq: 0x0204, body: { ref: 0x25, code: 16, detail: 0x0203 } },
]

/** The positive message with this label. */
function pos(label: string): OutgoingMessage {
  const m = POSITIVE.find((x) => x.label === label)
  if (!m) throw new Error(`no positive vector '${label}'`)
  return m
}

function positiveVectors(): object {
  return {
    note: 'For each: body -> payloadHex; header (major 1, flags 0 unless given, seq, id) + payload + CRC -> frameHex; COBS(frame) + 00 -> serialHex.',
    vectors: POSITIVE.map(({ label, ...m }) => {
      const payload = encodePayload(m.name, m.body as never)
      const frame = encodeMessage(m)
      return {
        name: label, message: m.name, id: messageSpec(m.name).id, seq: m.seq, compatFlags: m.compatFlags ?? 0,
        body: m.body, payloadHex: hex(payload), frameHex: hex(frame), serialHex: hex(serialFrame(frame)),
      }
    }),
  }
}

// ---- negative -------------------------------------------------------------------------------------

/** Replaces the CRC of a complete frame so it is valid again after an edit. */
function fixCrc(frame: Uint8Array): Uint8Array {
  const out = frame.slice()
  new DataView(out.buffer).setUint32(out.length - 4, crc32c(out, 0, out.length - 4), true)
  return out
}

function negativeVectors(): object {
  const hello = encodeMessage({ name: 'HELLO', seq: 0x0102, body: { protoMinor: 0, maxFrame: 1024, watchdogMs: 2000 } })
  const raw = (msgId: number, payloadHex: string, seq = 0x0203, extra: { major?: number; incompatFlags?: number; compatFlags?: number } = {}): Uint8Array =>
    encodeFrame({ seq, msgId, ...extra }, bytes(payloadHex))
  const flip = (b: Uint8Array, at: number, mask: number): Uint8Array => { const o = b.slice(); o[at] ^= mask; return o }
  const infoMsg = pos('device info, xy lattice')
  const infoBody = infoMsg.body as { uid: string; firmware: string }
  const info = encodeMessage(infoMsg)
  const infoPayload = encodePayload('DEVICE_INFO', infoMsg.body as never)
  const uidAt = infoPayload.length - (1 + infoBody.uid.length) - (1 + infoBody.firmware.length)   // uid length prefix
  const badUid = infoPayload.slice(); badUid[uidAt + 3] = 0x0a
  const longUid = cat(infoPayload.slice(0, uidAt), bytes('28'), new Uint8Array(40).fill(0x41), bytes('00'))
  const lenMismatch = hello.slice(); new DataView(lenMismatch.buffer).setUint16(6, 8, true)
  const v = (name: string, description: string, frame: Uint8Array, error: string, code: number, detail: number, opts: { maxFrame?: number; role?: string } = {}): object =>
    ({ name, description, layer: 'frame', inputHex: hex(frame), maxFrame: opts.maxFrame ?? 1024, ...(opts.role ? { role: opts.role } : {}), error, code, detail })
  const sp = encodeMessage({ name: 'SET_PARAMS', seq: 5, body: { offset: 0, values: new Array(70).fill(0.5) } })
  return {
    note: 'Feed inputHex (an inner frame) to the frame+message decoder with maxFrame and role (absent = accept any direction); expect the error code and detail. Layer cobs: feed to the COBS decoder.',
    vectors: [
      v('bad CRC', 'last CRC byte flipped', flip(hello, hello.length - 1, 0x01), 'BAD_CRC', 4, 0),
      v('bad CRC, payload bit flip', 'one payload bit flipped, CRC untouched', flip(hello, 9, 0x40), 'BAD_CRC', 4, 0),
      v('bad CRC, header bit flip', 'sequence number bit flipped', flip(hello, 3, 0x80), 'BAD_CRC', 4, 0),
      v('truncated', 'last three bytes lost: the CRC check fails', hello.slice(0, hello.length - 3), 'BAD_CRC', 4, 0),
      v('too short', 'seven bytes: no room for header and CRC', hello.slice(0, 7), 'BAD_LENGTH', 3, 7),
      v('empty', 'zero bytes', new Uint8Array(0), 'BAD_LENGTH', 3, 0),
      v('length field mismatch', 'payload length field says 8, frame holds 7 payload bytes; CRC valid', fixCrc(lenMismatch), 'BAD_LENGTH', 3, hello.length),
      v('oversize', `SET_PARAMS with 70 values is ${sp.length} bytes, limit 256`, sp, 'FRAME_TOO_LARGE', 2, 256, { maxFrame: 256 }),
      v('unknown incompatible flag bit 0', 'incompatible flags 0x01 (reserved); CRC valid', raw(0x40, '01000000000000000000000000', 9, { incompatFlags: 0x01 }), 'UNKNOWN_INCOMPATIBLE_FLAG', 6, 0x01),
      v('unknown incompatible flag bit 7', 'incompatible flags 0x80; CRC valid', raw(0x01, '00000400000000', 9, { incompatFlags: 0x80 }), 'UNKNOWN_INCOMPATIBLE_FLAG', 6, 0x80),
      v('wrong major 2', 'protocol major 2; CRC valid', raw(0x01, '00000400000000', 1, { major: 2 }), 'UNSUPPORTED_MAJOR', 5, 1),
      v('wrong major 0', 'protocol major 0; CRC valid', raw(0x01, '00000400000000', 1, { major: 0 }), 'UNSUPPORTED_MAJOR', 5, 1),
      v('unknown message id', 'id 0x55 is not in the table', raw(0x55, '010203'), 'UNKNOWN_MESSAGE', 7, 0x55),
      v('message id 0', 'id 0 is reserved', raw(0x00, ''), 'UNKNOWN_MESSAGE', 7, 0),
      v('reply sent to the board', 'DEVICE_INFO decoded in the board role', info, 'UNKNOWN_MESSAGE', 7, 0x81, { role: 'board' }),
      v('command sent to the host', 'RELAX decoded in the host role', encodeMessage(pos('relax, free phase, random start')), 'UNKNOWN_MESSAGE', 7, 0x24, { role: 'host' }),
      v('payload too short', 'HELLO with 2 payload bytes: max_frame (offset 1) truncated', raw(0x01, '0000'), 'BAD_PAYLOAD', 8, 1),
      v('empty payload', 'ACK with no payload: ref (offset 0) missing', raw(0xfe, ''), 'BAD_PAYLOAD', 8, 0),
      v('bad enum', 'RELAX with phase = 7 (offset 2)', raw(0x24, '040007000000' + '00'.repeat(16)), 'BAD_PAYLOAD', 8, 2),
      v('bad bool', 'CLAMP with replace = 2 (offset 2)', raw(0x20, '0000020000'), 'BAD_PAYLOAD', 8, 2),
      v('array count past the payload', 'SET_PARAMS says 10 values, holds 2 (count at offset 4)', raw(0x10, '000000000a000000003f0000803f'), 'BAD_PAYLOAD', 8, 4),
      v('array with odd trailing byte', 'SET_TARGETS says 2 values, holds 3 bytes (count at offset 4)', raw(0x21, '000000000200010002'), 'BAD_PAYLOAD', 8, 4),
      v('non-printable string', `DEVICE_INFO uid holds 0x0A (uid length prefix at offset ${uidAt})`, encodeFrame({ seq: 1, msgId: 0x81 }, badUid), 'BAD_PAYLOAD', 8, uidAt),
      v('string too long', `DEVICE_INFO uid of 40 characters, max 32 (length prefix at offset ${uidAt})`, encodeFrame({ seq: 1, msgId: 0x81 }, longUid), 'BAD_PAYLOAD', 8, uidAt),
      v('struct truncated', 'DEVICE_INFO cut inside coupling.levels (offset 28)', encodeFrame({ seq: 1, msgId: 0x81 }, infoPayload.slice(0, 30)), 'BAD_PAYLOAD', 8, 28),
      { name: 'embedded zero in a COBS frame', description: 'a 0x00 inside the encoded bytes of a HELLO frame', layer: 'cobs', inputHex: (() => { const e = cobsEncode(hello); e[6] = 0; return hex(e) })(), error: 'BAD_COBS', code: 1, detail: 0 },
    ],
  }
}

// ---- tolerant -------------------------------------------------------------------------------------

function tolerantVectors(): object {
  const hb = pos('board heartbeat')
  const ackPayload = encodePayload('ACK', { ref: 0x21 })
  const infoMsg = pos('device info, xy lattice')
  const infoPayload = encodePayload('DEVICE_INFO', infoMsg.body as never)
  const mk = (name: string, description: string, frame: Uint8Array, m: { message: string; seq: number; compatFlags: number; body: unknown }, canonical: Uint8Array): object =>
    ({ name, description, frameHex: hex(frame), ...m, canonicalPayloadHex: hex(canonical) })
  return {
    note: 'Frames a receiver must accept although an encoder would not produce them: unknown compatible flags are ignored, bytes after the last known field (extensions of a newer minor) are ignored. Decode frameHex; expect the body; re-encoding the body gives canonicalPayloadHex.',
    vectors: [
      mk('unknown compatible flag', 'compatible flags 0x80 on a HEARTBEAT', encodeMessage({ ...hb, compatFlags: 0x80 }),
        { message: 'HEARTBEAT', seq: hb.seq, compatFlags: 0x80, body: hb.body }, encodePayload('HEARTBEAT', hb.body as never)),
      mk('all compatible flags', 'compatible flags 0xFF on an ACK', encodeFrame({ seq: 3, msgId: 0xfe, compatFlags: 0xff }, ackPayload),
        { message: 'ACK', seq: 3, compatFlags: 0xff, body: { ref: 0x21 } }, ackPayload),
      mk('extension bytes after the last field', 'ACK with three extra bytes', encodeFrame({ seq: 4, msgId: 0xfe }, cat(ackPayload, bytes('a1b2c3'))),
        { message: 'ACK', seq: 4, compatFlags: 0, body: { ref: 0x21 } }, ackPayload),
      mk('extension bytes after DEVICE_INFO', 'DEVICE_INFO with an 8-byte extension', encodeFrame({ seq: 1, msgId: 0x81 }, cat(infoPayload, bytes('0102030405060708'))),
        // since 1.1 the first extension byte is the window field (0x01), the other seven stay unknown
        { message: 'DEVICE_INFO', seq: 1, compatFlags: 0, body: { ...infoMsg.body, window: 1 } }, cat(infoPayload, bytes('01'))),
    ],
  }
}

// ---- on-board learning (SPEC section 13) -----------------------------------------------------------

const LEARNING: (OutgoingMessage & { label: string })[] = [
  { label: 'learn config, one-sided, biases learned', name: 'LEARN_CONFIG', seq: 40, body: { eta: f32(0.1), biasEta: f32(0.05), beta: f32(0.1), estimator: 'one-sided', cost: 'log-cos' } },
  { label: 'learn config, couplings only', name: 'LEARN_CONFIG', seq: 41, body: { eta: 1, biasEta: 0, beta: -0.5, estimator: 'one-sided', cost: 'squared' } },
  { label: 'learn free, 2 samples of 2 inputs and 1 target', name: 'LEARN_FREE', seq: 42, body: { batch: 2, seed: 0xdeadbeef, budgetUs: 0, maxSteps: 0, samples: [ph(Math.PI / 2), ph(-Math.PI / 2), ph(Math.PI / 4), ph(-Math.PI / 2), ph(-Math.PI / 2), ph(-Math.PI / 4)] } },
  { label: 'learn outputs, 4 samples x 2 outputs', name: 'LEARN_OUTPUTS', seq: 42, body: { batch: 4, settled: 3, elapsedUs: 2711, values: [ph(0.5), ph(-0.5), ph(3), ph(-3), 0, ph(Math.PI), ph(-Math.PI), 1] } },
  { label: 'learn nudged, 4 samples, budgets', name: 'LEARN_NUDGED', seq: 43, body: { batch: 4, budgetUs: 250000, maxSteps: 100000 } },
  { label: 'learn commit', name: 'LEARN_COMMIT', seq: 44, body: {} },
  { label: 'learn discard', name: 'LEARN_DISCARD', seq: 45, body: {} },
  { label: 'relax done answering learn nudged', name: 'RELAX_DONE', seq: 43, body: { batch: 4, settled: 4, elapsedUs: 1500 } },
  { label: 'nack LEARN_NOT_CONFIGURED for LEARN_COMMIT', name: 'NACK', seq: 46, body: { ref: 0x53, code: 15, detail: 0 } },
  {
    label: 'device info announcing on-board learning', name: 'DEVICE_INFO', seq: 1, body: {
      protoMinor: 0, model: 'xy', reports: 'states', capabilities: 0b1111, costs: 0b001, maxFrame: 4096, maxBatch: 64,
      nodeCount: 6, edgeCount: 15, clampableCount: 2, nudgeableCount: 1,
      coupling: { min: -8, max: 8, levels: 0 }, bias: { min: -8, max: 8, levels: 0 },
      stateLsb: P, edgeLsb: 0, watchdogMs: 2000, bootCounter: 1, uid: 'vboard-xy', firmware: 'eqprop-hil-vboard 0.1.0',
    },
  },
]

function learningVectors(): object {
  const raw = (msgId: number, payloadHex: string, seq = 0x0300): Uint8Array => encodeFrame({ seq, msgId }, bytes(payloadHex))
  const cfg = encodePayload('LEARN_CONFIG', LEARNING[0].body as never)
  const badEst = cfg.slice(); badEst[12] = 1
  return {
    note: 'The on-board learning messages (SPEC section 13), in the formats of positive.json (vectors) and negative.json (negative). Frozen like the others.',
    vectors: LEARNING.map(({ label, ...m }) => {
      const payload = encodePayload(m.name, m.body as never)
      const frame = encodeMessage(m)
      return {
        name: label, message: m.name, id: messageSpec(m.name).id, seq: m.seq, compatFlags: m.compatFlags ?? 0,
        body: m.body, payloadHex: hex(payload), frameHex: hex(frame), serialHex: hex(serialFrame(frame)),
      }
    }),
    negative: [
      { name: 'learn config, unknown estimator', description: 'LEARN_CONFIG with estimator = 1 (offset 12)', layer: 'frame', inputHex: hex(encodeFrame({ seq: 0x0300, msgId: 0x50 }, badEst)), maxFrame: 1024, error: 'BAD_PAYLOAD', code: 8, detail: 12 },
      { name: 'learn config, truncated', description: 'LEARN_CONFIG cut inside beta (offset 8)', layer: 'frame', inputHex: hex(encodeFrame({ seq: 0x0300, msgId: 0x50 }, cfg.slice(0, 10))), maxFrame: 1024, error: 'BAD_PAYLOAD', code: 8, detail: 8 },
      { name: 'learn outputs, count past the payload', description: 'LEARN_OUTPUTS says 5 values, holds 1 (count at offset 8)', layer: 'frame', inputHex: hex(raw(0xd1, '0100010000000000' + '0500' + '0100')), maxFrame: 1024, error: 'BAD_PAYLOAD', code: 8, detail: 8 },
      { name: 'learn outputs sent to the board', description: 'LEARN_OUTPUTS decoded in the board role', layer: 'frame', inputHex: hex(encodeMessage(LEARNING[3])), maxFrame: 1024, role: 'board', error: 'UNKNOWN_MESSAGE', code: 7, detail: 0xd1 },
    ],
  }
}

/** Directory of the frozen vectors. */
export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url))

if (isMain(import.meta.url)) {
  const force = process.argv.includes('--force')
  const files: [string, object][] = [
    ['crc.json', crcVectors()], ['cobs.json', cobsVectors()], ['positive.json', positiveVectors()],
    ['negative.json', negativeVectors()], ['tolerant.json', tolerantVectors()], ['learning.json', learningVectors()],
  ]
  mkdirSync(VECTORS_DIR, { recursive: true })
  for (const [name, data] of files) {
    const path = VECTORS_DIR + name
    if (existsSync(path) && !force) { console.log(`kept ${path} (frozen; --force to overwrite)`); continue }
    writeFileSync(path, JSON.stringify(data, null, 2) + '\n')
    console.log(`wrote ${path}`)
  }
}
