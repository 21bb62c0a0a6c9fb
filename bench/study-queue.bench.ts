// Distributed studies on NATS JetStream (127.0.0.1:4222): (1) the queue's own cost, a trial-sized
// message published (with its PubAck), pulled and acked, one at a time; (2) study throughput with 1, 2
// and 4 `eqprop-hil worker` processes on small trials (XOR on all-to-all:6, 40 epochs), the speed-up
// against one worker, and CPU seconds (the study process by process.cpuUsage, the workers from
// /proc/<pid>/stat). On a machine with fewer cores than workers the speed-up stops at the core count.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AckPolicy, connect, RetentionPolicy } from 'nats'
import { parseStudyConfig } from '../src/services/study/config.ts'
import { queueRunner } from '../src/services/study/queue-study.ts'
import { runStudy } from '../src/services/study/run.ts'
import { jc, parseQueueUrl, queueNames } from '../src/services/study/trial-queue.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const BIN = fileURLToPath(new URL('../bin/eqprop-hil.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'eqprop-bench-queue-'))
const TRIALS = 16
const nc = await connect({ servers: '127.0.0.1:4222' })
const jsm = await nc.jetstreamManager()
const made: string[] = []

/** Publish -> pull -> ack round trips of a trial message (a StudyEntry is about 600 bytes of JSON). */
async function latency(): Promise<void> {
  const stream = `EQP_bench${process.pid}_LAT`, subject = `eqprop.bench${process.pid}.lat`
  made.push(stream)
  await jsm.streams.add({ name: stream, subjects: [subject], retention: RetentionPolicy.Workqueue })
  await jsm.consumers.add(stream, { durable_name: 'w', ack_policy: AckPolicy.Explicit })
  const consumer = await nc.jetstream().consumers.get(stream, 'w')
  const body = jc.encode({ entry: parseStudyConfig(config('lat', 1), 'bench').entries[0], seed: 0, pad: 'x'.repeat(200) })
  const N = 300, pub: number[] = [], round: number[] = []
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < N + 20; i++) {
    const t0 = performance.now()
    await nc.jetstream().publish(subject, body)
    const t1 = performance.now()
    const m = await consumer.next({ expires: 2000 })
    await m!.ackAck()
    if (i >= 20) { pub.push(t1 - t0); round.push(performance.now() - t0) }
  }
  const cpu = process.cpuUsage(cpu0)
  const q = (v: number[], p: number) => Number([...v].sort((a, b) => a - b)[Math.floor(p * v.length)].toFixed(3))
  emit({
    bench: 'study-queue-jetstream-roundtrip', workload: `${N} trial messages of ${body.length} bytes, one at a time: publish (await PubAck), pull, ack (await the ack's ack)`,
    publish_p50_ms: q(pub, 0.5), publish_p99_ms: q(pub, 0.99), roundtrip_p50_ms: q(round, 0.5), roundtrip_p99_ms: q(round, 0.99),
    client_cpu_ms_per_message: Number(((cpu.user + cpu.system) / 1000 / (N + 20)).toFixed(3)),
  })
}

function config(name: string, seeds: number) {
  return { name, entries: [{ label: 'a2a6', network: 'all-to-all:6:std=0.7:bias=random', task: 'xor', epochs: 40, seeds, batchSize: 4, mInit: 2 }] }
}

/** utime + stime of a process in seconds (Linux /proc; clock ticks of 100 Hz). */
function procCpuS(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

async function startWorker(queue: string, quiet = true): Promise<ChildProcess> {
  const c = spawn(process.execPath, [BIN, 'worker', '--queue', `nats://127.0.0.1:4222/${queue}`, ...(quiet ? ['--quiet'] : [])], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EQPROP_HIL_FROM_SOURCE: '1' } })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const on = (d: Buffer) => { out += d; if (out.includes('worker ready')) { c.stderr!.off('data', on); resolve() } }
    c.stderr!.on('data', on)
    c.once('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)))
  })
  return c
}

async function throughput(workers: number, base: number | null): Promise<number> {
  const queue = `bench${process.pid}-w${workers}`
  made.push(queueNames(queue).trialStream, queueNames(queue).resultStream)
  const q = parseQueueUrl(`nats://127.0.0.1:4222/${queue}`)
  const procs = await Promise.all(Array.from({ length: workers }, () => startWorker(queue)))
  try {
    // warm-up: every worker thread compiles the trainer once before the timed study
    await runStudy(parseStudyConfig(config('warm', 2 * workers), 'bench'), { outDir: join(dir, `warm${workers}`), runner: queueRunner(q, { studyId: `warm${workers}` }) })
    const wcpu0 = procs.map((p) => procCpuS(p.pid!)), cpu0 = process.cpuUsage(), t0 = performance.now()
    await runStudy(parseStudyConfig(config('timed', TRIALS), 'bench'), { outDir: join(dir, `timed${workers}`), runner: queueRunner(q, { studyId: `timed${workers}` }) })
    const wallS = (performance.now() - t0) / 1000, cpu = process.cpuUsage(cpu0)
    const workerCpuS = procs.reduce((a, p, k) => a + procCpuS(p.pid!) - wcpu0[k], 0)
    const perS = TRIALS / wallS
    emit({
      bench: `study-queue-throughput-workers${workers}`, workload: `${TRIALS} trials of XOR on all-to-all:6, 40 epochs, batch 4, M_init 2; ${workers} worker process(es), concurrency 1 each`,
      trials_per_s: Number(perS.toFixed(2)), speedup_vs_1_worker: base === null ? 1 : Number((perS / base).toFixed(2)), wall_s: Number(wallS.toFixed(2)),
      worker_cpu_s_per_trial: Number((workerCpuS / TRIALS).toFixed(3)),
      // the share of the wall time the workers had a core: well below 1 when the machine is busy
      worker_cpu_per_wall: Number((workerCpuS / wallS).toFixed(2)), study_cpu_ms_per_trial: Number(((cpu.user + cpu.system) / 1000 / TRIALS).toFixed(2)),
      cores: availableParallelism(), loadavg_1min: Number(loadavg()[0].toFixed(2)),
    })
    return perS
  } finally {
    for (const p of procs) p.kill('SIGTERM')
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))))
  }
}

/** Seconds from SIGKILL of a worker mid-trial until a second worker starts the same trial again (ack wait 2 s). */
async function redelivery(): Promise<void> {
  const queue = `bench${process.pid}-kill`, ackWaitS = 2
  made.push(queueNames(queue).trialStream, queueNames(queue).resultStream)
  const q = parseQueueUrl(`nats://127.0.0.1:4222/${queue}`)
  const cfg = { name: 'kill', entries: [{ label: 'slow', network: 'lattice:4x4', task: 'xor', epochs: 60, seeds: 1, batchSize: 4, mInit: 3 }] }
  const doomed = await startWorker(queue, false)
  const study = runStudy(parseStudyConfig(cfg, 'bench'), { outDir: join(dir, 'kill'), runner: queueRunner(q, { studyId: 'kill', ackWaitS }) })
  await lineFrom(doomed, /^start slow seed 0 \(delivery 1\)/)
  const survivor = await startWorker(queue, false)
  doomed.kill('SIGKILL')
  const t0 = performance.now()
  await lineFrom(survivor, /^start slow seed 0 \(delivery 2\)/)
  const s = (performance.now() - t0) / 1000
  await study
  survivor.kill('SIGTERM')
  emit({ bench: 'study-queue-redelivery-after-sigkill', workload: `a worker killed with SIGKILL mid-trial, a second worker waiting; consumer ack wait ${ackWaitS} s`, redelivered_after_s: Number(s.toFixed(2)), ack_wait_s: ackWaitS })
}

function lineFrom(c: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let out = ''
    const on = (d: Buffer) => { out += d; if (out.split('\n').some((l) => re.test(l))) { c.stderr!.off('data', on); resolve() } }
    c.stderr!.on('data', on)
  })
}

try {
  await latency()
  await redelivery()
  const one = await throughput(1, null)
  await throughput(2, one)
  await throughput(4, one)
} finally {
  for (const s of made) await jsm.streams.delete(s).catch(() => undefined)
  await nc.close()
}
