// Turning what a user gives (a builder spec, a builder string, or a network JSON file) into a Network.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { formatIssues, Network } from '../core/network/network.ts'
import { BuilderSpec, buildNetwork, parseBuilderString, type IoCounts } from '../core/topology/index.ts'
import { EqpError } from '../errors.ts'

/** A network as a user may name it: a full description, or a builder spec. */
export const NetworkRef = z.union([Network, BuilderSpec])
export type NetworkRef = z.infer<typeof NetworkRef>

/** Parses JSON text as a network description; errors name the file and the field. */
export function parseNetworkJson(text: string, where: string): Network {
  let raw: unknown
  try { raw = JSON.parse(text) } catch (e) { throw new EqpError('EQP_ERR_BAD_INPUT', [where, `not valid JSON (${(e as Error).message})`]) }
  const r = Network.safeParse(raw)
  if (!r.success) throw new EqpError('EQP_ERR_BAD_INPUT', [where, formatIssues(r.error)])
  return r.data
}

/** Reads a network description file. */
export function readNetworkFile(path: string): Network {
  let text: string
  try { text = readFileSync(path, 'utf8') } catch (e) { throw new EqpError('EQP_ERR_FILE_READ', [path, (e as NodeJS.ErrnoException).code ?? String(e)]) }
  return parseNetworkJson(text, path)
}

/** A network from a CLI argument: a path to a .json file, or a builder string such as `lattice:5x5`. */
export function networkFromArg(arg: string, io: IoCounts, seed: number): Network {
  if (arg.endsWith('.json')) return readNetworkFile(arg)
  try {
    return buildNetwork(parseBuilderString(arg), io, seed)
  } catch (e) {
    if (e instanceof RangeError) throw new EqpError('EQP_ERR_BAD_INPUT', ['--network', e.message])
    throw e
  }
}

/** A network from a reference (description or builder spec). */
export function networkFromRef(ref: NetworkRef, io: IoCounts, seed: number): Network {
  if ('model' in ref) return ref
  try {
    return buildNetwork(ref, io, seed)
  } catch (e) {
    if (e instanceof RangeError) throw new EqpError('EQP_ERR_BAD_INPUT', ['network', e.message])
    throw e
  }
}
