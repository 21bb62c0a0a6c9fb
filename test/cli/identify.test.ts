import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { main } from '../../src/cli/main.ts'
import { Network } from '../../src/core/network/network.ts'
import { tempDir } from '../support/daemon.ts'

/** The CLI in this process (no start-up cost), its text on stdout and stderr captured; the test runner's own
 *  (binary) reports on stdout pass through. */
async function runHere(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [], err: string[] = []
  const w1 = process.stdout.write, w2 = process.stderr.write
  process.stdout.write = ((c: string | Uint8Array, ...rest: never[]) => typeof c === 'string' ? (out.push(c), true) : w1.call(process.stdout, c, ...rest)) as typeof process.stdout.write
  process.stderr.write = ((c: string | Uint8Array) => { err.push(String(c)); return true }) as typeof process.stderr.write
  try {
    return { code: await main(args), stdout: out.join(''), stderr: err.join('') }
  } finally {
    process.stdout.write = w1
    process.stderr.write = w2
  }
}

describe('eqprop-hil identify and train --pretrain twin', () => {
  const out = tempDir('identify')
  const board = ['--task', 'xor', '--network', 'all-to-all:6:std=0.7:bias=random', '--solver', 'fire-newton', '--variation', '0.2', '--device-seed', '3']

  it('writes a twin network the simulator accepts, and checks the fit against the simulated board', async () => {
    const r = await runHere(['identify', ...board, '--samples', '32', '--json', '--out', `${out}/twin.json`, '--report', `${out}/fit.json`])
    assert.equal(r.code, 0, r.stderr)
    const s = JSON.parse(r.stdout)
    assert.equal(s.relaxations, 3 * 2 * 32)
    assert.equal(s.couplings, 14)
    assert.ok(s.truth.rmsError < 1e-4 && s.truth.rmsDeviation > 0.05, JSON.stringify(s.truth))
    const twin = Network.parse(JSON.parse(readFileSync(`${out}/twin.json`, 'utf8')))
    assert.equal(twin.edges.length, 15)
    const fit = JSON.parse(readFileSync(`${out}/fit.json`, 'utf8'))
    assert.equal(fit.couplings.length, 15)
    assert.ok(fit.couplings[1].gainSigma > 0)
  })

  it('trains XOR through the twin and reports the board relaxations of each stage', async () => {
    const r = await runHere(['train', ...board, '--m-init', '5', '--epochs', '300', '--stop-at-d', '0.01', '--eval-every', '0', '--pretrain', 'twin', '--twin-samples', '32', '--json', '--out', `${out}/xor.json`])
    assert.equal(r.code, 0, r.stderr)
    const s = JSON.parse(r.stdout)
    assert.equal(s.twin.board_relaxations.identify, 192)
    assert.equal(s.relaxations, s.twin.board_relaxations.identify + s.twin.board_relaxations.fineTune)
    assert.equal(s.test.accuracy, 1)
  })

  it('exits 2 naming the flag on bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['identify', ...board, '--model', 'affine', '--setpoint-sets', '1'], /--setpoint-sets 2 or more/],
      [['identify', ...board, '--model', 'exact'], /--model: 'exact' is not one of/],
      [['identify', ...board, '--samples', '1'], /24 equations for 36 unknowns/],
      [['identify', '--task', 'xor', '--network', 'all-to-all:6', '--substrate', 'oim'], /Unknown option '--substrate'/],
      [['train', ...board, '--twin-epochs', '5'], /go with --pretrain twin/],
      [['train', ...board, '--pretrain', 'twin', '--fleet', '2'], /not with --fleet/],
    ]
    for (const [args, want] of cases) {
      const r = await runHere(args)
      assert.equal(r.code, 2, args.join(' '))
      assert.match(r.stderr, want)
    }
  })
})
