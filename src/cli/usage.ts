// Turning argv into typed options, with mistakes reported as usage errors (exit code 2).
import { parseArgs, type ParseArgsConfig } from 'node:util'

/** A mistake in how the command was called; the CLI prints it and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** parseArgs in strict mode, with its errors turned into UsageErrors. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

/** A numeric flag: absent gives the default; anything not a finite number in range is a usage error. */
export function num(v: string | undefined, flag: string, def: number, opts: { int?: boolean; min?: number; max?: number; gt?: number } = {}): number {
  if (v === undefined) return def
  const x = Number(v)
  if (v.trim() === '' || !Number.isFinite(x)) throw new UsageError(`--${flag}: '${v}' is not a number`)
  if (opts.int && !Number.isInteger(x)) throw new UsageError(`--${flag}: '${v}' is not a whole number`)
  if (opts.min !== undefined && x < opts.min) throw new UsageError(`--${flag}: ${x} is below the minimum ${opts.min}`)
  if (opts.gt !== undefined && !(x > opts.gt)) throw new UsageError(`--${flag}: ${x} must be greater than ${opts.gt}`)
  if (opts.max !== undefined && x > opts.max) throw new UsageError(`--${flag}: ${x} is above the maximum ${opts.max}`)
  return x
}

/** An enumerated flag. */
export function oneOf<T extends string>(v: string | undefined, flag: string, allowed: readonly T[], def: T): T {
  if (v === undefined) return def
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${flag}: '${v}' is not one of ${allowed.join(', ')}`)
  return v as T
}

/** A flag that must be given. */
export function required(v: string | undefined, flag: string): string {
  if (v === undefined || v === '') throw new UsageError(`--${flag} is required`)
  return v
}
