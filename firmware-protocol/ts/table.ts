// The message table (../messages.json), checked once at module init and compiled into lookup maps.
// Everything else in this directory (and the C generator) reads the protocol through this module.
import raw from '../messages.json' with { type: 'json' }

export type ScalarType = 'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32' | 'f32' | 'bool'
export type MessageKind = 'command' | 'reply' | 'event'
export type Direction = 'host-to-board' | 'board-to-host' | 'both'

/** Byte size of each scalar wire type. */
export const SCALAR_SIZE: Readonly<Record<ScalarType, number>> = {
  u8: 1, u16: 2, u32: 4, i8: 1, i16: 2, i32: 4, f32: 4, bool: 1,
}

export interface FieldJson {
  name: string
  type: string
  enum?: string
  bitset?: string
  codes?: string
  max?: number
  of?: string
  doc?: string
  unit?: string
  /** a scalar added by a later minor at the end of a payload: absent on the wire means 0 (SPEC 4.3) */
  optional?: boolean
}
export interface MessageJson {
  id: number
  name: string
  kind: MessageKind
  dir: Direction
  reply?: string[]
  doc?: string
  fields: FieldJson[]
}
export interface EnumJson { type: ScalarType; doc?: string; values: Record<string, number> }
export interface BitsetJson { type: ScalarType; doc?: string; bits: Record<string, number> }
export interface StructJson { doc?: string; fields: FieldJson[] }
export interface CodeJson { code: number; name: string; doc: string; sent?: string; hostAction?: string }
export interface FlagJson { bit: number; name: string; doc: string }
export interface TableJson {
  protocol: {
    name: string; major: number; minor: number; headerSize: number; crcSize: number
    minFrameLimit: number; maxFrameLimit: number; defaultWatchdogMs: number
  }
  flags: { incompatible: FlagJson[]; compatible: FlagJson[] }
  enums: Record<string, EnumJson>
  bitsets: Record<string, BitsetJson>
  structs: Record<string, StructJson>
  errors: CodeJson[]
  faults: CodeJson[]
  messages: MessageJson[]
}

/** A compiled field: how to size, write and read one value. */
export type FieldSpec =
  | { kind: 'scalar'; name: string; type: ScalarType; enumName?: string; toNum?: ReadonlyMap<string, number>; toName?: ReadonlyMap<number, string>; optional?: boolean }
  | { kind: 'string'; name: string; max: number }
  | { kind: 'struct'; name: string; struct: string; fields: readonly FieldSpec[]; size: number }
  | { kind: 'array'; name: string; of: FieldSpec; elemSize: number }

export interface MessageSpec {
  readonly id: number
  readonly name: string
  readonly kind: MessageKind
  readonly dir: Direction
  readonly reply: readonly string[]
  readonly fields: readonly FieldSpec[]
  /** payload bytes with every string empty and the array (if any) empty */
  readonly minSize: number
  /** payload bytes with every string at its maximum and the array (if any) empty */
  readonly fixedMaxSize: number
  /** the one array field, if the message has one */
  readonly array?: { name: string; elemSize: number }
}

const SCALARS = new Set<string>(Object.keys(SCALAR_SIZE))
const INT_RANGE: Readonly<Record<Exclude<ScalarType, 'f32' | 'bool'>, readonly [number, number]>> = {
  u8: [0, 0xff], u16: [0, 0xffff], u32: [0, 0xffffffff], i8: [-0x80, 0x7f], i16: [-0x8000, 0x7fff], i32: [-0x80000000, 0x7fffffff],
}

/** Inclusive integer range of an integer scalar type. */
export function intRange(t: Exclude<ScalarType, 'f32' | 'bool'>): readonly [number, number] { return INT_RANGE[t] }

function fail(where: string, why: string): never {
  throw new TypeError(`messages.json ${where}: ${why}`)
}

const NAME_RE = /^[a-z][A-Za-z0-9]*$/
const MSG_RE = /^[A-Z][A-Z0-9_]*$/

/** Compiles one field of the table (inStruct: inside a struct or as an array element). */
export function compileField(t: TableJson, f: FieldJson, where: string, inStruct: boolean): FieldSpec {
  if (!NAME_RE.test(f.name)) fail(where, `field name '${f.name}' is not camelCase`)
  if (SCALARS.has(f.type)) {
    const type = f.type as ScalarType
    if (f.enum !== undefined) {
      const e = t.enums[f.enum] ?? fail(where, `unknown enum '${f.enum}'`)
      if (e.type !== type) fail(where, `enum '${f.enum}' is ${e.type}, field is ${type}`)
      const toNum = new Map(Object.entries(e.values))
      const toName = new Map([...toNum].map(([k, v]) => [v, k] as [number, string]))
      return { kind: 'scalar', name: f.name, type, enumName: f.enum, toNum, toName }
    }
    if (f.bitset !== undefined && t.bitsets[f.bitset]?.type !== type) fail(where, `bitset '${f.bitset}' missing or not ${type}`)
    if (f.codes !== undefined && f.codes !== 'errors' && f.codes !== 'faults') fail(where, `codes must be errors or faults`)
    if (f.optional) {
      if (inStruct || f.bitset !== undefined || f.codes !== undefined || type === 'bool' || type === 'f32') fail(where, 'only a plain integer message field can be optional')
      return { kind: 'scalar', name: f.name, type, optional: true }
    }
    return { kind: 'scalar', name: f.name, type }
  }
  if (f.type === 'string') {
    if (inStruct) fail(where, 'strings are not allowed inside structs')
    if (!Number.isInteger(f.max) || f.max! < 1 || f.max! > 255) fail(where, 'string needs max in 1..255')
    return { kind: 'string', name: f.name, max: f.max! }
  }
  if (f.type === 'array') {
    if (inStruct) fail(where, 'arrays are not allowed inside structs')
    if (f.of === undefined) fail(where, 'array needs of')
    const of = compileField(t, { name: 'item', type: f.of }, `${where}[]`, true)
    if (of.kind === 'scalar' && (of.toNum || of.type === 'bool')) fail(where, 'arrays of enums or bools are not supported')
    const elemSize = of.kind === 'scalar' ? SCALAR_SIZE[of.type] : of.kind === 'struct' ? of.size : fail(where, 'bad element')
    return { kind: 'array', name: f.name, of, elemSize }
  }
  const s = t.structs[f.type]
  if (s === undefined) fail(where, `unknown type '${f.type}'`)
  const fields = s.fields.map((g) => compileField(t, g, `${where}.${g.name}`, true))
  let size = 0
  for (const g of fields) size += g.kind === 'scalar' ? SCALAR_SIZE[g.type] : g.kind === 'struct' ? g.size : 0
  return { kind: 'struct', name: f.name, struct: f.type, fields, size }
}

function sizes(fields: readonly FieldSpec[]): { min: number; max: number } {
  let min = 0, max = 0
  for (const f of fields) {
    if (f.kind === 'scalar') { min += SCALAR_SIZE[f.type]; max += SCALAR_SIZE[f.type] }
    else if (f.kind === 'struct') { min += f.size; max += f.size }
    else if (f.kind === 'string') { min += 1; max += 1 + f.max }
    else { min += 2; max += 2 }
  }
  return { min, max }
}

function checkCodes(list: CodeJson[], where: string): void {
  const seen = new Set<number>()
  for (const c of list) {
    if (!Number.isInteger(c.code) || c.code < 1 || c.code > 0xffff) fail(where, `code ${c.code} not in 1..65535`)
    if (!MSG_RE.test(c.name)) fail(where, `bad name ${c.name}`)
    if (seen.has(c.code)) fail(where, `duplicate code ${c.code}`)
    seen.add(c.code)
  }
}

/** Checks the table and compiles every message; throws TypeError naming the first problem. */
export function compileTable(t: TableJson): { byId: Map<number, MessageSpec>; byName: Map<string, MessageSpec> } {
  const p = t.protocol
  if (p.headerSize !== 8 || p.crcSize !== 4) fail('protocol', 'header must be 8 bytes and CRC 4 bytes')
  for (const [name, e] of Object.entries(t.enums)) {
    const [lo, hi] = INT_RANGE[e.type as 'u8'] ?? fail(`enum ${name}`, 'type must be an integer')
    const vals = Object.values(e.values)
    if (new Set(vals).size !== vals.length) fail(`enum ${name}`, 'duplicate values')
    for (const v of vals) if (!Number.isInteger(v) || v < lo || v > hi) fail(`enum ${name}`, `value ${v} out of range`)
  }
  for (const [name, b] of Object.entries(t.bitsets)) {
    const width = SCALAR_SIZE[b.type] * 8
    for (const v of Object.values(b.bits)) if (!Number.isInteger(v) || v < 0 || v >= width) fail(`bitset ${name}`, `bit ${v} out of range`)
  }
  checkCodes(t.errors, 'errors')
  checkCodes(t.faults, 'faults')
  const byId = new Map<number, MessageSpec>()
  const byName = new Map<string, MessageSpec>()
  for (const m of t.messages) {
    const where = `message ${m.name}`
    if (!MSG_RE.test(m.name)) fail(where, 'name must be SCREAMING_SNAKE')
    if (!Number.isInteger(m.id) || m.id < 1 || m.id > 255) fail(where, 'id must be in 1..255')
    if (byId.has(m.id)) fail(where, `duplicate id ${m.id}`)
    if (byName.has(m.name)) fail(where, 'duplicate name')
    if (!['command', 'reply', 'event'].includes(m.kind)) fail(where, `bad kind ${m.kind}`)
    if (!['host-to-board', 'board-to-host', 'both'].includes(m.dir)) fail(where, `bad dir ${m.dir}`)
    const fields = m.fields.map((f) => compileField(t, f, `${where}.${f.name}`, false))
    if (new Set(fields.map((f) => f.name)).size !== fields.length) fail(where, 'duplicate field names')
    const arrays = fields.filter((f) => f.kind === 'array')
    if (arrays.length > 1) fail(where, 'at most one array per message (chunking works on one array)')
    const { min, max } = sizes(fields)
    if (arrays.length === 0 && max + p.headerSize + p.crcSize > p.minFrameLimit) {
      fail(where, `does not fit the minimum frame limit ${p.minFrameLimit}`)
    }
    // an optional field is an extension of a later minor: only the last fields may be optional
    const firstOpt = fields.findIndex((f) => f.kind === 'scalar' && f.optional)
    if (firstOpt >= 0 && fields.slice(firstOpt).some((f) => !(f.kind === 'scalar' && f.optional))) fail(where, 'optional fields must come last')
    const a = arrays[0]
    const spec: MessageSpec = {
      id: m.id, name: m.name, kind: m.kind, dir: m.dir, reply: m.reply ?? [], fields, minSize: min, fixedMaxSize: max,
      array: a && a.kind === 'array' ? { name: a.name, elemSize: a.elemSize } : undefined,
    }
    byId.set(m.id, spec)
    byName.set(m.name, spec)
  }
  for (const m of byName.values()) {
    if (m.kind === 'command' && m.reply.length === 0) fail(`message ${m.name}`, 'a command needs a reply')
    for (const r of m.reply) if (byName.get(r)?.kind !== 'reply') fail(`message ${m.name}`, `reply ${r} is not a reply message`)
  }
  return { byId, byName }
}

/** The raw table, as read from messages.json. */
export const TABLE: TableJson = raw as unknown as TableJson
const compiled = compileTable(TABLE)
/** Compiled messages by id and by name. */
export const MESSAGES_BY_ID: ReadonlyMap<number, MessageSpec> = compiled.byId
export const MESSAGES_BY_NAME: ReadonlyMap<string, MessageSpec> = compiled.byName
/** Bit mask of the incompatible flags this implementation understands. */
export const KNOWN_INCOMPATIBLE_FLAGS = TABLE.flags.incompatible.reduce((m, f) => m | (1 << f.bit), 0)
