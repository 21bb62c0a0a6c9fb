// What the commands that talk to a running daemon share (runs, devices, datasets): the --url, --token
// and --json flags, an action with positional ids, and the daemon's errors as exit codes.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { EqpError } from '../errors.ts'
import { DaemonClient, DaemonError } from './daemon-client.ts'
import { UsageError } from './usage.ts'
import { issueLines, type IssueLike } from '../services/issues.ts'

export const DAEMON_FLAGS = { url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' } } as const

export const DAEMON_FLAGS_HELP = `  --url URL       daemon address (default $EQP_URL or http://127.0.0.1:8765)
  --token T       bearer token (default $EQP_TOKEN)
  --json          print the daemon's JSON answer as is`

/** Strict flag parsing that also returns the positional arguments (ids, file paths). */
export function parseAction<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true })
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

/** The one positional argument an action takes (a run or device id, a dataset name, a file). */
export function onePositional(positionals: string[], action: string, what: string): string {
  if (positionals.length !== 1) throw new UsageError(`${action} takes one ${what}${positionals.length ? ` (got ${positionals.length}: ${positionals.join(' ')})` : ''}`)
  return positionals[0]
}

/** A client for the daemon named by --url/--token, else $EQP_URL/$EQP_TOKEN, else the local default. */
export function daemonClient(f: { url?: string; token?: string }): DaemonClient {
  return new DaemonClient((f.url || process.env.EQP_URL || 'http://127.0.0.1:8765').replace(/\/$/, ''), f.token ?? process.env.EQP_TOKEN)
}

/** Prints a value on stdout: strings as they are, anything else as indented JSON. */
export function printOut(v: unknown): void {
  const s = typeof v === 'string' ? v : JSON.stringify(v, null, 2)
  process.stdout.write(s.endsWith('\n') ? s : s + '\n')
}

/** Runs an action; a daemon's error answer prints `code: message` and exits 2 (4xx) or 1 (5xx, unreachable). */
export async function withDaemonErrors(cmd: string, action: () => Promise<number>): Promise<number> {
  try {
    return await action()
  } catch (e) {
    if (e instanceof DaemonError || (e instanceof EqpError && e.code === 'EQP_ERR_DAEMON_UNREACHABLE')) {
      const status = e instanceof DaemonError ? e.status : e.statusCode
      process.stderr.write(`eqprop-hil ${cmd}: ${e.code}: ${e.message}\n`)
      return status < 500 ? 2 : 1
    }
    throw e
  }
}

/**
 * A request body built from flags, with `--set '{...}'` merged over it, checked against the daemon's
 * own schema so a mistake is a usage error (exit 2 naming the field) before anything is sent.
 */
export function checkedBody<B extends Record<string, unknown>>(body: B, set: string | undefined, schema: { safeParse(v: unknown): { success: boolean; error?: { issues: unknown[] } } }, what: string): B {
  if (set !== undefined) {
    let extra: unknown
    try { extra = JSON.parse(set) } catch (e) { throw new UsageError(`--set: not valid JSON (${(e as Error).message})`) }
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new UsageError('--set: expected a JSON object')
    Object.assign(body, extra)
  }
  const checked = schema.safeParse(body)
  if (!checked.success) throw new UsageError(issueLines(checked.error!.issues as unknown as IssueLike[], what).join('; '))
  return body
}
