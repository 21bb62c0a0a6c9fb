// Turning zod issues into one line per problem that names the field, for HTTP bodies and CLI files.
import type { z } from 'zod'
import { EqpError } from '../errors.ts'

/** The parts of a zod issue the formatter reads (raw issues and fastify's copies both fit). */
export interface IssueLike {
  code: string
  path: readonly PropertyKey[]
  message: string
  keys?: readonly string[]
  errors?: readonly (readonly IssueLike[])[]
}

const join = (prefix: string, path: readonly PropertyKey[]) =>
  [prefix, ...path.map(String)].filter((s) => s !== '').join('.') || '(root)'

/** Whether a union branch failed only because the value is not even of its type. */
const typeMismatch = (branch: readonly IssueLike[]) =>
  branch.length === 1 && branch[0].path.length === 0 && (branch[0].code === 'invalid_type' || branch[0].code === 'invalid_union')

/** `field.path: reason` lines; union failures are reported from the branch the value was meant for. */
export function issueLines(issues: readonly IssueLike[], prefix = ''): string[] {
  const out: string[] = []
  for (const i of issues) {
    const at = join(prefix, i.path)
    if (i.code === 'unrecognized_keys' && i.keys?.length) {
      for (const k of i.keys) out.push(`${join(at === '(root)' ? '' : at, [k])}: unknown field`)
    } else if (i.code === 'invalid_union' && i.errors?.length) {
      const meant = i.errors.filter((b) => !typeMismatch(b))
      if (meant.length === 1) out.push(...issueLines(meant[0], at === '(root)' ? '' : at))
      else out.push(`${at}: ${i.message.replace(/^Invalid input$/, 'does not match any accepted form')}`)
    } else {
      out.push(`${at}: ${i.message.replace(/^Invalid input: /, '')}`)
    }
  }
  return out
}

/** Parses value with schema; on failure throws EQP_ERR_BAD_INPUT whose message names each field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const r = schema.safeParse(value)
  if (!r.success) {
    const lines = issueLines(r.error.issues as unknown as IssueLike[], prefix)
    throw new EqpError('EQP_ERR_BAD_INPUT', [lines[0].split(':')[0], lines.map((l, k) => (k === 0 ? l.slice(l.indexOf(':') + 2) : l)).join('; ')])
  }
  return r.data
}
