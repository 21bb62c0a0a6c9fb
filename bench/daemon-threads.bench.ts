// GET /runs latency under 20 polling clients, idle and while a run trains, with simulated devices in
// simulator threads (the default), in simulator threads 10 nice steps below the main thread
// (simThreadNice: 10), and in the main thread (simThreads: false, the reference); how
// busy the main thread is meanwhile (event-loop utilisation), the daemon's CPU time per request, how
// far the run got, and how long a cancel takes. Runs: an ordinary one (iris on a 4x4 lattice) and one
// with long steps (mInit 1000 on an 8x8 lattice, where one relax call of `slice` samples is a few ms).
// The clients run in a child process (node:http, keep-alive); one round repeats the default placement
// with the clients in a worker thread of the bench process using fetch, as this bench used to, to show
// what the load generator itself adds. Then the same ordinary run on a TS virtual board in a child
// process over the daemon's MQTT broker: a board's driver stays in the main thread, and this shows
// what that costs it.
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { DeviceCreate } from '../src/services/devices/schemas.ts'
import { RunCreate, RunList } from '../src/services/runs/schemas.ts'
import type { Daemon } from '../src/api/daemon.ts'
import { emit, inProcessDaemon, load, pct, r3 } from './http-load.ts'

const CLIENTS = 20, REQUESTS = 2000

const CASES = [
  { what: 'iris-4x4', builder: 'lattice:4x4', run: {} },
  { what: 'iris-8x8-mInit1000', builder: 'lattice:8x8', run: { mInit: 1000 } },
] as const

interface Placement { label: string; simThreads: boolean; nice: number; clients: 'process' | 'worker' }
const NICE0: Placement = { label: 'sim-threads', simThreads: true, nice: 0, clients: 'process' }
const NICE10: Placement = { label: 'sim-threads-nice10', simThreads: true, nice: 10, clients: 'process' }
const MAIN: Placement = { label: 'main-thread', simThreads: false, nice: 0, clients: 'process' }
const FETCH: Placement = { label: 'sim-threads-fetch-clients-in-worker', simThreads: true, nice: 0, clients: 'worker' }

/** CPU time (ms) this process spent per request while `f` ran: the daemon's, when the clients are a child process. */
async function measured<T extends { lat: number[] }>(f: () => Promise<T>): Promise<T & { cpuMs: number; busy: number }> {
  const elu0 = performance.eventLoopUtilization(), c0 = process.cpuUsage()
  const r = await f()
  const c = process.cpuUsage(c0)
  return { ...r, cpuMs: (c.user + c.system) / 1000 / r.lat.length, busy: performance.eventLoopUtilization(elu0).utilization }
}

/** p99 (ms) per case, and idle, for one placement of the simulators. */
async function runsListUnderLoad(p: Placement): Promise<Record<string, number>> {
  const d = await inProcessDaemon({ relaxRate: 0, simThreads: p.simThreads, simThreadNice: p.nice })
  const out: Record<string, number> = {}
  const { label } = p
  try {
    const { devices, runs } = d.services
    const url = `${d.url}/runs`
    const devs: string[] = []
    for (const c of CASES) devs.push((await devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder: c.builder, task: 'iris', seed: 1 }))).id)
    // a few finished runs, so the list has rows to serialise
    for (let k = 0; k < 5; k++) await runs.idle((await runs.create(RunCreate.parse({ device: devs[0], task: 'iris', epochs: 1, seed: k }), 'bench')).id)
    if (p === NICE0) await listCost(d)
    await load({ url, method: 'GET', clients: CLIENTS, total: 500, in: p.clients }) // warm-up
    const idle = await measured(() => load({ url, method: 'GET', clients: CLIENTS, total: REQUESTS, in: p.clients }))
    emit({ bench: `runs-list-${CLIENTS}clients-idle-${label}`, requests: idle.lat.length, failed: idle.failed, p50_ms: r3(pct(idle.lat, 0.5)), p99_ms: r3(pct(idle.lat, 0.99)), main_thread_busy: r3(idle.busy), ...cpuFields(idle, p) })
    out.idle = pct(idle.lat, 0.99)
    for (const [k, c] of CASES.entries()) {
      const r = await underTraining(d, devs[k], c.run, p.clients)
      emit({ bench: `runs-list-${CLIENTS}clients-training-${c.what}-${label}`, ...r })
      out[c.what] = r.p99_ms
    }
  } finally { await d.close() }
  return out
}

/** CPU per GET /runs body in the service: built from the store each time (as before the kept text) and kept. */
async function listCost(d: Daemon): Promise<void> {
  const { runs } = d.services
  const perCallUs = async (f: () => Promise<unknown>, n = 2000) => {
    for (let i = 0; i < 200; i++) await f()
    const c0 = process.cpuUsage()
    for (let i = 0; i < n; i++) await f()
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / n
  }
  const built = await perCallUs(async () => JSON.stringify(RunList.encode({ runs: await runs.list() })))
  const kept = await perCallUs(() => runs.listJson())
  emit({ bench: 'runs-list-body-cpu', unit: 'us per call', runs: (await runs.list()).length, bytes: (await runs.listJson()).length, built_each_time: r3(built), kept_text: r3(kept) })
}

/** Per-request CPU (ms) of the daemon and, for process clients, of the clients. */
function cpuFields(r: { cpuMs: number; clientCpuMs?: number; lat: number[] }, p: Placement): object {
  // with clients in a worker thread, this process's CPU time is theirs and the daemon's together
  return p.clients === 'process'
    ? { daemon_cpu_ms_per_request: r3(r.cpuMs), client_cpu_ms_per_request: r3((r.clientCpuMs ?? NaN) / r.lat.length) }
    : { daemon_and_client_cpu_ms_per_request: r3(r.cpuMs) }
}

/** Starts a run on the device, polls GET /runs with CLIENTS clients meanwhile, then cancels the run. */
async function underTraining(d: Daemon, device: string, extra: object, clients: Placement['clients'] = 'process', epochs = 1000) {
  const { runs } = d.services
  const run = await runs.create(RunCreate.parse({ device, task: 'iris', epochs, seed: 1, lr: 0.02, optimiser: { kind: 'adam' }, ...extra }), 'bench')
  const r = await measured(() => load({ url: `${d.url}/runs`, method: 'GET', clients: CLIENTS, total: REQUESTS, in: clients }))
  const during = await runs.get(run.id)
  const t0 = performance.now()
  await runs.cancel(run.id)
  const cancelMs = performance.now() - t0
  // the clients' own share of the main thread is the idle figure's; the rest is training
  return {
    requests: r.lat.length, failed: r.failed, state_during: during.state, steps_during: during.progress.step,
    p50_ms: r3(pct(r.lat, 0.5)), p99_ms: r3(pct(r.lat, 0.99)), max_ms: r3(Math.max(...r.lat)), main_thread_busy: r3(r.busy), cancel_ms: r3(cancelMs),
    // with simulator threads, the daemon's CPU includes the training's
  }
}

/** The ordinary run on a TS virtual board in a child process, over the daemon's embedded MQTT broker. */
async function mqttBoard(): Promise<void> {
  const d = await inProcessDaemon({ relaxRate: 0, mqttEmbedded: true, mqttPort: 0 })
  const bin = fileURLToPath(new URL('../bin/eqprop-hil.js', import.meta.url))
  const child = spawn(process.execPath, [bin, 'board', '--mqtt', d.mqttUrl!, '--network', 'lattice:4x4', '--task', 'iris', '--network-seed', '1', '--uid', 'bench-board'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, EQPROP_HIL_FROM_SOURCE: '1' } })
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => { if (b.toString().includes('ready')) resolve() })
      child.once('exit', (code) => reject(new Error(`board exited with ${code}`)))
    })
    const dev = await d.services.devices.attachAny(DeviceCreate.parse({ kind: 'mqtt', uid: 'bench-board' }))
    await load({ url: `${d.url}/runs`, method: 'GET', clients: CLIENTS, total: 500, in: 'process' }) // warm-up
    const idle = await measured(() => load({ url: `${d.url}/runs`, method: 'GET', clients: CLIENTS, total: REQUESTS, in: 'process' }))
    emit({ bench: `runs-list-${CLIENTS}clients-idle-mqtt-board`, requests: idle.lat.length, failed: idle.failed, p50_ms: r3(pct(idle.lat, 0.5)), p99_ms: r3(pct(idle.lat, 0.99)), main_thread_busy: r3(idle.busy) })
    emit({ bench: `runs-list-${CLIENTS}clients-training-iris-4x4-mqtt-board`, ...await underTraining(d, dev.id, {}) })
  } finally {
    child.kill('SIGTERM')
    await d.close()
  }
}

// the machine's load drifts over minutes: alternate the placements (A B C C B A) and compare the means
// of their p99s
const rounds = new Map<Placement, Record<string, number>[]>([[NICE0, []], [NICE10, []], [MAIN, []]])
for (const p of [NICE0, NICE10, MAIN]) rounds.get(p)!.push(await runsListUnderLoad(p))
await runsListUnderLoad(FETCH)
await mqttBoard()
for (const p of [MAIN, NICE10, NICE0]) rounds.get(p)!.push(await runsListUnderLoad(p))
const mean = (p: Placement, k: string) => { const rs = rounds.get(p)!; return rs.reduce((a, r) => a + r[k], 0) / rs.length }
const keys = ['idle', ...CASES.map((c) => c.what)]
emit({
  bench: `runs-list-${CLIENTS}clients-p99-mean-of-rounds`, unit: 'ms', rounds: rounds.get(NICE0)!.length,
  ...Object.fromEntries([...rounds.keys()].map((p) => [p.label, Object.fromEntries(keys.map((k) => [k, r3(mean(p, k))]))])),
})
emit({
  bench: `runs-list-${CLIENTS}clients-p99-ratio-main-thread-over-sim-threads`, unit: 'ratio', rounds: rounds.get(NICE0)!.length,
  ...Object.fromEntries(keys.map((k) => [k, r3(mean(MAIN, k) / mean(NICE0, k))])),
  sim_threads_training_over_idle: r3(Math.max(...CASES.map((c) => mean(NICE0, c.what))) / mean(NICE0, 'idle')),
})
