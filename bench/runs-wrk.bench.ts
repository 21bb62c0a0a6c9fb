// GET /runs latency under 20 keep-alive connections from wrk (a C load generator: a small fraction
// of the CPU that a node client needs per request, so on two shared cores the latency it reports is
// the daemon's and not the load generator's; one wrk thread, so it takes at most one of the cores), idle and while a run trains: an ordinary run (iris on
// a 4x4 lattice) and one with long steps (mInit 1000 on an 8x8 lattice), simulators in their threads
// (the default). Next to each p99, the goal (50 ms) and the ratio. Prints one line saying so
// and nothing else when wrk is not installed (Debian: apt-get install wrk).
import { spawn, spawnSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { DeviceCreate } from '../src/services/devices/schemas.ts'
import { RunCreate } from '../src/services/runs/schemas.ts'
import type { Daemon } from '../src/api/daemon.ts'
import { emit, inProcessDaemon, r3 } from './http-load.ts'

const CONNECTIONS = 20, SECONDS = 5, GOAL_P99_MS = 50

/** Milliseconds from a wrk duration such as 812.00us, 1.50ms or 2.01s. */
function ms(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v)
  if (!m) throw new Error(`wrk printed a latency '${v}' this bench cannot read`)
  return Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 6e4 }[m[2] as 'us' | 'ms' | 's' | 'm']
}

/** Runs wrk against url and returns its latency percentiles (ms), requests/s and its own CPU time (s). */
function wrk(url: string): Promise<{ p50: number; p90: number; p99: number; rps: number; requests: number; errors: number; wrkCpuS: number }> {
  return new Promise((resolve, reject) => {
    // wrk's CPU: read from /proc just before it exits would race; `time -f` needs GNU time, so use bash's times
    const child = spawn('bash', ['-c', `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s --latency "$0"; times`, url], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => { out += b.toString() })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) { reject(new Error(`wrk exited with ${code}: ${out}`)); return }
      const pct = (p: string) => ms(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out)![1])
      const requests = Number(/(\d+) requests in/.exec(out)![1])
      const errors = [...out.matchAll(/(?:Non-2xx or 3xx responses|Socket errors: connect) (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0)
      // `times` prints the shell's and then its children's user and system time: 0m0.412s 0m1.020s
      const t = [...out.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]))
      resolve({ p50: pct('50'), p90: pct('90'), p99: pct('99'), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]), requests, errors, wrkCpuS: (t[2] ?? NaN) + (t[3] ?? NaN) })
    })
  })
}

/** One wrk measurement with the daemon's CPU per request and its main thread's busy share. */
async function measure(d: Daemon, what: string, extra: object = {}): Promise<void> {
  const elu0 = performance.eventLoopUtilization(), c0 = process.cpuUsage()
  const w = await wrk(`${d.url}/runs`)
  const c = process.cpuUsage(c0)
  emit({
    bench: `runs-list-wrk-${CONNECTIONS}conn-${what}`, unit: 'ms', seconds: SECONDS, requests: w.requests, errors: w.errors, requests_per_s: r3(w.rps),
    p50_ms: r3(w.p50), p90_ms: r3(w.p90), p99_ms: r3(w.p99), goal_p99_ms: GOAL_P99_MS, p99_over_goal: r3(w.p99 / GOAL_P99_MS),
    // the bench process is the daemon; while a run trains its simulator thread's CPU counts here too
    daemon_cpu_ms_per_request: r3((c.user + c.system) / 1000 / w.requests), wrk_cpu_ms_per_request: r3((w.wrkCpuS * 1000) / w.requests),
    main_thread_busy: r3(performance.eventLoopUtilization(elu0).utilization), load_avg_1m: r3(loadavg()[0]), ...extra,
  })
}

if (spawnSync('wrk', ['--version']).error) {
  emit({ bench: 'runs-list-wrk', skipped: 'wrk is not installed (Debian: apt-get install wrk)' })
} else {
  const d = await inProcessDaemon({ relaxRate: 0 })
  try {
    const { devices, runs } = d.services
    const cases = [['iris-4x4', 'lattice:4x4', {}], ['iris-8x8-mInit1000', 'lattice:8x8', { mInit: 1000 }]] as const
    const devs: string[] = []
    for (const [, builder] of cases) devs.push((await devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder, task: 'iris', seed: 1 }))).id)
    // a few finished runs, so the list has rows to serialise
    for (let k = 0; k < 5; k++) await runs.idle((await runs.create(RunCreate.parse({ device: devs[0], task: 'iris', epochs: 1, seed: k }), 'bench')).id)
    await wrk(`${d.url}/runs`)                                                     // warm-up
    await measure(d, 'idle')
    for (const [k, [what, , extra]] of cases.entries()) {
      const run = await runs.create(RunCreate.parse({ device: devs[k], task: 'iris', epochs: 1000, seed: 1, lr: 0.02, optimiser: { kind: 'adam' }, ...extra }), 'bench')
      const before = (await runs.get(run.id)).progress.step
      await measure(d, `training-${what}`)
      const during = await runs.get(run.id)
      emit({ bench: `runs-list-wrk-${CONNECTIONS}conn-training-${what}-run`, state_during: during.state, steps_during: during.progress.step - before })
      await runs.cancel(run.id)
    }
    await measure(d, 'idle-again')
  } finally { await d.close() }
}
