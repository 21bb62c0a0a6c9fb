import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Network } from '../../src/core/network/network.ts'

const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'eqprop-substrate-'))

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

describe('eqprop-hil train --substrate', () => {
  const iris = ['--task', 'iris', '--network', 'all-to-all:12:std=0.5', '--estimator', 'symmetric', '--beta', '1', '--optimiser', 'adam', '--lr', '0.02', '--eval-every', '0', '--json']

  it('trains an OIM and writes a network of model oim, which a second run picks up from the file', async () => {
    const out = join(dir, 'iris-oim.json')
    const r = await run(['train', ...iris, '--substrate', 'oim', '--epochs', '20', '--out', out])
    assert.equal(r.code, 0, r.stderr)
    const summary = JSON.parse(r.stdout)
    assert.ok(summary.test.accuracy >= 0.6, `test accuracy ${summary.test.accuracy} (chance 0.33)`)
    const net = Network.parse(JSON.parse(readFileSync(out, 'utf8')))
    assert.equal(net.model, 'oim')
    assert.equal(net.shil?.length, 12)
    // the file's model selects the substrate without the flag
    const again = await run(['train', ...iris.map((a) => (a === 'all-to-all:12:std=0.5' ? out : a)), '--epochs', '1', '--out', join(dir, 'again.json')])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8')).model, 'oim')
  })

  it('refuses an unknown substrate with exit code 2, listing the known ones', async () => {
    const r = await run(['train', '--task', 'xor', '--network', 'all-to-all:6', '--substrate', 'hopfield', '--epochs', '1'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--substrate: 'hopfield' is not one of xy, oim, resistor, ising/)
  })
})

describe('eqprop-hil train --input-values', () => {
  it('writes the mapping into the trained network of a value model, and refuses it for XY or a bad value with exit code 2', async () => {
    const out = join(dir, 'iris-unit.json')
    const r = await run(['train', '--task', 'iris', '--network', 'layered:4,6,3', '--substrate', 'resistor', '--input-values', 'unit', '--epochs', '1', '--eval-every', '0', '--out', out, '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(Network.parse(JSON.parse(readFileSync(out, 'utf8'))).inputValues, 'unit')
    const xy = await run(['train', '--task', 'iris', '--network', 'layered:4,6,3', '--input-values', 'unit', '--epochs', '1'])
    assert.equal(xy.code, 2)
    assert.match(xy.stderr, /--input-values: an XY network clamps phases/)
    const bad = await run(['train', '--task', 'iris', '--network', 'layered:4,6,3', '--substrate', 'oim', '--input-values', 'positive', '--epochs', '1'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--input-values: 'positive' is not one of signed, unit/)
  })
})

describe('eqprop-hil train --substrate ising --copies K', () => {
  it('trains an Ising network whose outputs have K spins each, and refuses --copies for another model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eqp-ising-'))
    const out = join(dir, 'ising.json')
    const r = await run(['train', '--task', 'iris', '--network', 'layered:4,8,3', '--substrate', 'ising', '--copies', '2', '--beta', '5', '--epochs', '2', '--eval-every', '0', '--out', out, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const net = JSON.parse(readFileSync(out, 'utf8'))
    assert.equal(net.model, 'ising')
    assert.equal(net.nodes, 4 + 8 + 3 * 2)
    assert.equal(net.replicas.length, 3)
    const bad = await run(['train', '--task', 'xor', '--network', 'all-to-all:6', '--copies', '2', '--epochs', '1'])
    assert.equal(bad.code, 2)
  })

  it('takes the anneal schedule from flags: sweeps and reads scale the sweep count, and other models refuse them', async () => {
    const base = ['train', '--task', 'iris', '--network', 'layered:4,8,3', '--substrate', 'ising', '--beta', '5', '--epochs', '1', '--eval-every', '0', '--json', '--out', join(dir, 'anneal.json')]
    const sweeps = async (...extra: string[]) => {
      const r = await run([...base, ...extra])
      assert.equal(r.code, 0, r.stderr)
      return JSON.parse(r.stdout).force_evals as number
    }
    const s20 = await sweeps('--sweeps', '20'), s40 = await sweeps('--sweeps', '40'), r2 = await sweeps('--sweeps', '20', '--reads', '2')
    // forward anneals take S sweeps and reverse anneals 2 (S - 1 - p): about twice the sweeps for 2S or for 2 reads
    assert.ok(s40 / s20 > 1.9 && s40 / s20 < 2.2, `${s40} / ${s20}`)
    assert.equal(r2, 2 * s20)
    const xy = await run(['train', '--task', 'iris', '--network', 'layered:4,8,3', '--reads', '2', '--epochs', '1'])
    assert.equal(xy.code, 2)
    assert.match(xy.stderr, /--reads sets the anneal schedule of an Ising network/)
    const bad = await run([...base, '--anneal-schedule', 'cubic'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--anneal-schedule: 'cubic' is not one of geometric, linear/)
  })
})
