// The normal case prints nothing on stderr beyond the run's own progress: the dense-kernel backend only
// when it can matter (or with --verbose), and never the reason a faster backend was skipped unless asked.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { kernelsWorthSaying } from '../../src/services/kernels.ts'

const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))
const out = join(mkdtempSync(join(tmpdir(), 'eqp-quiet-')), 'net.json')

function train(extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env }
  delete env.EQP_TF_BACKEND
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'train', '--task', 'xor', '--network', 'all-to-all:4', '--epochs', '2', '--out', out, ...extra], { timeout: 60_000, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

describe('train on stderr', () => {
  it('a small run does not mention the dense kernels', async () => {
    const r = await train([])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /dense kernels|ERR_MODULE_NOT_FOUND/)
    assert.match(r.stdout, /test accuracy/)
  })

  it('--verbose names the backend', async () => {
    const r = await train(['--verbose'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /^dense kernels: (node|wasm|cpu|typed-array)/m)
  })

  it('the line is worth saying only where the dense path may run', () => {
    assert.equal(kernelsWorthSaying({ verbose: false, couplings: 15 }), false)
    assert.equal(kernelsWorthSaying({ verbose: false, couplings: 79_400 }), true)
    assert.equal(kernelsWorthSaying({ verbose: false, kernel: 'typed', couplings: 79_400 }), false)
    assert.equal(kernelsWorthSaying({ verbose: false, kernel: 'dense', couplings: 15 }), true)
    assert.equal(kernelsWorthSaying({ verbose: true, kernel: 'typed', couplings: 15 }), true)
  })
})
