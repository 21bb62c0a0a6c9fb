// GET /runs latency under 20 polling clients, idle and while a run trains, with simulated devices in
// simulator threads (the default) and in the main thread (serve config simThreads: false, the
// reference), how busy the main thread is meanwhile (event-loop utilisation), and how long a cancel
// takes. Runs: an ordinary one (iris on a 4x4 lattice) and one with long steps (mInit 1000 on an 8x8
// lattice, where one relax call of `slice` samples is a few ms). Then the same ordinary run on a TS
// virtual board in a child process over the daemon's MQTT broker: a board's driver stays in the main
// thread, and this shows what that costs it.
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { DeviceCreate } from '../src/services/devices/schemas.ts'
import { RunCreate } from '../src/services/runs/schemas.ts'
import type { Daemon } from '../src/api/daemon.ts'
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
    const devs: string[] = []
    for (const c of CASES) devs.push((await devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder: c.builder, task: 'iris', seed: 1 }))).id)
    // a few finished runs, so the list has rows to serialise
    for (let k = 0; k < 5; k++) await runs.idle((await runs.create(RunCreate.parse({ device: devs[0], task: 'iris', epochs: 1, seed: k }), 'bench')).id)
    await load({ url, method: 'GET', clients: CLIENTS, total: 500 }) // warm-up
    const elu0 = performance.eventLoopUtilization()
    const idle = await load({ url, method: 'GET', clients: CLIENTS, total: REQUESTS })
    const busy = performance.eventLoopUtilization(elu0).utilization
    emit({ bench: `runs-list-${CLIENTS}clients-idle-${label}`, requests: idle.lat.length, failed: idle.failed, p50_ms: r3(pct(idle.lat, 0.5)), p99_ms: r3(pct(idle.lat, 0.99)), main_thread_busy: r3(busy) })
    out.idle = pct(idle.lat, 0.99)
    for (const [k, c] of CASES.entries()) {
      const r = await underTraining(d, devs[k], c.run)
      emit({ bench: `runs-list-${CLIENTS}clients-training-${c.what}-${label}`, ...r })
      out[c.what] = r.p99_ms
    }
  } finally { await d.close() }
  return out
}

/** Starts a run on the device, polls GET /runs with CLIENTS clients meanwhile, then cancels the run. */
async function underTraining(d: Daemon, device: string, extra: object, epochs = 1000) {
  const { runs } = d.services
  const run = await runs.create(RunCreate.parse({ device, task: 'iris', epochs, seed: 1, lr: 0.02, optimiser: { kind: 'adam' }, ...extra }), 'bench')
  const elu0 = performance.eventLoopUtilization()
  const r = await load({ url: `${d.url}/runs`, method: 'GET', clients: CLIENTS, total: REQUESTS })
  const elu = performance.eventLoopUtilization(elu0)
  const during = await runs.get(run.id)
  const t0 = performance.now()
  await runs.cancel(run.id)
  const cancelMs = performance.now() - t0
  // the clients' own share of the main thread is the idle figure's; the rest is training
  return {
    requests: r.lat.length, failed: r.failed, state_during: during.state, steps_during: during.progress.step,
    p50_ms: r3(pct(r.lat, 0.5)), p99_ms: r3(pct(r.lat, 0.99)), max_ms: r3(Math.max(...r.lat)), main_thread_busy: r3(elu.utilization), cancel_ms: r3(cancelMs),
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
    await load({ url: `${d.url}/runs`, method: 'GET', clients: CLIENTS, total: 500 }) // warm-up
    const elu0 = performance.eventLoopUtilization()
    const idle = await load({ url: `${d.url}/runs`, method: 'GET', clients: CLIENTS, total: REQUESTS })
    emit({ bench: `runs-list-${CLIENTS}clients-idle-mqtt-board`, requests: idle.lat.length, failed: idle.failed, p50_ms: r3(pct(idle.lat, 0.5)), p99_ms: r3(pct(idle.lat, 0.99)), main_thread_busy: r3(performance.eventLoopUtilization(elu0).utilization) })
    emit({ bench: `runs-list-${CLIENTS}clients-training-iris-4x4-mqtt-board`, ...await underTraining(d, dev.id, {}) })
  } finally {
    child.kill('SIGTERM')
    await d.close()
  }
}

// the machine's load drifts over minutes: alternate the placements (threads, main, main, threads) and
// compare the means of their p99s
const threaded: Record<string, number>[] = [], main: Record<string, number>[] = []
threaded.push(await runsListUnderLoad(true))
main.push(await runsListUnderLoad(false))
await mqttBoard()
main.push(await runsListUnderLoad(false))
threaded.push(await runsListUnderLoad(true))
const mean = (rs: Record<string, number>[], k: string) => rs.reduce((a, r) => a + r[k], 0) / rs.length
emit({
  bench: `runs-list-${CLIENTS}clients-p99-ratio-main-thread-over-sim-threads`, unit: 'ratio', rounds: threaded.length,
  ...Object.fromEntries(CASES.map((c) => [c.what, r3(mean(main, c.what) / mean(threaded, c.what))])),
  idle: r3(mean(main, 'idle') / mean(threaded, 'idle')),
  sim_threads_training_over_idle: r3(Math.max(...CASES.map((c) => mean(threaded, c.what))) / mean(threaded, 'idle')),
})
