// Daemon figures: requests/s and latency of POST /devices/:id/relax on a 4x4 lattice with 10
// concurrent clients, and the event-loop delay (and /health latency) while a run trains. The server
// runs in this process; the clients run in a worker thread, so they do not share its event loop.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { DeviceCreate } from '../src/services/devices/schemas.ts'
import { RunCreate } from '../src/services/runs/schemas.ts'
import { emit, inProcessDaemon, load, pct, r3 } from './http-load.ts'

async function relaxRoute(): Promise<void> {
  const d = await inProcessDaemon({ relaxRate: 0 })
  try {
    const dev = await d.services.devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 }))
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
    const dev = await devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 }))
    const idle = monitorEventLoopDelay({ resolution: 1 })
    idle.enable()
    await new Promise((r) => setTimeout(r, 300))
    idle.disable()
    const h = monitorEventLoopDelay({ resolution: 1 })
    const run = await runs.create(RunCreate.parse({ device: dev.id, task: 'iris', epochs: 30, seed: 1, lr: 0.02, optimiser: { kind: 'adam' }, evalEvery: 5 }), 'bench')
    h.enable()
    const t0 = performance.now()
    const health = load({ url: `${d.url}/health`, method: 'GET', clients: 2, total: 400 })
    await runs.idle(run.id)
    const wall = (performance.now() - t0) / 1000
    h.disable()
    const hl = await health
    const v = await runs.get(run.id)
    const ms = (ns: number) => r3(ns / 1e6)
    emit({
      bench: `event-loop-delay-training-iris-4x4-slice${slice}`, state: v.state, steps: v.progress.step, steps_per_s: Math.round(v.progress.step / wall),
      delay_p50_ms: ms(h.percentile(50)), delay_p99_ms: ms(h.percentile(99)), delay_max_ms: ms(h.max),
      idle_delay_p99_ms: ms(idle.percentile(99)), health_p99_ms_during_training: r3(pct(hl.lat, 0.99)),
    })
  } finally { await d.close() }
}

await relaxRoute()
await loopDelayWhileTraining(8)
await loopDelayWhileTraining(128)
