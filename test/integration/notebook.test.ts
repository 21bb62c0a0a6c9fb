// A notebook user's session in Python (requests) against the real daemon process.
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { spawnDaemon, tempDir, type DaemonProcess } from '../support/daemon.ts'

const PY = '/usr/bin/python3'
const SCRIPT = fileURLToPath(new URL('../../examples/notebook.py', import.meta.url))
const hasRequests = spawnSync(PY, ['-c', 'import requests']).status === 0

describe('notebook client (Python)', () => {
  let d: DaemonProcess | undefined
  after(() => { if (d && d.child.exitCode === null) d.child.kill('SIGKILL') })

  it('attaches a lattice, starts a run, polls it, reads metrics (JSON and CSV) and a grid snapshot', { skip: hasRequests ? false : `${PY} has no requests module (Debian python3-requests; .ci/run installs it)` }, async () => {
    d = await spawnDaemon(['--data-dir', tempDir('notebook')])
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(PY, [SCRIPT, d!.url], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
    })
    assert.equal(r.code, 0, r.stderr + r.stdout)
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
    assert.equal(out.state, 'done')
    assert.equal(out.epochs, 6)
    assert.equal(out.batch_rows, 48)
    assert.deepEqual(out.grid, [4, 4])
    assert.ok(out.test_accuracy >= 0 && out.test_accuracy <= 1)
    assert.ok(out.polls >= 1)
    d.child.kill('SIGTERM')
    assert.equal(await d.exited, 0)
  })
})
