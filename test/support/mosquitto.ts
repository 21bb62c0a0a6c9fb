// A private mosquitto per test file, on a free loopback port (never the system broker on 1883, which
// other sessions share): stop() and restart() are a broker crash and its return on the same port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const MOSQUITTO = '/usr/sbin/mosquitto'
/** A skip reason for node:test when mosquitto is not installed, else false. */
export const NO_MOSQUITTO: string | false = spawnSync(MOSQUITTO, ['-h']).error ? 'mosquitto is not installed' : false

export interface Mosquitto {
  url: string
  port: number
  /** stops the broker (SIGTERM) and waits for it to exit; retained messages are gone (no persistence) */
  stop(): Promise<void>
  /** starts it again on the same port */
  restart(): Promise<void>
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; it is released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' })
    c.once('connect', () => { c.destroy(); resolve(true) })
    c.once('error', () => resolve(false))
  })
}

/** Starts mosquitto on a free loopback port and waits until it accepts connections. */
export async function startMosquitto(): Promise<Mosquitto> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'eqp-mosq-'))
  const conf = join(dir, 'mosquitto.conf')
  const text = `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n`
  writeFileSync(conf, text)
  let proc: ChildProcess | null = null
  let err = ''

  const start = async () => {
    err = ''
    const p = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    p.stderr!.on('data', (d: Buffer) => { err += d.toString() })
    proc = p
    for (let i = 0; ; i++) {
      if (p.exitCode !== null) throw new Error(`mosquitto exited with ${p.exitCode}: ${err}`)
      if (await accepts(port)) return
      if (i > 500) throw new Error(`mosquitto did not listen on ${port}: ${err}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  const stop = async () => {
    const p = proc
    proc = null
    if (!p || p.exitCode !== null || p.signalCode !== null) return
    const gone = new Promise((r) => p.once('exit', r))
    p.kill('SIGTERM')
    await gone
  }
  await start()
  return {
    url: `mqtt://127.0.0.1:${port}`, port,
    restart: async () => {
      mkdirSync(dir, { recursive: true })
      writeFileSync(conf, text)
      await start()
    },
    stop: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
