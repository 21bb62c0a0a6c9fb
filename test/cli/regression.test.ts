// train and eval on a CSV file with a numeric target (--regression): R^2 and MSE reported, eval measures
// the same; --regression on a dataset name exits 2 naming --task.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { BIN, tempDir } from '../support/daemon.ts'

const dir = tempDir('regression-cli')
const SURFACE = join(import.meta.dirname, '../../examples/datasets/surface.csv')

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000, env: { ...process.env, EQP_DATA_DIR: join(dir, 'no-daemon') } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

describe('train --regression on a CSV file', () => {
  it('fits examples/datasets/surface.csv to test R^2 > 0.8, and eval measures the same', async () => {
    const out = join(dir, 'surface.json')
    const r = await run(['train', '--task', SURFACE, '--regression', '--network', 'layered:2,8,1', '--epochs', '60', '--batch', '16', '--optimiser', 'adam', '--lr', '0.02',
      '--seed', '1', '--eval-every', '0', '--out', out, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const s = JSON.parse(r.stdout)
    assert.equal(s.task, 'surface')
    assert.ok(s.test.r2 > 0.8, `test R^2 ${s.test.r2}`)
    assert.ok(s.train.r2 > 0.8, `train R^2 ${s.train.r2}`)
    const e = await run(['eval', '--network', out, '--task', SURFACE, '--regression', '--data-seed', '1', '--seed', '1', '--json'])
    assert.equal(e.code, 0, e.stderr)
    const m = JSON.parse(e.stdout)
    assert.equal(m.samples, 13)
    // eval starts its relaxations from other random phases than train's last evaluation: the same
    // equilibria, to the solver's tolerance
    assert.ok(Math.abs(m.r2 - s.test.r2) < 1e-4 && Math.abs(m.mse - s.test.mse) < 1e-4, `${JSON.stringify(m)} vs ${JSON.stringify(s.test)}`)
  })

  it('refuses --regression for a task that is not a CSV file, naming --task', async () => {
    const r = await run(['train', '--task', 'iris', '--regression', '--network', 'layered:4,4,3', '--epochs', '1'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--task.*regression are set for CSV files only/)
  })
})
