// A daemon that cannot take its ports must say so in one line and exit 2, not print a stack and hang.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))

/** Runs the CLI; a run that has not ended after 30 s is killed and reported as signal SIGTERM (a hang). */
function run(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 30_000, env: { ...process.env, EQP_LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.signal ?? (typeof err.code === 'number' ? err.code : 1)) : 0, stdout, stderr })
    })
  })
}

/** A plain TCP listener on a free loopback port, standing in for a broker or a daemon already there. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.destroy())
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { port: (server.address() as AddressInfo).port, server }
}

describe('serve with a port in use', () => {
  it('--mqtt-embedded on a taken broker port exits 2 with one line naming the code', async () => {
    const { port, server } = await occupy()
    try {
      const r = await run(['serve', '--mqtt-embedded', '--mqtt-port', String(port), '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'eqp-serve-'))])
      assert.equal(r.code, 2, r.stderr)
      const lines = r.stderr.trim().split('\n')
      assert.equal(lines.length, 1, r.stderr)
      assert.match(lines[0], /^eqprop-hil serve: EQP_ERR_MQTT_CONNECT: .*in use/)
      assert.equal(r.stdout, '')
    } finally { server.close() }
  })

  it('a taken HTTP port exits 2 with one line naming the port', async () => {
    const { port, server } = await occupy()
    try {
      const r = await run(['serve', '--port', String(port), '--data-dir', mkdtempSync(join(tmpdir(), 'eqp-serve-'))])
      assert.equal(r.code, 2, r.stderr)
      const lines = r.stderr.trim().split('\n')
      assert.equal(lines.length, 1, r.stderr)
      assert.match(lines[0], new RegExp(`^eqprop-hil serve: EQP_ERR_BAD_INPUT: port: 127\\.0\\.0\\.1:${port} is in use`))
    } finally { server.close() }
  })
})
