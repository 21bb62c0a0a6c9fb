// Generates firmware-protocol/ts/types-gen.ts (TypeScript types and constants) from messages.json.
// Run: node --import tsx firmware-protocol/gen/gen-ts.ts
// The codec itself reads the table at module init; this file only gives callers static types.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { TABLE, type FieldJson, type TableJson } from '../ts/table.ts'
import { isMain, pascal, upper } from './names.ts'

const TS_SCALAR: Record<string, string> = {
  u8: 'number', u16: 'number', u32: 'number', i8: 'number', i16: 'number', i32: 'number', f32: 'number', bool: 'boolean',
}

function doc(text: string | undefined, indent = ''): string {
  return text ? `${indent}/** ${text} */\n` : ''
}

function tsType(t: TableJson, f: FieldJson): string {
  if (f.enum) return pascal(f.enum)
  if (f.type in TS_SCALAR) return TS_SCALAR[f.type]
  if (f.type === 'string') return 'string'
  if (f.type === 'array') return `${tsType(t, { name: 'item', type: f.of! })}[]`
  return pascal(f.type)
}

function fieldDoc(f: FieldJson): string | undefined {
  const parts = [f.doc, f.unit ? `(${f.unit})` : undefined, f.bitset ? `bit set of ${upper(f.bitset)}` : undefined,
    f.codes ? `a code of ${f.codes === 'errors' ? 'ERROR_CODES' : 'FAULT_CODES'}` : undefined, f.max ? `at most ${f.max} chars` : undefined]
  const s = parts.filter(Boolean).join('; ')
  return s || undefined
}

function body(t: TableJson, fields: FieldJson[]): string {
  if (fields.length === 0) return 'Record<string, never>'
  const lines = fields.map((f) => `${doc(fieldDoc(f), '  ')}  ${f.name}${f.optional ? '?' : ''}: ${tsType(t, f)}`)
  return `{\n${lines.join('\n')}\n}`
}

/** The text of types-gen.ts for a table. */
export function generateTs(t: TableJson): string {
  const out: string[] = []
  out.push('// Generated from firmware-protocol/messages.json by firmware-protocol/gen/gen-ts.ts. Do not edit;')
  out.push('// run `node --import tsx firmware-protocol/gen/gen-ts.ts` after changing the table.')
  out.push('')
  out.push(`export const PROTOCOL = {\n${Object.entries(t.protocol).map(([k, v]) => `  ${k}: ${JSON.stringify(v).replace(/"/g, "'")},`).join('\n')}\n} as const`)
  out.push('')
  for (const [name, e] of Object.entries(t.enums)) {
    out.push(`${doc(e.doc)}export type ${pascal(name)} = ${Object.keys(e.values).map((v) => `'${v}'`).join(' | ')}`)
  }
  out.push('')
  for (const [name, b] of Object.entries(t.bitsets)) {
    const entries = Object.entries(b.bits).map(([k, bit]) => `'${k}': ${2 ** bit}`).join(', ')
    out.push(`${doc(`${b.doc ?? ''} Bit masks.`.trim())}export const ${upper(name)} = { ${entries} } as const`)
  }
  out.push('')
  for (const [name, s] of Object.entries(t.structs)) {
    out.push(`${doc(s.doc)}export interface ${pascal(name)} ${body(t, s.fields)}`)
  }
  out.push('')
  for (const m of t.messages) {
    const text = body(t, m.fields)
    const head = doc(`${m.name} (0x${m.id.toString(16).padStart(2, '0')}, ${m.kind}, ${m.dir})${m.doc ? `: ${m.doc}` : ''}`)
    out.push(m.fields.length === 0 ? `${head}export type ${pascal(m.name)}Body = ${text}` : `${head}export interface ${pascal(m.name)}Body ${text}`)
  }
  out.push('')
  out.push('/** Body type of each message, by name. */')
  out.push(`export interface MessageBodies {\n${t.messages.map((m) => `  ${m.name}: ${pascal(m.name)}Body`).join('\n')}\n}`)
  out.push('export type MessageName = keyof MessageBodies')
  const names = (pred: (m: TableJson['messages'][number]) => boolean): string =>
    t.messages.filter(pred).map((m) => `'${m.name}'`).join(' | ')
  out.push('/** Messages the host sends (and the board accepts). */')
  out.push(`export type HostToBoardName = ${names((m) => m.dir !== 'board-to-host')}`)
  out.push('/** Messages the board sends (and the host accepts). */')
  out.push(`export type BoardToHostName = ${names((m) => m.dir !== 'host-to-board')}`)
  out.push('/** Messages that expect exactly one reply (or NACK). */')
  out.push(`export type CommandName = ${names((m) => m.kind === 'command')}`)
  out.push('')
  out.push(`export const MESSAGE_IDS = {\n${t.messages.map((m) => `  ${m.name}: 0x${m.id.toString(16).padStart(2, '0')},`).join('\n')}\n} as const`)
  out.push('')
  out.push('/** NACK codes (SPEC section 8). */')
  out.push(`export const ERROR_CODES = {\n${t.errors.map((e) => `  ${e.name}: ${e.code},`).join('\n')}\n} as const`)
  out.push('export type ErrorName = keyof typeof ERROR_CODES')
  out.push('/** FAULT codes (SPEC section 8). */')
  out.push(`export const FAULT_CODES = {\n${t.faults.map((e) => `  ${e.name}: ${e.code},`).join('\n')}\n} as const`)
  out.push('export type FaultName = keyof typeof FAULT_CODES')
  out.push('')
  return out.join('\n')
}

/** Where the generated file lives. */
export const TS_OUT = fileURLToPath(new URL('../ts/types-gen.ts', import.meta.url))

if (isMain(import.meta.url)) {
  writeFileSync(TS_OUT, generateTs(TABLE))
  console.log(`wrote ${TS_OUT}`)
}
