// GET /runs latency under 20 polling clients, idle and while a run trains, with simulated devices in
// simulator threads (the default) and in the main thread (serve config simThreads: false, the
// reference), and how long a cancel takes. Runs: an ordinary one (iris on a 4x4 lattice) and one with
// long steps (mInit 1000 on an 8x8 lattice, where one relax call of `slice` samples is a few ms).
import { DeviceCreate } from '../src/services/devices/schemas.ts'
import { RunCreate } from '../src/services/runs/schemas.ts'
import { emit, inProcessDaemon, load, pct, r3 } from './http-load.ts'

const CLIENTS = 20, REQUESTS = 2000

const CASES = [
  { what: 'iris-4x4', builder: 'lattice:4x4', run: {} },
  { what: 'iris-8x8-mInit1000', builder: 'lattice:8x8', run: { mInit: 1000 } },
] as const

/** p99 (ms) per case, and idle, for one placement of the simulators. */
async function runsListUnderLoad(simThreads: boolean): Promise<Record<string, number>> {
  const d = await inProcessDaemon({ relaxRate: 0, simThreads })
  const out: Record<string, number> = {}
  const label = simThreads ? 'sim-threads' : 'main-thread'
  try {
    const { devices, runs } = d.services
    const url = `${d.url}/runs`
    const devs = CASES.map((c) => devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder: c.builder, task: 'iris', seed: 1 })).id)
    // a few finished runs, so the list has rows to serialise
    for (let k = 0; k < 5; k++) await runs.idle(runs.create(RunCreate.parse({ device: devs[0], task: 'iris', epochs: 1, seed: k }), 'bench').id)
    await load({ url, method: 'GET', clients: CLIENTS, total: 500 }) // warm-up
    const idle = await load({ url, method: 'GET', clients: CLIENTS, total: REQUESTS })
    emit({ bench: `runs-list-${CLIENTS}clients-idle-${label}`, requests: idle.lat.length, failed: idle.failed, p50_ms: r3(pct(idle.lat, 0.5)), p99_ms: r3(pct(idle.lat, 0.99)) })
    out.idle = pct(idle.lat, 0.99)
    for (const [k, c] of CASES.entries()) {
      const run = runs.create(RunCreate.parse({ device: devs[k], task: 'iris', epochs: 1000, seed: 1, lr: 0.02, optimiser: { kind: 'adam' }, ...c.run }), 'bench')
      const r = await load({ url, method: 'GET', clients: CLIENTS, total: REQUESTS })
      const during = runs.get(run.id)
      const t0 = performance.now()
      await runs.cancel(run.id)
      const cancelMs = performance.now() - t0
      emit({
        bench: `runs-list-${CLIENTS}clients-training-${c.what}-${label}`, requests: r.lat.length, failed: r.failed, state_during: during.state, steps_during: during.progress.step,
        p50_ms: r3(pct(r.lat, 0.5)), p99_ms: r3(pct(r.lat, 0.99)), max_ms: r3(Math.max(...r.lat)), cancel_ms: r3(cancelMs),
      })
      out[c.what] = pct(r.lat, 0.99)
    }
  } finally { await d.close() }
  return out
}

const threaded = await runsListUnderLoad(true)
const main = await runsListUnderLoad(false)
emit({
  bench: `runs-list-${CLIENTS}clients-p99-ratio-main-thread-over-sim-threads`, unit: 'ratio',
  ...Object.fromEntries(CASES.map((c) => [c.what, r3(main[c.what] / threaded[c.what])])),
  sim_threads_training_over_idle: r3(Math.max(...CASES.map((c) => threaded[c.what])) / threaded.idle),
})
