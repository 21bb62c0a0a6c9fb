// The Python client (clients/python, package eqprop_hil) against a real daemon process: its unittest
// suite, then the example notebook's code cells, run under Debian's /usr/bin/python3 with requests
// (pandas and matplotlib when installed).
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { spawnDaemon, tempDir, type DaemonProcess } from '../support/daemon.ts'

const PY = '/usr/bin/python3'
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLIENT = fileURLToPath(new URL('../../clients/python', import.meta.url))
const NOTEBOOK = fileURLToPath(new URL('../../examples/notebook.ipynb', import.meta.url))
const has = (m: string) => spawnSync(PY, ['-c', `import ${m}`]).status === 0
const hasRequests = has('requests')
const skip = hasRequests ? false : `${PY} has no requests module (Debian python3-requests; .ci/run installs it)`
const TOKEN = 'py-client-secret'

interface Cell { cell_type: string; source: string[]; id?: string; outputs?: unknown[] }

function python(args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PY, args, { cwd: opts.cwd, timeout: 240_000, env: { ...process.env, MPLBACKEND: 'Agg', PYTHONDONTWRITEBYTECODE: '1', ...opts.env } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

describe('Python client (eqprop_hil) against the daemon', () => {
  let d: DaemonProcess | undefined
  before(async () => { if (hasRequests) d = await spawnDaemon(['--data-dir', tempDir('pyclient'), '--token', `py=${TOKEN}`]) })
  after(async () => {
    if (!d || d.child.exitCode !== null) return
    d.child.kill('SIGTERM')
    assert.equal(await d.exited, 0)
  })

  it('passes its unittest suite: devices, datasets (rows, CSV, DataFrame), runs, SSE resume, metrics, plot, token', { skip }, async () => {
    const r = await python(['-m', 'unittest', 'discover', '-s', 'tests', '-v'], { cwd: CLIENT, env: { EQP_URL: d!.url, EQP_TOKEN: TOKEN } })
    // unittest reports on stderr: "Ran N tests", then "OK" or "OK (skipped=K)"
    assert.equal(r.code, 0, r.stderr + r.stdout)
    const ran = /^Ran (\d+) tests?/m.exec(r.stderr)
    assert.ok(ran && Number(ran[1]) >= 19, r.stderr)
    const skipped = Number(/skipped=(\d+)/.exec(r.stderr)?.[1] ?? 0)
    // only the pandas test may be skipped, and only where pandas is missing
    assert.equal(skipped, has('pandas') ? 0 : 1, r.stderr)
  })

  it('examples/notebook.ipynb is nbformat 4 JSON whose code cells run top to bottom against the daemon', { skip }, async () => {
    const nb = JSON.parse(readFileSync(NOTEBOOK, 'utf8')) as { nbformat: number; nbformat_minor: number; metadata: { kernelspec?: { language: string } }; cells: Cell[] }
    assert.equal(nb.nbformat, 4)
    assert.ok(nb.nbformat_minor >= 5, 'cell ids need nbformat 4.5')
    assert.equal(nb.metadata.kernelspec?.language, 'python')
    const ids = new Set<string>()
    for (const c of nb.cells) {
      assert.ok(['markdown', 'code'].includes(c.cell_type), c.cell_type)
      assert.ok(Array.isArray(c.source) && c.source.every((l) => typeof l === 'string'))
      assert.ok(c.id && /^[A-Za-z0-9_-]{1,64}$/.test(c.id) && !ids.has(c.id), `cell id ${c.id}`)
      ids.add(c.id)
      if (c.cell_type === 'code') assert.deepEqual(c.outputs, [], 'committed without outputs')
    }
    const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join('')).join('\n\n')
    assert.doesNotMatch(code, /^\s*[%!]/m, 'no IPython magics: the cells are plain Python')
    const r = await python(['-c', code], { cwd: ROOT, env: { EQP_URL: d!.url, EQP_TOKEN: TOKEN } })
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.match(r.stdout, /^400 EQP_ERR_BAD_INPUT body\.lr: /m)
    assert.match(r.stdout, /^epoch 12 {2}D /m)
    assert.match(r.stdout, /^state -> done$/m)
    assert.match(r.stdout, /^paused -> running -> cancelled$/m)
  })
})
