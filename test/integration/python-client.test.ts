// The Python client (clients/python, package eqprop_hil) against a real daemon process: its unittest
// suite runs under Debian's /usr/bin/python3 with requests (pandas and matplotlib when installed).
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { spawnDaemon, tempDir, type DaemonProcess } from '../support/daemon.ts'

const PY = '/usr/bin/python3'
const CLIENT = fileURLToPath(new URL('../../clients/python', import.meta.url))
const has = (m: string) => spawnSync(PY, ['-c', `import ${m}`]).status === 0
const hasRequests = has('requests')
const TOKEN = 'py-client-secret'

describe('Python client (eqprop_hil) against the daemon', () => {
  let d: DaemonProcess | undefined
  after(() => { if (d && d.child.exitCode === null) d.child.kill('SIGKILL') })

  it('passes its unittest suite: devices, datasets (rows, CSV, DataFrame), runs, SSE resume, metrics, plot, token', { skip: hasRequests ? false : `${PY} has no requests module (Debian python3-requests; .ci/run installs it)` }, async () => {
    d = await spawnDaemon(['--data-dir', tempDir('pyclient'), '--token', `py=${TOKEN}`])
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(PY, ['-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
        cwd: CLIENT, timeout: 240_000,
        env: { ...process.env, EQP_URL: d!.url, EQP_TOKEN: TOKEN, MPLBACKEND: 'Agg', PYTHONDONTWRITEBYTECODE: '1' },
      }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
    })
    // unittest reports on stderr: "Ran N tests", then "OK" or "OK (skipped=K)"
    assert.equal(r.code, 0, r.stderr + r.stdout)
    const ran = /^Ran (\d+) tests?/m.exec(r.stderr)
    assert.ok(ran && Number(ran[1]) >= 19, r.stderr)
    const skipped = Number(/skipped=(\d+)/.exec(r.stderr)?.[1] ?? 0)
    // only the pandas test may be skipped, and only where pandas is missing
    assert.equal(skipped, has('pandas') ? 0 : 1, r.stderr)
    assert.doesNotMatch(r.stderr, /EQP_URL is not set/)
    d.child.kill('SIGTERM')
    assert.equal(await d.exited, 0)
  })
})
