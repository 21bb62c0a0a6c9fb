// Generates the C99 message codec from messages.json, and the C copy of the frozen vectors:
//   firmware-protocol/c/messages_gen.h, messages_gen.c   (from the table)
//   firmware-protocol/c/test/vectors_gen.h               (from vectors/*.json, for the C tests)
// Run: node --import tsx firmware-protocol/gen/gen-c.ts
// A test regenerates all three in memory and fails if the committed files differ.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { TABLE, compileField, compileTable, type FieldSpec, type MessageSpec, type TableJson } from '../ts/table.ts'
import { isMain, snake, upper } from './names.ts'

const C_TYPE: Record<string, string> = {
  u8: 'uint8_t', u16: 'uint16_t', u32: 'uint32_t', i8: 'int8_t', i16: 'int16_t', i32: 'int32_t', f32: 'float', bool: 'bool',
}
const HEAD = (what: string): string =>
  `/* Generated from firmware-protocol/${what} by firmware-protocol/gen/gen-c.ts. Do not edit;\n * run \`node --import tsx firmware-protocol/gen/gen-c.ts\` after changing the source. */\n`

const msgType = (m: { name: string }): string => `eqp_${snake(m.name)}_body_t`
const structType = (s: string): string => `eqp_${snake(s)}_t`
const arrayMax = (m: MessageSpec, f: FieldSpec): string => `EQP_${upper(m.name)}_${upper(f.name)}_MAX`
const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`

function fieldDecl(f: FieldSpec, m?: MessageSpec): string[] {
  switch (f.kind) {
    case 'scalar': return [`${C_TYPE[f.type]} ${snake(f.name)};`]
    case 'struct': return [`${structType(f.struct)} ${snake(f.name)};`]
    case 'string': return [`char ${snake(f.name)}[${f.max + 1}]; /* NUL-terminated, at most ${f.max} chars */`]
    case 'array': {
      const el = f.of.kind === 'struct' ? structType(f.of.struct) : f.of.kind === 'scalar' ? C_TYPE[f.of.type] : 'void'
      return [`uint16_t ${snake(f.name)}_count;`, `${el} ${snake(f.name)}[${arrayMax(m!, f)}];`]
    }
  }
}

// ---- header ---------------------------------------------------------------------------------------

function genHeader(t: TableJson, msgs: MessageSpec[]): string {
  const o: string[] = [HEAD('messages.json')]
  o.push('#ifndef EQP_MESSAGES_GEN_H', '#define EQP_MESSAGES_GEN_H', '', '#include <stdbool.h>', '#include <stddef.h>', '#include <stdint.h>', '')
  const p = t.protocol
  o.push(`#define EQP_PROTO_MAJOR ${p.major}u`, `#define EQP_PROTO_MINOR ${p.minor}u`, `#define EQP_HEADER_SIZE ${p.headerSize}u`,
    `#define EQP_CRC_SIZE ${p.crcSize}u`, `#define EQP_FRAME_OVERHEAD ${p.headerSize + p.crcSize}u`,
    `#define EQP_MIN_FRAME_LIMIT ${p.minFrameLimit}u`, `#define EQP_MAX_FRAME_LIMIT ${p.maxFrameLimit}u`,
    `#define EQP_DEFAULT_WATCHDOG_MS ${p.defaultWatchdogMs}u`)
  const incompat = t.flags.incompatible.reduce((m, f) => m | (1 << f.bit), 0)
  o.push(`#define EQP_KNOWN_INCOMPAT_FLAGS ${hex2(incompat)}u`, '')
  for (const f of t.flags.incompatible) o.push(`#define EQP_INCOMPAT_${upper(f.name)} ${hex2(1 << f.bit)}u /* ${f.doc} */`)
  for (const f of t.flags.compatible) o.push(`#define EQP_COMPAT_${upper(f.name)} ${hex2(1 << f.bit)}u /* ${f.doc} */`)
  o.push('/* Largest inner frame this build handles (sizes the array members below). */',
    '#ifndef EQP_MAX_FRAME', '#define EQP_MAX_FRAME 1024u', '#endif',
    '#if EQP_MAX_FRAME < EQP_MIN_FRAME_LIMIT || EQP_MAX_FRAME > EQP_MAX_FRAME_LIMIT',
    '#error "EQP_MAX_FRAME must be in 256..65535"', '#endif',
    '#define EQP_MAX_PAYLOAD (EQP_MAX_FRAME - EQP_FRAME_OVERHEAD)', '')
  o.push('/* Result codes: EQP_OK, or a NACK code (SPEC section 8). */', 'enum {', '  EQP_OK = 0,')
  for (const e of t.errors) o.push(`  EQP_ERR_${e.name} = ${e.code},`)
  o.push('};', '', '/* FAULT codes. */', 'enum {')
  for (const e of t.faults) o.push(`  EQP_FAULT_${e.name} = ${e.code},`)
  o.push('};', '', '/* Message ids. */', 'enum {')
  for (const m of msgs) o.push(`  EQP_MSG_${m.name} = ${hex2(m.id)},`)
  o.push('};', '', 'enum { EQP_DIR_HOST_TO_BOARD = 1, EQP_DIR_BOARD_TO_HOST = 2, EQP_DIR_BOTH = 3 };', '')
  for (const [name, e] of Object.entries(t.enums)) {
    o.push(`/* ${name}: ${e.doc ?? ''} */`, 'enum {')
    for (const [k, v] of Object.entries(e.values)) o.push(`  EQP_${upper(name)}_${upper(k)} = ${v},`)
    o.push('};')
  }
  o.push('')
  for (const [name, b] of Object.entries(t.bitsets)) {
    o.push(`/* ${name}: ${b.doc ?? ''} */`)
    for (const [k, bit] of Object.entries(b.bits)) o.push(`#define EQP_${upper(name)}_${upper(k)} ${hex2(2 ** bit)}u`)
  }
  o.push('')
  for (const [name, s] of Object.entries(t.structs)) {
    const spec = compileFieldsOf(t, s.fields)
    o.push(`/* ${s.doc ?? name} */`, 'typedef struct {')
    for (const f of spec) for (const d of fieldDecl(f)) o.push(`  ${d}`)
    o.push(`} ${structType(name)};`, '')
  }
  for (const m of msgs) {
    if (m.array) {
      const f = m.fields.find((x) => x.kind === 'array')!
      o.push(`#define ${arrayMax(m, f)} ((EQP_MAX_PAYLOAD - ${m.fixedMaxSize}u) / ${m.array.elemSize}u)`)
    }
  }
  o.push('')
  for (const m of msgs) {
    o.push(`/* ${m.name} (${hex2(m.id)}, ${m.kind}, ${m.dir}) */`, 'typedef struct {')
    if (m.fields.length === 0) o.push('  uint8_t reserved_; /* no fields */')
    for (const f of m.fields) for (const d of fieldDecl(f, m)) o.push(`  ${d}`)
    o.push(`} ${msgType(m)};`, '')
  }
  o.push('/* Any message body. */', 'typedef union {')
  for (const m of msgs) o.push(`  ${msgType(m)} ${snake(m.name)};`)
  o.push('} eqp_body_t;', '')
  o.push('/* Per message: encode returns EQP_OK, EQP_ERR_FRAME_TOO_LARGE (cap) or EQP_ERR_BAD_PAYLOAD (a value',
    ' * the wire cannot carry); decode returns EQP_OK or EQP_ERR_BAD_PAYLOAD with *detail (may be NULL)',
    ' * = payload offset of the failing field. Bytes after the last field are ignored (extensions). */')
  for (const m of msgs) {
    const s = snake(m.name)
    o.push(`int eqp_encode_${s}(const ${msgType(m)} *m, uint8_t *out, size_t cap, size_t *len);`)
    o.push(`int eqp_decode_${s}(const uint8_t *p, size_t n, ${msgType(m)} *m, uint32_t *detail);`)
  }
  o.push('', '/* By id; EQP_ERR_UNKNOWN_MESSAGE for an id not in the table. */',
    'int eqp_encode_body(uint8_t id, const eqp_body_t *b, uint8_t *out, size_t cap, size_t *len);',
    'int eqp_decode_body(uint8_t id, const uint8_t *p, size_t n, eqp_body_t *b, uint32_t *detail);',
    '/* EQP_DIR_* of a message id, 0 if unknown. */', 'int eqp_msg_dir(uint8_t id);',
    '/* Table name of a message id / NACK code, NULL if unknown. */',
    'const char *eqp_msg_name(uint8_t id);', 'const char *eqp_error_name(unsigned code);', '', '#endif', '')
  return o.join('\n')
}

function compileFieldsOf(t: TableJson, fields: TableJson['structs'][string]['fields']): FieldSpec[] {
  return fields.map((f) => compileField(t, f, `struct field ${f.name}`, true))
}

// ---- source ---------------------------------------------------------------------------------------

function writeStmt(f: FieldSpec, expr: string): string[] {
  switch (f.kind) {
    case 'scalar': return [`eqp_wr_${f.type}(&w, ${expr});`]
    case 'struct': return [`wr_${snake(f.struct)}(&w, &${expr});`]
    case 'string': return [`if (!eqp_wr_string(&w, ${expr}, ${f.max}u)) return EQP_ERR_BAD_PAYLOAD;`]
    case 'array': return []
  }
}

function readStmt(f: FieldSpec, expr: string, enumCheck: boolean): string[] {
  switch (f.kind) {
    case 'scalar':
      if (f.type === 'bool') {
        return [`at = r.pos;`, `b = eqp_rd_u8(&r);`, `if (!r.err && b > 1u) return fail(detail, at);`, `${expr} = b != 0u;`]
      }
      if (f.enumName && enumCheck) {
        return [`at = r.pos;`, `${expr} = eqp_rd_${f.type}(&r);`, `if (!r.err && !valid_${snake(f.enumName)}(${expr})) return fail(detail, at);`]
      }
      return [`${expr} = eqp_rd_${f.type}(&r);`]
    case 'struct': return [`rd_${snake(f.struct)}(&r, &${expr});`]
    case 'string': return [`at = r.pos;`, `if (!eqp_rd_string(&r, ${expr}, ${f.max}u)) return fail(detail, at);`]
    case 'array': return []
  }
}

function genSource(t: TableJson, msgs: MessageSpec[]): string {
  const o: string[] = [HEAD('messages.json'), '#include "messages_gen.h"', '', '#include "eqp_wire.h"', '']
  o.push('static int fail(uint32_t *detail, size_t at)', '{', '  if (detail) *detail = (uint32_t)at;', '  return EQP_ERR_BAD_PAYLOAD;', '}', '')
  o.push('static int finish_read(const eqp_rd_t *r, uint32_t *detail)', '{', '  if (r->err) return fail(detail, r->err_at);',
    '  if (detail) *detail = 0;', '  return EQP_OK;', '}', '')
  o.push('static int finish_write(const eqp_wr_t *w, size_t *len)', '{', '  if (w->overflow) return EQP_ERR_FRAME_TOO_LARGE;',
    '  *len = w->len;', '  return EQP_OK;', '}', '')
  const usedEnums = new Set<string>()
  for (const m of msgs) for (const f of m.fields) if (f.kind === 'scalar' && f.enumName) usedEnums.add(f.enumName)
  for (const name of usedEnums) {
    const e = t.enums[name]
    o.push(`static bool valid_${snake(name)}(unsigned v)`, '{', '  switch (v) {')
    for (const k of Object.keys(e.values)) o.push(`  case EQP_${upper(name)}_${upper(k)}:`)
    o.push('    return true;', '  default:', '    return false;', '  }', '}', '')
  }
  for (const [name, s] of Object.entries(t.structs)) {
    const fields = compileFieldsOf(t, s.fields)
    o.push(`static void wr_${snake(name)}(eqp_wr_t *wp, const ${structType(name)} *v)`, '{')
    for (const f of fields) for (const l of writeStmt(f, `v->${snake(f.name)}`)) o.push(`  ${l.replace('(&w,', '(wp,')}`)
    o.push('}', '')
    o.push(`static void rd_${snake(name)}(eqp_rd_t *rp, ${structType(name)} *v)`, '{')
    for (const f of fields) for (const l of readStmt(f, `v->${snake(f.name)}`, false)) o.push(`  ${l.replace('(&r)', '(rp)')}`)
    o.push('}', '')
  }
  for (const m of msgs) {
    const s = snake(m.name)
    const arr = m.fields.find((f) => f.kind === 'array')
    const enums = m.fields.filter((f) => f.kind === 'scalar' && f.enumName)
    // encode
    o.push(`int eqp_encode_${s}(const ${msgType(m)} *m, uint8_t *out, size_t cap, size_t *len)`, '{', '  eqp_wr_t w;')
    if (arr) o.push('  size_t i;')
    if (m.fields.length === 0) o.push('  (void)m;')
    for (const f of enums) o.push(`  if (!valid_${snake((f as { enumName: string }).enumName)}(m->${snake(f.name)})) return EQP_ERR_BAD_PAYLOAD;`)
    if (arr) o.push(`  if (m->${snake(arr.name)}_count > ${arrayMax(m, arr)}) return EQP_ERR_BAD_PAYLOAD;`)
    o.push('  eqp_wr_init(&w, out, cap);')
    for (const f of m.fields) {
      if (f.kind === 'array') {
        const n = snake(f.name)
        o.push(`  eqp_wr_u16(&w, m->${n}_count);`, `  for (i = 0; i < m->${n}_count; i++) ${writeStmt(f.of, `m->${n}[i]`)[0]}`)
      } else if (f.kind === 'scalar' && f.optional) {
        // an optional field (SPEC 4.3) goes on the wire only when non-zero: a 1.0 message stays the same bytes
        o.push(`  if (m->${snake(f.name)} != 0u) ${writeStmt(f, `m->${snake(f.name)}`)[0]}`)
      } else for (const l of writeStmt(f, `m->${snake(f.name)}`)) o.push(`  ${l}`)
    }
    o.push('  return finish_write(&w, len);', '}', '')
    // decode
    const needAt = m.fields.some((f) => f.kind === 'string' || f.kind === 'array' || (f.kind === 'scalar' && (f.enumName || f.type === 'bool')))
    const needB = m.fields.some((f) => f.kind === 'scalar' && f.type === 'bool')
    o.push(`int eqp_decode_${s}(const uint8_t *p, size_t n, ${msgType(m)} *m, uint32_t *detail)`, '{', '  eqp_rd_t r;')
    if (needAt) o.push('  size_t at;')
    if (needB) o.push('  uint8_t b;')
    if (arr) o.push('  size_t i;')
    o.push('  eqp_rd_init(&r, p, n);')
    if (m.fields.length === 0) o.push('  m->reserved_ = 0;')
    for (const f of m.fields) {
      if (f.kind === 'array') {
        const n = snake(f.name)
        o.push('  at = r.pos;', `  m->${n}_count = eqp_rd_u16(&r);`, '  if (r.err) {', `    m->${n}_count = 0;`, '  } else {',
          `    if (m->${n}_count > ${arrayMax(m, f)} || (size_t)m->${n}_count * ${f.elemSize}u > r.n - r.pos) return fail(detail, at);`,
          `    for (i = 0; i < m->${n}_count; i++) ${readStmt(f.of, `m->${n}[i]`, false)[0]}`, '  }')
      } else if (f.kind === 'scalar' && f.optional) {
        // absent in a payload from an older minor: 0
        o.push(`  ${`m->${snake(f.name)}`} = 0;`, `  if (!r.err && r.pos < r.n) ${readStmt(f, `m->${snake(f.name)}`, true)[0]}`)
      } else for (const l of readStmt(f, `m->${snake(f.name)}`, true)) o.push(`  ${l}`)
    }
    o.push('  return finish_read(&r, detail);', '}', '')
  }
  o.push('int eqp_encode_body(uint8_t id, const eqp_body_t *b, uint8_t *out, size_t cap, size_t *len)', '{', '  switch (id) {')
  for (const m of msgs) o.push(`  case EQP_MSG_${m.name}: return eqp_encode_${snake(m.name)}(&b->${snake(m.name)}, out, cap, len);`)
  o.push('  default: return EQP_ERR_UNKNOWN_MESSAGE;', '  }', '}', '')
  o.push('int eqp_decode_body(uint8_t id, const uint8_t *p, size_t n, eqp_body_t *b, uint32_t *detail)', '{',
    '  if (detail) *detail = id;', '  switch (id) {')
  for (const m of msgs) o.push(`  case EQP_MSG_${m.name}: return eqp_decode_${snake(m.name)}(p, n, &b->${snake(m.name)}, detail);`)
  o.push('  default: return EQP_ERR_UNKNOWN_MESSAGE;', '  }', '}', '')
  const DIR: Record<string, string> = { 'host-to-board': 'EQP_DIR_HOST_TO_BOARD', 'board-to-host': 'EQP_DIR_BOARD_TO_HOST', both: 'EQP_DIR_BOTH' }
  o.push('int eqp_msg_dir(uint8_t id)', '{', '  switch (id) {')
  for (const m of msgs) o.push(`  case EQP_MSG_${m.name}: return ${DIR[m.dir]};`)
  o.push('  default: return 0;', '  }', '}', '')
  o.push('const char *eqp_msg_name(uint8_t id)', '{', '  switch (id) {')
  for (const m of msgs) o.push(`  case EQP_MSG_${m.name}: return "${m.name}";`)
  o.push('  default: return NULL;', '  }', '}', '')
  o.push('const char *eqp_error_name(unsigned code)', '{', '  switch (code) {', '  case EQP_OK: return "OK";')
  for (const e of t.errors) o.push(`  case EQP_ERR_${e.name}: return "${e.name}";`)
  o.push('  default: return NULL;', '  }', '}', '')
  return o.join('\n')
}

// ---- vectors --------------------------------------------------------------------------------------

interface VecFiles { crc: any; cobs: any; positive: any; negative: any; tolerant: any }   // eslint-disable-line @typescript-eslint/no-explicit-any

const bytesOf = (h: string): number[] => (h.match(/../g) ?? []).map((x) => parseInt(x, 16))

function cBytes(name: string, h: string): string {
  const b = bytesOf(h)
  // C99 has no empty arrays: give empty inputs one dummy byte (their length says 0)
  const body = b.length === 0 ? '0x00' : b.map((x) => hex2(x)).join(', ')
  const lines: string[] = []
  const items = body.split(', ')
  for (let i = 0; i < items.length; i += 16) lines.push('  ' + items.slice(i, i + 16).join(', ') + ',')
  return `static const uint8_t ${name}[] = {\n${lines.join('\n')}\n};`
}

function cString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

function cF32(x: number): string {
  const v = Math.fround(x)
  if (!Number.isFinite(v)) throw new Error(`vector float ${x} is not finite`)
  return `${v.toPrecision(9)}f`
}

function cValue(f: FieldSpec, v: unknown): string {
  switch (f.kind) {
    case 'scalar':
      if (f.type === 'bool') return v ? 'true' : 'false'
      if (f.enumName) return `EQP_${upper(f.enumName)}_${upper(String(v))}`
      if (f.type === 'f32') return cF32(v as number)
      return f.type.startsWith('u') ? `${v}u` : `${v}`
    case 'string': return cString(v as string)
    case 'struct': return `{ ${f.fields.map((g) => `.${snake(g.name)} = ${cValue(g, (v as Record<string, unknown>)[g.name])}`).join(', ')} }`
    case 'array': throw new Error('arrays are emitted by cBody')
  }
}

function cBody(m: MessageSpec, body: Record<string, unknown>): string {
  const parts: string[] = []
  if (m.fields.length === 0) parts.push('.reserved_ = 0')
  for (const f of m.fields) {
    const n = snake(f.name)
    if (f.kind === 'array') {
      const a = body[f.name] as unknown[]
      if (a.length > 0) parts.push(`.${n} = { ${a.map((x) => cValue(f.of, x)).join(', ')} }`)
      parts.push(`.${n}_count = ${a.length}`)
    } else if (f.kind === 'scalar' && f.optional && body[f.name] === undefined) parts.push(`.${n} = 0`)
    else parts.push(`.${n} = ${cValue(f, body[f.name])}`)
  }
  return `{ .${snake(m.name)} = { ${parts.join(', ')} } }`
}

function genVectors(byName: Map<string, MessageSpec>, v: VecFiles): string {
  const o: string[] = [HEAD('vectors/{crc,cobs,positive,negative,tolerant,learning}.json'), '#ifndef EQP_VECTORS_GEN_H', '#define EQP_VECTORS_GEN_H', '',
    '#include <stddef.h>', '#include <stdint.h>', '', '#include "../eqp_frame.h"', '']
  o.push('typedef struct { const char *name; const uint8_t *in; size_t in_len; uint32_t crc; } crc_vec_t;',
    'typedef struct { const char *name; const uint8_t *dec; size_t dec_len; const uint8_t *enc; size_t enc_len; } cobs_vec_t;',
    'typedef struct { const char *name; const uint8_t *enc; size_t enc_len; int code; } cobs_bad_vec_t;',
    'typedef struct {',
    '  const char *name; size_t max_frame; const uint8_t *in; size_t in_len;',
    '  const uint8_t *frames; size_t frames_len; const size_t *frame_lens; size_t n_frames;',
    '  uint32_t frames_n, bad_cobs, oversize;',
    '} stream_vec_t;',
    'typedef struct {',
    '  const char *name; uint8_t id; uint16_t seq; uint8_t compat; const eqp_body_t *body;',
    '  const uint8_t *payload; size_t payload_len; const uint8_t *frame; size_t frame_len; const uint8_t *serial; size_t serial_len;',
    '} pos_vec_t;',
    'typedef struct {',
    '  const char *name; int cobs_layer; const uint8_t *in; size_t in_len; size_t max_frame; int role; int code; uint32_t detail;',
    '} neg_vec_t;',
    'typedef struct {',
    '  const char *name; uint8_t id; uint16_t seq; uint8_t compat; const eqp_body_t *body;',
    '  const uint8_t *frame; size_t frame_len; const uint8_t *canonical; size_t canonical_len;',
    '} tol_vec_t;', '')
  const len = (h: string): number => h.length / 2
  // CRC
  v.crc.vectors.forEach((x: any, i: number) => o.push(cBytes(`crc_in_${i}`, x.inputHex)))
  o.push('static const crc_vec_t CRC_VECS[] = {')
  v.crc.vectors.forEach((x: any, i: number) => o.push(`  { ${cString(x.name)}, crc_in_${i}, ${len(x.inputHex)}, 0x${x.crcHex}u },`))
  o.push('};', '')
  // COBS
  v.cobs.vectors.forEach((x: any, i: number) => { o.push(cBytes(`cobs_dec_${i}`, x.decodedHex), cBytes(`cobs_enc_${i}`, x.encodedHex)) })
  o.push('static const cobs_vec_t COBS_VECS[] = {')
  v.cobs.vectors.forEach((x: any, i: number) => o.push(`  { ${cString(x.name)}, cobs_dec_${i}, ${len(x.decodedHex)}, cobs_enc_${i}, ${len(x.encodedHex)} },`))
  o.push('};', '')
  v.cobs.invalid.forEach((x: any, i: number) => o.push(cBytes(`cobs_bad_${i}`, x.encodedHex)))
  o.push('static const cobs_bad_vec_t COBS_BAD_VECS[] = {')
  v.cobs.invalid.forEach((x: any, i: number) => o.push(`  { ${cString(x.name)}, cobs_bad_${i}, ${len(x.encodedHex)}, ${x.code} },`))
  o.push('};', '')
  v.cobs.streams.forEach((x: any, i: number) => {
    o.push(cBytes(`stream_in_${i}`, x.chunks.join('')), cBytes(`stream_frames_${i}`, x.frames.join('')))
    o.push(`static const size_t stream_lens_${i}[] = { ${x.frames.map((f: string) => len(f)).join(', ')} };`)
  })
  o.push('static const stream_vec_t STREAM_VECS[] = {')
  v.cobs.streams.forEach((x: any, i: number) => o.push(`  { ${cString(x.name)}, ${x.maxFrame}u, stream_in_${i}, ${len(x.chunks.join(''))}, stream_frames_${i}, ${len(x.frames.join(''))}, stream_lens_${i}, ${x.frames.length}, ${x.stats.frames}u, ${x.stats.badCobs}u, ${x.stats.oversize}u },`))
  o.push('};', '')
  // positive
  v.positive.vectors.forEach((x: any, i: number) => {
    o.push(`static const eqp_body_t pos_body_${i} = ${cBody(byName.get(x.message)!, x.body)};`)
    o.push(cBytes(`pos_payload_${i}`, x.payloadHex), cBytes(`pos_frame_${i}`, x.frameHex), cBytes(`pos_serial_${i}`, x.serialHex))
  })
  o.push('static const pos_vec_t POS_VECS[] = {')
  v.positive.vectors.forEach((x: any, i: number) => o.push(`  { ${cString(x.name)}, ${hex2(x.id)}, ${x.seq}u, ${x.compatFlags}u, &pos_body_${i}, pos_payload_${i}, ${len(x.payloadHex)}, pos_frame_${i}, ${len(x.frameHex)}, pos_serial_${i}, ${len(x.serialHex)} },`))
  o.push('};', '')
  // negative
  const ROLE: Record<string, string> = { board: 'EQP_ROLE_BOARD', host: 'EQP_ROLE_HOST' }
  v.negative.vectors.forEach((x: any, i: number) => o.push(cBytes(`neg_in_${i}`, x.inputHex)))
  o.push('static const neg_vec_t NEG_VECS[] = {')
  v.negative.vectors.forEach((x: any, i: number) => o.push(`  { ${cString(x.name)}, ${x.layer === 'cobs' ? 1 : 0}, neg_in_${i}, ${len(x.inputHex)}, ${x.maxFrame ?? 0}u, ${x.role ? ROLE[x.role] : 'EQP_ROLE_ANY'}, ${x.code}, ${x.detail}u },`))
  o.push('};', '')
  // tolerant
  v.tolerant.vectors.forEach((x: any, i: number) => {
    o.push(`static const eqp_body_t tol_body_${i} = ${cBody(byName.get(x.message)!, x.body)};`)
    o.push(cBytes(`tol_frame_${i}`, x.frameHex), cBytes(`tol_canon_${i}`, x.canonicalPayloadHex))
  })
  o.push('static const tol_vec_t TOL_VECS[] = {')
  v.tolerant.vectors.forEach((x: any, i: number) => o.push(`  { ${cString(x.name)}, ${hex2(byName.get(x.message)!.id)}, ${x.seq}u, ${x.compatFlags}u, &tol_body_${i}, tol_frame_${i}, ${len(x.frameHex)}, tol_canon_${i}, ${len(x.canonicalPayloadHex)} },`))
  o.push('};', '', '#define N_OF(a) (sizeof(a) / sizeof((a)[0]))', '', '#endif', '')
  return o.join('\n')
}

const C_DIR = new URL('../c/', import.meta.url)
const VEC_DIR = new URL('../vectors/', import.meta.url)

/** Reads the frozen vectors. */
export function readVectors(): VecFiles {
  const r = (n: string): unknown => JSON.parse(readFileSync(new URL(n, VEC_DIR), 'utf8'))
  // the on-board learning section's vectors (learning.json) run with the positive and negative ones
  const pos = r('positive.json') as { vectors: unknown[] }, neg = r('negative.json') as { vectors: unknown[] }
  const learn = r('learning.json') as { vectors: unknown[]; negative: unknown[] }
  return {
    crc: r('crc.json'), cobs: r('cobs.json'), positive: { ...pos, vectors: [...pos.vectors, ...learn.vectors] },
    negative: { ...neg, vectors: [...neg.vectors, ...learn.negative] }, tolerant: r('tolerant.json'),
  }
}

/** Every generated C file: path -> text. */
export function generateC(t: TableJson = TABLE, vectors: VecFiles = readVectors()): Map<string, string> {
  const { byName } = compileTable(t)
  const msgs = t.messages.map((m) => byName.get(m.name)!)
  return new Map([
    [fileURLToPath(new URL('messages_gen.h', C_DIR)), genHeader(t, msgs)],
    [fileURLToPath(new URL('messages_gen.c', C_DIR)), genSource(t, msgs)],
    [fileURLToPath(new URL('test/vectors_gen.h', C_DIR)), genVectors(byName, vectors)],
  ])
}

if (isMain(import.meta.url)) {
  for (const [path, text] of generateC()) {
    writeFileSync(path, text)
    console.log(`wrote ${path}`)
  }
}
