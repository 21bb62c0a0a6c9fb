// Shared by the daemon benchmarks: an in-process daemon on a loopback port, and HTTP clients that
// report each request's latency. The clients run either in a worker thread of the bench process with
// fetch (so they do not share the server's event loop), or in a child process with node:http and
// keep-alive (so they do not share its process either, their CPU time is counted apart from the
// daemon's, and each request costs the client about a third of what fetch costs: with 20 requests in
// flight, a client's own time per reply adds to every latency it measures).
import { spawn } from 'node:child_process'
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

/** Client loop in a child process (plain JS): node:http GETs over `clients` keep-alive sockets. */
const CLIENT_PROCESS = `
const http = require('node:http')
const { url, clients, total } = JSON.parse(process.argv[1])
const agent = new http.Agent({ keepAlive: true, maxSockets: clients })
const get = () => new Promise((resolve, reject) => {
  http.get(url, { agent }, (res) => { res.on('data', () => {}); res.on('end', () => resolve(res.statusCode)); res.on('error', reject) }).on('error', reject)
})
;(async () => {
  const lat = []
  let next = 0, failed = 0
  const t0 = performance.now(), c0 = process.cpuUsage()
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < total) {
      next++
      const s = performance.now()
      const status = await get()
      lat.push(performance.now() - s)
      if (status !== 200) failed++
    }
  }))
  const c = process.cpuUsage(c0)
  process.stdout.write(JSON.stringify({ lat, failed, wallMs: performance.now() - t0, clientCpuMs: (c.user + c.system) / 1000 }))
  agent.destroy()
})()
`

export interface Load { lat: number[]; failed: number; wallMs: number; /** process clients only: their CPU time (ms) */ clientCpuMs?: number }

/** Runs `total` requests from `clients` concurrent loops; `in: 'process'` (GET only) uses the child-process client. */
export function load(data: { url: string; method: string; body?: unknown; clients: number; total: number; in?: 'worker' | 'process' }): Promise<Load> {
  if (data.in === 'process') {
    if (data.method !== 'GET' || data.body !== undefined) throw new TypeError('the process client only sends GETs')
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', CLIENT_PROCESS, JSON.stringify({ url: data.url, clients: data.clients, total: data.total })], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (b: Buffer) => { out += b.toString() })
      child.once('error', reject)
      child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`load client exited with ${code}`))))
    })
  }
  return new Promise((resolve, reject) => {
    const w = new Worker(CLIENT, { eval: true, workerData: data })
    w.once('message', (m: Load) => { void w.terminate(); resolve(m) })
    w.once('error', reject)
  })
}

export const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }
export const r3 = (x: number) => Math.round(x * 1000) / 1000

