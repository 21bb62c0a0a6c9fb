import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'eqprop-fleet-'))

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

describe('eqprop-hil train --fleet', () => {
  const iris = ['train', '--task', 'iris', '--network', 'layered:4,6,3', '--optimiser', 'adam', '--lr', '0.02', '--epochs', '3', '--eval-every', '0', '--json', '--seed', '4']

  it('trains on 3 simulated boards to the same network as on one', async () => {
    const one = await run([...iris, '--out', join(dir, 'one.json')])
    const three = await run([...iris, '--fleet', '3', '--out', join(dir, 'three.json')])
    assert.equal(one.code, 0, one.stderr)
    assert.equal(three.code, 0, three.stderr)
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'three.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'one.json'), 'utf8')))
  })

  it('with per-board variation the boards differ, and the run still completes', async () => {
    const r = await run([...iris, '--fleet', '2', '--variation', '0.05', '--out', join(dir, 'var.json')])
    assert.equal(r.code, 0, r.stderr)
    const ref = JSON.parse(readFileSync(join(dir, 'one.json'), 'utf8'))
    assert.notDeepEqual(JSON.parse(readFileSync(join(dir, 'var.json'), 'utf8')).weights, ref.weights)
  })

  it('refuses --fleet with --workers (exit 2, naming the flags)', async () => {
    const r = await run([...iris, '--fleet', '2', '--workers', '2'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--fleet .*--workers/)
  })
})
