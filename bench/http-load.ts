// Shared by the daemon benchmarks: an in-process daemon on a loopback port, and HTTP clients that run
// in a worker thread (so they do not share the server's event loop) and report each request's latency.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { ServeConfig, type ServeConfigInput } from '../src/api/config.ts'
import { startDaemon, type Daemon } from '../src/api/daemon.ts'

export const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')

/** A daemon on a loopback port with a throw-away data directory (removed on close). */
export async function inProcessDaemon(cfg: ServeConfigInput): Promise<Daemon> {
  const dataDir = mkdtempSync(join(tmpdir(), 'eqprop-bench-'))
  const d = await startDaemon({ ...ServeConfig.parse({ port: 0, logLevel: 'silent', ...cfg }), dataDir })
  return { ...d, close: async () => { await d.close(); rmSync(dataDir, { recursive: true, force: true }) } }
}

/** Client loop (plain JS, run in a worker): `clients` concurrent loops, `total` requests in all. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads')
const { url, method, body, clients, total } = workerData
;(async () => {
  const lat = []
  let next = 0, failed = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (next < total) {
      const k = next++
      const payload = body && JSON.stringify({ ...body, start: body.start && { kind: 'random', seed: k } })
      const s = performance.now()
      const r = await fetch(url, { method, headers: payload ? { 'content-type': 'application/json' } : {}, body: payload })
      await r.arrayBuffer()
      lat.push(performance.now() - s)
      if (r.status !== 200) failed++
    }
  }))
  parentPort.postMessage({ lat, failed, wallMs: performance.now() - t0 })
})()
`

export interface Load { lat: number[]; failed: number; wallMs: number }

export function load(data: { url: string; method: string; body?: unknown; clients: number; total: number }): Promise<Load> {
  return new Promise((resolve, reject) => {
    const w = new Worker(CLIENT, { eval: true, workerData: data })
    w.once('message', (m: Load) => { void w.terminate(); resolve(m) })
    w.once('error', reject)
  })
}

export const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }
export const r3 = (x: number) => Math.round(x * 1000) / 1000

