// eqprop-hil grad: exact gradient vs every EqProp estimator on the user's own network and sample.
import { readFileSync } from 'node:fs'
import { formatIssues } from '../../core/network/network.ts'
import { EqpError } from '../../errors.ts'
import { GradSample, gradCheck, gradientAgreement, type GradReport } from '../../services/grad-check.ts'
import { readNetworkFile } from '../../services/networks.ts'
import { num, parseFlags, required } from '../usage.ts'

export const GRAD_HELP = `eqprop-hil grad --network FILE.json --sample FILE.json [--beta B] [--seed S] [--json]
  sample file: {"x":[input phases],"target":[output target phases]} (rad)
  Prints the cost at the free equilibrium and, per EqProp estimator, how far its gradient is from the
  exact one (relative error, cosine, largest difference), over couplings, h and psi together.
  --json prints one JSON object instead: {"free":[...],"cost":C,"exact":G,"estimators":{"one-sided":G,"symmetric":G,
  "frozen-nudge":G,"richardson":G}}, each G = {"weights":[per edge],"h":[N],"psi":[N]}, the gradient of C.`

export async function gradCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, { network: { type: 'string' }, sample: { type: 'string' }, beta: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } })
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
  if (f.json) process.stdout.write(JSON.stringify({ free, cost, exact, estimators, beta: report.beta, seed: report.seed }) + '\n')
  else process.stdout.write(gradTable(report, network.nodes, network.edges.length))
  return 0
}

/** The report as text: the free equilibrium's cost, then one row per estimator. */
function gradTable(r: GradReport, nodes: number, couplings: number): string {
  const norm = Math.hypot(...r.exact.weights, ...r.exact.h, ...r.exact.psi)
  const lines = [
    `${nodes} nodes, ${couplings} couplings; beta ${r.beta}; free equilibrium from random start seed ${r.seed}`,
    `cost C ${r.cost.toExponential(4)}; exact gradient norm ${norm.toExponential(3)} (couplings, h, psi)`,
    '',
    `${'estimator'.padEnd(14)}${'rel. error'.padStart(12)}${'cosine'.padStart(12)}${'max |diff|'.padStart(12)}`,
  ]
  for (const [name, g] of Object.entries(r.estimators)) {
    const a = gradientAgreement(r.exact, g)
    lines.push(`${name.padEnd(14)}${a.relError.toExponential(2).padStart(12)}${a.cosine.toFixed(6).padStart(12)}${a.maxAbsError.toExponential(2).padStart(12)}`)
  }
  return lines.join('\n') + '\n'
}
