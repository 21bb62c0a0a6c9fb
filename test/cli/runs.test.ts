// `eqprop-hil runs ...` against a daemon (in this process), through the real CLI binary.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { BIN, call, inProcessDaemon } from '../support/daemon.ts'

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'runs', ...args], { timeout: 60_000, env: { ...process.env, EQP_URL: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

describe('eqprop-hil runs', () => {
  let d: Daemon
  before(async () => {
    d = await inProcessDaemon()
    assert.equal((await call(d.url, 'POST', '/devices', { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 })).status, 201)
  })
  after(async () => { await d.close() })

  it('creates a run, watches it to the end, lists it and prints its metrics as CSV', async () => {
    const c = await cli(['create', '--url', d.url, '--device', 'dev-1', '--task', 'iris', '--epochs', '3', '--seed', '1', '--optimiser', 'adam', '--lr', '0.02', '--label', 'cli', '--json'])
    assert.equal(c.code, 0, c.stderr)
    const run = JSON.parse(c.stdout)
    assert.equal(run.id, 'run-1')
    assert.equal(run.client, 'cli')
    assert.equal(run.config.lr, 0.02)
    const w = await cli(['watch', 'run-1', '--url', d.url])
    assert.equal(w.code, 0, w.stderr)
    assert.match(w.stdout, /state -> running/)
    assert.match(w.stdout, /^epoch 3: D /m)
    assert.match(w.stdout, /state -> done\n$/)
    const l = await cli(['list', '--url', d.url, '--state', 'done'])
    assert.equal(l.code, 0, l.stderr)
    assert.match(l.stdout, /^run-1\s+done\s+dev-1\s+iris\s+epoch 3\/3 .*cli$/m)
    const m = await cli(['metrics', 'run-1', '--url', d.url, '--kind', 'epoch', '--csv'])
    assert.equal(m.code, 0, m.stderr)
    const lines = m.stdout.trim().split('\n')
    assert.equal(lines.length, 4)
    assert.match(lines[3], /^epoch,3,,24,/)
  })

  it('checks a run with the daemon\'s schema before sending it (exit 2, field named)', async () => {
    const r = await cli(['create', '--url', d.url, '--device', 'dev-1', '--task', 'iris', '--set', '{"mInit": 0}'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /run\.mInit/)
    assert.equal((await d.services.runs.list()).length, 1, 'nothing was sent')
  })

  it('prints the daemon\'s error code for an unknown run (exit 2) and names an unreachable daemon (exit 1)', async () => {
    const r = await cli(['show', 'run-99', '--url', d.url])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /EQP_ERR_RUN_NOT_FOUND: run 'run-99' does not exist/)
    // a port that was free a moment ago
    const srv = createServer()
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
    const port = (srv.address() as AddressInfo).port
    await new Promise((resolve) => srv.close(resolve))
    const u = await cli(['list', '--url', `http://127.0.0.1:${port}`])
    assert.equal(u.code, 1)
    assert.match(u.stderr, new RegExp(`EQP_ERR_DAEMON_UNREACHABLE: no daemon at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`))
  })
})
