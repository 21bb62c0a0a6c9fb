// Shared by the firmware-protocol tests: hex helpers and the frozen vectors (read, never regenerated).
import { readFileSync } from 'node:fs'

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
export const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

/** One of firmware-protocol/vectors/*.json. */
export function readVectors<T = any>(name: string): T {   // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(readFileSync(new URL(`../../firmware-protocol/vectors/${name}`, import.meta.url), 'utf8')) as T
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
