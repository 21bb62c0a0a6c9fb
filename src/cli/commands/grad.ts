// eqprop-hil grad: exact gradient vs every EqProp estimator on the user's own network and sample.
import { readFileSync } from 'node:fs'
import { formatIssues } from '../../core/network/network.ts'
import { EqpError } from '../../errors.ts'
import { GradSample, gradCheck } from '../../services/grad-check.ts'
import { readNetworkFile } from '../../services/networks.ts'
import { num, parseFlags, required } from '../usage.ts'

export const GRAD_HELP = `eqprop-hil grad --network FILE.json --sample FILE.json [--beta B] [--seed S]
  sample file: {"x":[input phases],"target":[output target phases]} (rad)
  Prints one JSON object: {"free":[...],"cost":C,"exact":G,"estimators":{"one-sided":G,"symmetric":G,
  "frozen-nudge":G,"richardson":G}}, each G = {"weights":[per edge],"h":[N],"psi":[N]}, the gradient of C.`

export async function gradCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, { network: { type: 'string' }, sample: { type: 'string' }, beta: { type: 'string' }, seed: { type: 'string' } })
  const network = readNetworkFile(required(f.network, 'network'))
  const path = required(f.sample, 'sample')
  let raw: unknown
  try { raw = JSON.parse(readFileSync(path, 'utf8')) } catch (e) {
    const err = e as NodeJS.ErrnoException
    throw err.code ? new EqpError('EQP_ERR_FILE_READ', [path, err.code]) : new EqpError('EQP_ERR_BAD_INPUT', [path, `not valid JSON (${err.message})`])
  }
  const s = GradSample.safeParse(raw)
  if (!s.success) throw new EqpError('EQP_ERR_BAD_INPUT', [path, formatIssues(s.error)])
  const report = await gradCheck(network, s.data, {
    beta: num(f.beta, 'beta', 1e-3, { gt: 0, max: 10 }),
    seed: num(f.seed, 'seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 }),
  })
  const { free, cost, exact, estimators } = report
  process.stdout.write(JSON.stringify({ free, cost, exact, estimators, beta: report.beta, seed: report.seed }) + '\n')
  return 0
}
