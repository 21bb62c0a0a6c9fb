// Distributed studies against the machine's real NATS JetStream (127.0.0.1:4222): `eqprop-hil worker`
// processes and `eqprop-hil study --queue` share a queue (a fresh name per test); the table equals a
// local run's; a worker killed with SIGKILL mid-trial loses no trial.
import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { connect } from 'nats'
import { parseStudyConfig } from '../../src/services/study/config.ts'
import { runStudy } from '../../src/services/study/run.ts'
import { queueRunner, studyIdFor } from '../../src/services/study/queue-study.ts'
import { jc, parseQueueUrl, queueNames, type TrialMessage } from '../../src/services/study/trial-queue.ts'
import { trialRunId } from '../../src/services/study/trial-runs.ts'
import { openStore } from '../../src/services/store/index.ts'
import { call, inProcessDaemon } from '../support/daemon.ts'
import { freshDatabase, type TestDatabase } from '../support/postgres.ts'
import { stderrLines } from '../support/stderr-lines.ts'

const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))
const NATS = 'nats://127.0.0.1:4222'
const dir = mkdtempSync(join(tmpdir(), 'eqprop-study-queue-'))
const env = { ...process.env, EQPROP_HIL_FROM_SOURCE: '1' }
const queues: string[] = []
const children: ChildProcess[] = []
const fresh = (tag: string) => { const q = `t${process.pid}-${tag}-${Date.now().toString(36)}`; queues.push(q); return q }

const dbs: TestDatabase[] = []
const db = async () => { const d = await freshDatabase(); dbs.push(d); return d }

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const d of dbs) await d.drop().catch(() => {})
  const nc = await connect({ servers: '127.0.0.1:4222' })
  const jsm = await nc.jetstreamManager()
  for (const q of queues) for (const s of [queueNames(q).trialStream, queueNames(q).resultStream]) await jsm.streams.delete(s).catch(() => undefined)
  await nc.close()
})

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

/** A worker process whose stderr lines are kept; waitFor resolves at the first line matching. */
function worker(queue: string, store?: string) {
  const c = spawn(process.execPath, [BIN, 'worker', '--queue', `${NATS}/${queue}`, ...(store ? ['--store', store] : [])], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  children.push(c)
  const { lines, waitFor } = stderrLines(c, 'worker')
  return { c, lines, waitFor }
}

/** The consumer once the study has created it. */
async function waitConsumer(nc: Awaited<ReturnType<typeof connect>>, stream: string, name: string) {
  for (let k = 0; k < 100; k++) {
    try { return await nc.jetstream().consumers.get(stream, name) } catch { await new Promise((r) => setTimeout(r, 100)) }
  }
  throw new Error(`no consumer ${stream}/${name}`)
}

const write = (name: string, value: unknown) => { const p = join(dir, name); writeFileSync(p, JSON.stringify(value)); return p }
/** results.md and results.csv without the wall-time column (the only figure that is not a function of the seeds), and the run files without wallS. */
function outputs(out: string) {
  const md = readFileSync(join(out, 'results.md'), 'utf8').replace(/\| [0-9.]+ \|$/gm, '| - |')
  const csv = readFileSync(join(out, 'results.csv'), 'utf8').replace(/,[0-9.]*$/gm, ',-')
  const runs = Object.fromEntries(readdirSync(out).filter((f) => f.includes('-seed')).sort().map((f) => {
    const { wallS: _w, ...rest } = JSON.parse(readFileSync(join(out, f), 'utf8'))
    return [f, rest]
  }))
  return { md, csv, runs }
}

const SMALL = {
  name: 'shared',
  entries: [
    { label: 'a2a6', network: 'all-to-all:6:std=0.7:bias=random', task: 'xor', epochs: 8, seeds: 3, batchSize: 4, mInit: 2, target: { metric: 'distance', value: 0.3 } },
    { label: 'lat3', network: 'lattice:3x3', task: 'xor', epochs: 6, seeds: [3, 5, 8], batchSize: 4, optimiser: 'adam', lr: 0.01, estimator: 'frozen-nudge', target: { metric: 'test_acc', value: 0.75 } },
  ],
}

describe('distributed studies on NATS JetStream', () => {
  it('two workers and one study share a queue; the table equals a local run of the same seeds; the trials land in the shared store', async () => {
    const local = join(dir, 'local'), viaQueue = join(dir, 'queue')
    await runStudy(parseStudyConfig(SMALL, 'small'), { outDir: local, workers: 1 })
    const q = fresh('share')
    const { url } = await db()
    const [a, b] = [worker(q, url), worker(q, url)]
    await Promise.all([a.waitFor(/worker ready/), b.waitFor(/worker ready/)])
    const r = await cli(['study', '--config', write('small.json', SMALL), '--out', viaQueue, '--queue', `${NATS}/${q}`])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /\[6\/6\] /)
    const doneA = a.lines.filter((l) => l.startsWith('done ')).length, doneB = b.lines.filter((l) => l.startsWith('done ')).length
    assert.equal(doneA + doneB, 6, `each trial trained once: ${a.lines.join('\n')}\n${b.lines.join('\n')}`)
    assert.ok(doneA > 0 && doneB > 0, `both workers took trials (${doneA}, ${doneB})`)
    const x = outputs(viaQueue), y = outputs(local)
    assert.equal(Object.keys(x.runs).length, 6)
    assert.deepEqual(x.runs, y.runs, 'every run file equal, bit for bit, but its wall time')
    assert.equal(x.md, y.md)
    assert.equal(x.csv, y.csv)
    assert.doesNotMatch(x.md, /Partial/)

    // every trial is a finished run in the store, listed by a daemon on it, tagged with the study and trial
    const d = await inProcessDaemon({ store: url, daemonId: 'lab-view' })
    try {
      const listed = (await call(d.url, 'GET', '/runs')).body.runs as { id: string; label: string; state: string; progress: { fraction: number } }[]
      assert.deepEqual(listed.map((r) => r.label).sort(), Object.keys(x.runs).map((f) => f.replace('.json', '')).sort())
      assert.ok(listed.every((r) => r.state === 'done' && r.progress.fraction === 1), JSON.stringify(listed))
      const studyId = studyIdFor(viaQueue)
      for (const r of listed) {
        const [label, seed] = r.label.split('-seed')
        assert.equal(r.id, trialRunId(studyId, label, Number(seed)))
        const view = (await call(d.url, 'GET', `/runs/${r.id}`)).body
        assert.equal(view.request.study, studyId)
        assert.equal(view.request.trial, r.label)
        const file = x.runs[`${r.label}.json`] as { epochs: number; test: { accuracy: number; distance: number } }
        assert.equal(view.result.epochs, file.epochs)
        assert.equal(view.result.final.accuracy, file.test.accuracy, 'the stored result is the trial\'s')
        assert.equal(view.result.final.distance, file.test.distance)
        const epochs = (await call(d.url, 'GET', `/runs/${r.id}/metrics?kind=epoch`)).body.rows as { epoch: number }[]
        assert.deepEqual(epochs.map((e) => e.epoch), Array.from({ length: file.epochs }, (_, k) => k + 1))
      }
    } finally {
      await d.close()
    }
  })

  it('a worker killed with SIGKILL mid-trial loses no trial: another worker trains it again', async () => {
    const cfg = { name: 'killed', entries: [{ label: 'slow', network: 'lattice:4x4', task: 'xor', epochs: 50, seeds: 2, batchSize: 4, mInit: 3 }] }
    const local = join(dir, 'killed-local'), viaQueue = join(dir, 'killed-queue')
    const q = fresh('kill')
    const { url } = await db()
    const doomed = worker(q, url)
    await doomed.waitFor(/worker ready/)
    const study = cli(['study', '--config', write('killed.json', cfg), '--out', viaQueue, '--queue', `${NATS}/${q}`, '--ack-wait', '1'])
    const started = await doomed.waitFor(/^start slow seed \d+ \(delivery 1\)/)
    doomed.c.kill('SIGKILL')
    const survivor = worker(q, url)
    const [r] = await Promise.all([study, runStudy(parseStudyConfig(cfg, 'killed'), { outDir: local, workers: 1 })])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(!doomed.lines.some((l) => l.startsWith('done ')), 'the killed worker finished nothing')
    const seed = started.match(/seed (\d+)/)![1]
    // JetStream redelivered the killed worker's trial after the 1 s ack wait
    assert.ok(survivor.lines.some((l) => new RegExp(`^done slow seed ${seed} \\(delivery [2-9]\\)`).test(l)), survivor.lines.join('\n'))
    assert.equal(survivor.lines.filter((l) => l.startsWith('done ')).length, 2)
    const x = outputs(viaQueue), y = outputs(local)
    assert.deepEqual(x.runs, y.runs)
    assert.equal(x.md, y.md)
    assert.equal(x.csv, y.csv)
    // the store holds one finished run per trial: the killed attempt's row was reset and finished by the survivor
    const store = await openStore(url)
    try {
      const rows = await store.runs.list()
      assert.deepEqual(rows.map((r) => `${r.label}:${r.state}`).sort(), ['slow-seed0:done', 'slow-seed1:done'])
      const killed = rows.find((r) => r.label === `slow-seed${seed}`)!
      assert.match(killed.client, /\(delivery [2-9]\)$/, 'finished by the attempt that took it over')
      const epochs = await store.runs.metrics(killed.id, { kind: 'epoch' })
      assert.deepEqual(epochs.map((e) => e.epoch), Array.from({ length: 50 }, (_, k) => k + 1), 'no epoch of the killed attempt left')
      const states = (await store.runs.eventsSince(killed.id, 0)).filter((e) => e.type === 'state').map((e) => (e.data as { to: string }).to)
      assert.deepEqual(states, ['running', 'done'])
    } finally {
      await store.close()
    }
  })

  it('a live worker keeps its trial past the ack wait: heartbeats, no second delivery', async () => {
    // long enough to outlast the 1 s ack wait several times over (400 epochs took 0.8 s once the lattice
    // solver got faster, so 2000: about 4 s on an idle machine)
    const cfg = { name: 'long', entries: [{ label: 'long', network: 'lattice:4x4', task: 'xor', epochs: 2000, seeds: 1, batchSize: 4, mInit: 3 }] }
    const q = fresh('long')
    // the workers create the queue with the default 30 s; the study then shortens it to 1 s
    const [a, b] = [worker(q), worker(q)]
    await Promise.all([a.waitFor(/worker ready.*ack wait 30 s/), b.waitFor(/worker ready/)])
    const r = await cli(['study', '--config', write('long.json', cfg), '--out', join(dir, 'long'), '--queue', `${NATS}/${q}`, '--ack-wait', '1'])
    assert.equal(r.code, 0, r.stderr)
    const trained = JSON.parse(readFileSync(join(dir, 'long', 'long-seed0.json'), 'utf8'))
    assert.ok(trained.wallS > 1.2, `the trial outlasted the ack wait (${trained.wallS} s)`)
    const starts = [...a.lines, ...b.lines].filter((l) => l.startsWith('start '))
    assert.deepEqual(starts, ['start long seed 0 (delivery 1)'])
  })

  it('a study killed mid-way and run again collects the results that arrived meanwhile; nothing trains twice', async () => {
    const cfg = { name: 'restart', entries: [{ label: 'r', network: 'lattice:4x4', task: 'xor', epochs: 15, seeds: 4, batchSize: 4, mInit: 2 }] }
    const local = join(dir, 'restart-local'), viaQueue = join(dir, 'restart-queue')
    const q = fresh('restart')
    const w = worker(q)
    await w.waitFor(/worker ready/)
    const args = ['study', '--config', write('restart.json', cfg), '--out', viaQueue, '--queue', `${NATS}/${q}`]
    const first = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    children.push(first)
    await new Promise<void>((resolve) => { let e = ''; first.stderr!.on('data', (d: Buffer) => { e += d; if (/\[1\/4\]/.test(e)) resolve() }) })
    first.kill('SIGKILL')
    // the worker trains the rest with no study listening; the results wait in their stream
    await w.waitFor(/^done r seed 3 /)
    await runStudy(parseStudyConfig(cfg, 'restart'), { outDir: local, workers: 1 })
    const again = await cli(args)
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stderr, /\[4\/4\]/)
    assert.equal(w.lines.filter((l) => l.startsWith('done ')).length, 4, 'each trial trained once')
    const x = outputs(viaQueue), y = outputs(local)
    assert.deepEqual(x.runs, y.runs)
    assert.equal(x.md, y.md)
  })

  it('a trial that keeps losing its workers, or fails on one, stops the study with EQP_ERR_QUEUE_TRIAL_FAILED', { timeout: 60_000 }, async () => {
    const cfg = parseStudyConfig({ name: 'doomed', entries: [{ label: 'd', network: 'all-to-all:4', task: 'xor', epochs: 1, seeds: 1 }] }, 'doomed')
    const nc = await connect({ servers: '127.0.0.1:4222' })
    try {
      // a "worker" that takes the trial and hands it back every time, as workers dying on it would
      const q1 = fresh('maxdeliver'), n1 = queueNames(q1)
      const s1 = runStudy(cfg, { outDir: join(dir, 'doomed1'), runner: queueRunner(parseQueueUrl(`${NATS}/${q1}`), { studyId: 'doomed1', ackWaitS: 1 }) })
      const c1 = await waitConsumer(nc, n1.trialStream, n1.workers)
      let settled = false, deliveries = 0
      const s1settled = s1.then(() => { settled = true }, () => { settled = true })
      // the server notices the limit when it would deliver once more, so keep pulling as live workers do
      const nakAll = (async () => {
        while (!settled) { const m = await c1.next({ expires: 1000 }); if (m) { deliveries++; m.nak() } }
      })()
      await assert.rejects(s1, /trial d seed 0 failed on the queue: delivered 5 times/)
      await s1settled
      await nakAll
      assert.equal(deliveries, 5)
      // a worker that cannot run the trial answers with the error
      const q2 = fresh('error'), n2 = queueNames(q2)
      const s2 = runStudy(cfg, { outDir: join(dir, 'doomed2'), runner: queueRunner(parseQueueUrl(`${NATS}/${q2}`), { studyId: 'doomed2' }) })
      const c2 = await waitConsumer(nc, n2.trialStream, n2.workers)
      const m = (await c2.next({ expires: 5000 }))!
      const t = m.json<TrialMessage>()
      await nc.jetstream().publish(n2.resultSubject(t.studyId), jc.encode({ label: t.entry.label, seed: t.seed, entryKey: t.entryKey, worker: 'lab-7:42', delivery: 1, error: "cannot read 'net.json'" }))
      m.term()
      await assert.rejects(s2, (e: Error) => /trial d seed 0 failed on lab-7:42: cannot read 'net\.json'/.test(e.message))
    } finally {
      await nc.close()
    }
  })

  it('a bad --queue is a usage error naming the flag (exit code 2); redis:// says why', async () => {
    assert.throws(() => parseQueueUrl('redis://127.0.0.1:6379'), /EQP_ERR_BAD_INPUT|--queue: redis:\/\/ \(BullMQ\) is not supported/)
    assert.throws(() => parseQueueUrl('nats://127.0.0.1:4222/bad.name'), /queue name 'bad\.name'/)
    assert.deepEqual(parseQueueUrl('nats://10.0.0.5/lab'), { url: 'nats://10.0.0.5/lab', servers: '10.0.0.5:4222', name: 'lab' })
    assert.equal(parseQueueUrl('nats://127.0.0.1:4222').name, 'eqprop-study')
    const w = await cli(['worker', '--queue', 'redis://127.0.0.1:6379'])
    assert.equal(w.code, 2)
    assert.match(w.stderr, /EQP_ERR_BAD_INPUT: --queue: redis:\/\//)
    const s = await cli(['study', '--config', write('small2.json', SMALL), '--queue', `${NATS}/x`, '--workers', '2'])
    assert.equal(s.code, 2)
    assert.match(s.stderr, /--workers and --queue exclude each other/)
    const st = await cli(['worker', '--queue', `${NATS}/x`, '--store', join(dir, 'runs.sqlite')])
    assert.equal(st.code, 2)
    assert.match(st.stderr, /--store: '.*runs\.sqlite' is not a shared store; give postgres:\/\//)
    const pg = await cli(['worker', '--queue', `${NATS}/x`, '--store', 'postgres://postgres@127.0.0.1:5432/eqp_test_absent_db'])
    assert.equal(pg.code, 2, pg.stderr)
    assert.match(pg.stderr, /EQP_ERR_BAD_INPUT: store: cannot reach PostgreSQL/)
    const c = await cli(['worker', '--queue', `${NATS}/x`, '--concurrency', '0'])
    assert.equal(c.code, 2)
    assert.match(c.stderr, /--concurrency: 0 is below the minimum 1/)
  })

  it('an unreachable server is EQP_ERR_QUEUE_CONNECT (exit code 1, nothing trained)', async () => {
    const r = await cli(['worker', '--queue', 'nats://127.0.0.1:1/none'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /cannot reach the trial queue at nats:\/\/127\.0\.0\.1:1\/none/)
  })
})
