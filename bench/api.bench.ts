// Daemon figures: requests/s and latency of POST /devices/:id/relax on a 4x4 lattice with 10
// concurrent clients, the event-loop delay (and /health latency) while a run trains, GET /runs latency
// under 20 polling clients idle and while a run trains (simulators in simulator threads, and in the
// main thread as the reference), and how long a cancel takes on a run with long steps. The server
// runs in this process; the clients run in a worker thread, so they do not share its event loop.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { DeviceCreate } from '../src/services/devices/schemas.ts'
import { RunCreate } from '../src/services/runs/schemas.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServeConfig, type ServeConfigInput } from '../src/api/config.ts'
import { startDaemon, type Daemon } from '../src/api/daemon.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')

/** A daemon on a loopback port with a throw-away data directory (removed on close). */
async function inProcessDaemon(cfg: ServeConfigInput): Promise<Daemon> {
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

interface Load { lat: number[]; failed: number; wallMs: number }

function load(data: { url: string; method: string; body?: unknown; clients: number; total: number }): Promise<Load> {
  return new Promise((resolve, reject) => {
    const w = new Worker(CLIENT, { eval: true, workerData: data })
    w.once('message', (m: Load) => { void w.terminate(); resolve(m) })
    w.once('error', reject)
  })
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }
const r3 = (x: number) => Math.round(x * 1000) / 1000

async function relaxRoute(): Promise<void> {
  const d = await inProcessDaemon({ relaxRate: 0 })
  try {
    const dev = d.services.devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 }))
    const H = Math.PI / 2
    const body = { inputs: [[H, -H, H, -H]], start: { kind: 'random', seed: 0 } }
    await load({ url: `${d.url}/devices/${dev.id}/relax`, method: 'POST', body, clients: 10, total: 300 }) // warm-up
    const r = await load({ url: `${d.url}/devices/${dev.id}/relax`, method: 'POST', body, clients: 10, total: 3000 })
    emit({ bench: 'relax-route-4x4-10clients', requests: r.lat.length, failed: r.failed, req_per_s: Math.round(r.lat.length / (r.wallMs / 1000)), p50_ms: r3(pct(r.lat, 0.5)), p99_ms: r3(pct(r.lat, 0.99)), max_ms: r3(Math.max(...r.lat)) })
    const h = await load({ url: `${d.url}/health`, method: 'GET', clients: 10, total: 3000 })
    emit({ bench: 'health-route-10clients', requests: h.lat.length, failed: h.failed, req_per_s: Math.round(h.lat.length / (h.wallMs / 1000)), p50_ms: r3(pct(h.lat, 0.5)), p99_ms: r3(pct(h.lat, 0.99)) })
  } finally { await d.close() }
}

async function loopDelayWhileTraining(slice: number): Promise<void> {
  const d = await inProcessDaemon({ relaxRate: 0, slice, checkpointEvery: 20 })
  try {
    const { devices, runs } = d.services
    const dev = devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 }))
    const idle = monitorEventLoopDelay({ resolution: 1 })
    idle.enable()
    await new Promise((r) => setTimeout(r, 300))
    idle.disable()
    const h = monitorEventLoopDelay({ resolution: 1 })
    const run = runs.create(RunCreate.parse({ device: dev.id, task: 'iris', epochs: 30, seed: 1, lr: 0.02, optimiser: { kind: 'adam' }, evalEvery: 5 }), 'bench')
    h.enable()
    const t0 = performance.now()
    const health = load({ url: `${d.url}/health`, method: 'GET', clients: 2, total: 400 })
    await runs.idle(run.id)
    const wall = (performance.now() - t0) / 1000
    h.disable()
    const hl = await health
    const v = runs.get(run.id)
    const ms = (ns: number) => r3(ns / 1e6)
    emit({
      bench: `event-loop-delay-training-iris-4x4-slice${slice}`, state: v.state, steps: v.progress.step, steps_per_s: Math.round(v.progress.step / wall),
      delay_p50_ms: ms(h.percentile(50)), delay_p99_ms: ms(h.percentile(99)), delay_max_ms: ms(h.max),
      idle_delay_p99_ms: ms(idle.percentile(99)), health_p99_ms_during_training: r3(pct(hl.lat, 0.99)),
    })
  } finally { await d.close() }
}

/** GET /runs under 20 polling clients: idle, then while a run trains (an ordinary one, and one with long steps). */
async function runsListUnderLoad(simThreads: boolean): Promise<Record<string, number>> {
  const d = await inProcessDaemon({ relaxRate: 0, simThreads })
  const out: Record<string, number> = {}
  try {
    const { devices, runs } = d.services
    const dev = devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 }))
    // a few finished runs, so the list has rows to serialise
    for (let k = 0; k < 5; k++) await runs.idle(runs.create(RunCreate.parse({ device: dev.id, task: 'iris', epochs: 1, seed: k }), 'bench').id)
    const url = `${d.url}/runs`
    const label = simThreads ? 'sim-threads' : 'main-thread'
    if (simThreads) {
      await load({ url, method: 'GET', clients: 20, total: 400 }) // warm-up
      const idle = await load({ url, method: 'GET', clients: 20, total: 2000 })
      emit({ bench: 'runs-list-20clients-idle', requests: idle.lat.length, failed: idle.failed, p50_ms: r3(pct(idle.lat, 0.5)), p99_ms: r3(pct(idle.lat, 0.99)) })
      out.idle_p99 = pct(idle.lat, 0.99)
    }
    for (const [what, extra] of [['iris-4x4', {}], ['iris-4x4-mInit1000', { mInit: 1000, epochs: 1 }]] as const) {
      const run = runs.create(RunCreate.parse({ device: dev.id, task: 'iris', epochs: 1000, seed: 1, lr: 0.02, optimiser: { kind: 'adam' }, ...extra }), 'bench')
      const r = await load({ url, method: 'GET', clients: 20, total: 2000 })
      const before = runs.get(run.id)
      const t0 = performance.now()
      await runs.cancel(run.id)
      const cancelMs = performance.now() - t0
      emit({
        bench: `runs-list-20clients-training-${what}-${label}`, requests: r.lat.length, failed: r.failed, state_during: before.state, steps_during: before.progress.step,
        p50_ms: r3(pct(r.lat, 0.5)), p99_ms: r3(pct(r.lat, 0.99)), max_ms: r3(Math.max(...r.lat)), cancel_ms: r3(cancelMs),
      })
      out[`${what}_p99`] = pct(r.lat, 0.99)
    }
  } finally { await d.close() }
  return out
}

await relaxRoute()
await loopDelayWhileTraining(8)
await loopDelayWhileTraining(128)
const threaded = await runsListUnderLoad(true)
const main = await runsListUnderLoad(false)
emit({
  bench: 'runs-list-20clients-p99-ratio-main-thread-over-sim-threads', unit: 'ratio',
  ordinary: r3(main['iris-4x4_p99'] / threaded['iris-4x4_p99']), long_steps: r3(main['iris-4x4-mInit1000_p99'] / threaded['iris-4x4-mInit1000_p99']),
  sim_threads_training_over_idle: r3(threaded['iris-4x4_p99'] / threaded.idle_p99),
})
