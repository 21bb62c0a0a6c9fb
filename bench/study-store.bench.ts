// What writing study trials to the shared store costs a worker (worker --store postgres://): one
// `eqprop-hil worker` process trains the same 16 small trials (XOR on all-to-all:6, 40 epochs) through
// NATS JetStream (127.0.0.1:4222) without and with a store on this machine's PostgreSQL (a fresh
// database, dropped after), alternating twice, and prints the worker's CPU seconds per trial (from
// /proc/<pid>/stat) and wall time of each, and the ratio with/without of the same round.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect } from 'nats'
import pg from 'pg'
import { parseStudyConfig } from '../src/services/study/config.ts'
import { queueRunner } from '../src/services/study/queue-study.ts'
import { runStudy } from '../src/services/study/run.ts'
import { parseQueueUrl, queueNames } from '../src/services/study/trial-queue.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const BIN = fileURLToPath(new URL('../bin/eqprop-hil.js', import.meta.url))
const PG = process.env.EQP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432'
const dir = mkdtempSync(join(tmpdir(), 'eqprop-bench-store-'))
const TRIALS = 16
const made: string[] = []
const config = (name: string, seeds: number) => ({ name, entries: [{ label: 'a2a6', network: 'all-to-all:6:std=0.7:bias=random', task: 'xor', epochs: 40, seeds, batchSize: 4, mInit: 2 }] })

/** utime + stime of a process in seconds (Linux /proc; clock ticks of 100 Hz). */
function procCpuS(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

async function startWorker(queue: string, store: string | null): Promise<ChildProcess> {
  const c = spawn(process.execPath, [BIN, 'worker', '--queue', `nats://127.0.0.1:4222/${queue}`, '--quiet', ...(store ? ['--store', store] : [])], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EQPROP_HIL_FROM_SOURCE: '1' } })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const on = (d: Buffer) => { out += d; if (out.includes('worker ready')) { c.stderr!.off('data', on); resolve() } }
    c.stderr!.on('data', on)
    c.once('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)))
  })
  return c
}

/** Worker CPU seconds per trial and wall seconds of one timed study of TRIALS trials. */
async function round(tag: string, store: string | null): Promise<{ cpuPerTrial: number; wallS: number }> {
  const queue = `benchstore${process.pid}-${tag}`
  made.push(queueNames(queue).trialStream, queueNames(queue).resultStream)
  const q = parseQueueUrl(`nats://127.0.0.1:4222/${queue}`)
  const w = await startWorker(queue, store)
  try {
    await runStudy(parseStudyConfig(config('warm', 2), 'bench'), { outDir: join(dir, `warm-${tag}`), runner: queueRunner(q, { studyId: `warm${tag}` }) })
    const c0 = procCpuS(w.pid!), t0 = performance.now()
    await runStudy(parseStudyConfig(config('timed', TRIALS), 'bench'), { outDir: join(dir, `timed-${tag}`), runner: queueRunner(q, { studyId: `timed${tag}` }) })
    return { cpuPerTrial: (procCpuS(w.pid!) - c0) / TRIALS, wallS: (performance.now() - t0) / 1000 }
  } finally {
    w.kill('SIGTERM')
    await new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))
  }
}

const name = `eqp_bench_${randomBytes(6).toString('hex')}`
const admin = new pg.Client({ connectionString: `${PG}/postgres` })
await admin.connect()
await admin.query(`CREATE DATABASE ${name}`)
try {
  for (let k = 0; k < 2; k++) {
    const without = await round(`n${k}`, null)
    const withStore = await round(`s${k}`, `${PG}/${name}`)
    emit({
      bench: 'study-store-worker-cost', workload: `${TRIALS} trials of XOR on all-to-all:6, 40 epochs, batch 4, one worker, round ${k + 1}`,
      worker_cpu_s_per_trial_without_store: Number(without.cpuPerTrial.toFixed(3)), worker_cpu_s_per_trial_with_store: Number(withStore.cpuPerTrial.toFixed(3)),
      cpu_ratio_with_vs_without: Number((withStore.cpuPerTrial / without.cpuPerTrial).toFixed(2)),
      wall_s_without_store: Number(without.wallS.toFixed(2)), wall_s_with_store: Number(withStore.wallS.toFixed(2)),
      loadavg_1min: Number(loadavg()[0].toFixed(2)),
    })
  }
  const db = new pg.Client({ connectionString: `${PG}/${name}` })
  await db.connect()
  const runs = (await db.query("SELECT COUNT(*) AS c FROM runs WHERE state = 'done'")).rows[0].c
  const metrics = (await db.query('SELECT COUNT(*) AS c FROM metrics')).rows[0].c
  await db.end()
  emit({ bench: 'study-store-rows', workload: `the store after 2 x (2 warm-up + ${TRIALS}) trials`, runs_done: Number(runs), metric_rows: Number(metrics) })
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.end()
  const nc = await connect({ servers: '127.0.0.1:4222' })
  const jsm = await nc.jetstreamManager()
  for (const s of made) await jsm.streams.delete(s).catch(() => undefined)
  await nc.close()
}
