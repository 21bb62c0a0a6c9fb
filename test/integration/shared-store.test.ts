// Several daemons on one PostgreSQL store (the machine's real server, a fresh database per test):
// they see each other's runs and streams, draw distinct ids, refuse to change each other's runs, and a
// daemon killed with SIGKILL is taken over under its name by another process, which resumes its run
// from the last checkpoint to bit-identical parameters.
import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { VirtualBoard } from '../../drivers/board/virtual-board.ts'
import { attachBoardToBroker } from '../../drivers/transports/mqtt.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import type { Daemon } from '../../src/api/daemon.ts'
import { connect } from 'nats'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { startBoard } from '../../src/services/boards.ts'
import { parseStudyConfig } from '../../src/services/study/config.ts'
import { queueRunner, studyIdFor } from '../../src/services/study/queue-study.ts'
import { runStudy } from '../../src/services/study/run.ts'
import { parseQueueUrl, queueNames } from '../../src/services/study/trial-queue.ts'
import { NO_MOSQUITTO, startMosquitto } from '../support/mosquitto.ts'
import { trainOnSimulator } from '../../src/services/training.ts'
import { BIN, call, inProcessDaemon, readSse, spawnDaemon, tempDir, type DaemonProcess } from '../support/daemon.ts'
import { freshDatabase, type TestDatabase } from '../support/postgres.ts'
import { stderrLines } from '../support/stderr-lines.ts'

const HP = { epochs: 40, seed: 5, optimiser: { kind: 'adam' as const }, lr: 0.02, batchSize: 16, evalEvery: 10 }
const IRIS_NET = buildNetwork({ kind: 'layered', sizes: [4, 5, 3], weightStd: 0.5, bias: 'random' }, { inputs: 4, outputs: 3 }, 2)
/** A fleet of boards trains exactly what one board trains (test/integration/mqtt-daemon.test.ts). */
const FLEET_HP = { epochs: 3, batchSize: 8, optimiser: { kind: 'adam' as const }, lr: 0.05, seed: 3, evalEvery: 0 }
const LAB_STUDY = { name: 'lab', entries: [{ label: 'slow', network: 'lattice:4x4', task: 'xor', epochs: 25, seeds: 2, batchSize: 4, mInit: 3 }] }
const workerProcs: ChildProcess[] = []

/** An `eqprop-hil worker` process writing its trials to `store`; waitFor resolves at the first stderr line matching. */
function worker(queue: string, store: string) {
  const c = spawn(process.execPath, [BIN, 'worker', '--queue', `nats://127.0.0.1:4222/${queue}`, '--store', store], { stdio: ['ignore', 'ignore', 'pipe'] })
  workerProcs.push(c)
  const { lines, waitFor } = stderrLines(c, 'worker')
  return { c, lines, waitFor }
}

const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const DEVICE = { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 5 }

describe('shared PostgreSQL store', () => {
  const dbs: TestDatabase[] = []
  const daemons: Daemon[] = []
  const procs: DaemonProcess[] = []
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    for (const d of daemons) await d.close().catch(() => {})
    for (const d of dbs) await d.drop()
  })
  const db = async () => { const d = await freshDatabase(); dbs.push(d); return d }

  it('two daemons see each other\'s runs and streams, draw distinct ids, and change only their own runs', async () => {
    const { url } = await db()
    const a = await inProcessDaemon({ store: url, daemonId: 'lab-a' })
    daemons.push(a)
    const b = await inProcessDaemon({ store: url, daemonId: 'lab-b' })
    daemons.push(b)
    // the same name twice is refused while its holder lives
    await assert.rejects(inProcessDaemon({ store: url, daemonId: 'lab-a' }), /daemonId: 'lab-a' is held on the shared store/)

    const devA = (await call(a.url, 'POST', '/devices', DEVICE)).body
    const devB = (await call(b.url, 'POST', '/devices', { ...DEVICE, seed: 6 })).body
    assert.deepEqual([devA.id, devB.id], ['dev-1', 'dev-2'])
    assert.deepEqual((await call(b.url, 'GET', '/devices')).body.devices.map((d: { id: string }) => d.id), ['dev-2'], 'each daemon drives its own boards')

    const runA = (await call(a.url, 'POST', '/runs', { device: devA.id, task: 'iris', ...HP, epochs: 3 })).body
    const runB = (await call(b.url, 'POST', '/runs', { device: devB.id, task: 'iris', ...HP, epochs: 3, seed: 6 })).body
    assert.deepEqual([runA.id, runB.id], ['run-1', 'run-2'])
    // B follows A's run through the store, to its end
    const seen = await readSse(`${b.url}/runs/${runA.id}/events`)
    assert.equal(seen.at(-1)!.data.to, 'done')
    assert.deepEqual(seen.map((e) => e.id), seen.map((_, k) => k + 1), 'every event, in order, none twice')
    await b.services.runs.idle(runB.id)
    for (const d of [a, b]) {
      const list = (await call(d.url, 'GET', '/runs')).body.runs
      assert.deepEqual(list.map((r: { id: string; state: string }) => `${r.id}:${r.state}`), ['run-1:done', 'run-2:done'])
    }
    const viaB = (await call(b.url, 'GET', `/runs/${runA.id}`)).body
    assert.deepEqual(viaB.result, (await call(a.url, 'GET', `/runs/${runA.id}`)).body.result)
    assert.match(viaB.provenance.versions.postgres, /^\d+\./)
    const epochs = (await call(b.url, 'GET', `/runs/${runA.id}/metrics?kind=epoch`)).body.rows
    assert.equal(epochs.length, 3)

    // a run on A's device, queued behind nothing: B may read it but not cancel it
    const runC = (await call(a.url, 'POST', '/runs', { device: devA.id, task: 'iris', ...HP, epochs: 200 })).body
    const refused = await call(b.url, 'POST', `/runs/${runC.id}/cancel`)
    assert.equal(refused.status, 409)
    assert.equal(refused.body.code, 'EQP_ERR_RUN_ELSEWHERE')
    assert.match(refused.body.message, /daemon 'lab-a'/)
    assert.equal((await call(a.url, 'POST', `/runs/${runC.id}/cancel`)).body.state, 'cancelled')
    // uploaded tables are shared too
    const up = await call(a.url, 'POST', '/datasets', { name: 'tiny', csv: 'x,y,label\n0,0,a\n1,1,b\n0,1,a\n1,0,b\n', labelColumn: 'label', testFraction: 0.5 })
    assert.equal(up.status, 201, up.text)
    assert.equal((await call(b.url, 'GET', '/datasets/tiny')).status, 200)
    assert.equal((await call(b.url, 'POST', '/datasets', { name: 'tiny', csv: 'x,label\n0,a\n1,b\n', labelColumn: 'label' })).status, 409)
  })

  it('lets one daemon at a time hold an MQTT board that both see on a shared broker', async () => {
    const { url } = await db()
    const a = await inProcessDaemon({ store: url, daemonId: 'lab-a', mqttEmbedded: true, mqttPort: 0 })
    daemons.push(a)
    const b = await inProcessDaemon({ store: url, daemonId: 'lab-b', mqtt: { url: a.mqttUrl! } })
    daemons.push(b)
    const vb = new VirtualBoard(buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1), { uid: 'shared-1' })
    const att = await attachBoardToBroker(vb, 'shared-1', { url: a.mqttUrl! }, { reconnectS: 0.2 })
    try {
      // B lists the board another host announced on the broker
      let listed = false
      for (let k = 0; k < 50 && !listed; k++) {
        listed = JSON.stringify((await call(b.url, 'GET', '/boards')).body).includes('shared-1')
        if (!listed) await new Promise((r) => setTimeout(r, 100))
      }
      assert.ok(listed, 'B lists the board')
      const got = await call(a.url, 'POST', '/devices', { kind: 'mqtt', uid: 'shared-1' })
      assert.equal(got.status, 201, got.text)
      const refused = await call(b.url, 'POST', '/devices', { kind: 'mqtt', uid: 'shared-1' })
      assert.equal(refused.status, 409, refused.text)
      assert.equal(refused.body.code, 'EQP_ERR_BOARD_HELD')
      assert.match(refused.body.message, /daemon 'lab-a'/)
      assert.equal((await call(a.url, 'DELETE', `/devices/${got.body.id}`)).status, 204)
      const now = await call(b.url, 'POST', '/devices', { kind: 'mqtt', uid: 'shared-1' })
      assert.equal(now.status, 201, now.text)
      assert.equal((await call(a.url, 'POST', '/devices', { kind: 'mqtt', uid: 'shared-1' })).body.code, 'EQP_ERR_BOARD_HELD')
    } finally {
      await att.close()
      await vb.close()
    }
  })

  it('lets one daemon at a time hold a serial board, known by the uid of its HELLO', { skip: NO_SOCAT }, async () => {
    const { url } = await db()
    const a = await inProcessDaemon({ store: url, daemonId: 'lab-a' })
    daemons.push(a)
    const b = await inProcessDaemon({ store: url, daemonId: 'lab-b' })
    daemons.push(b)
    // one board seen on two ports (say, a hub reachable from two hosts): the uid it reports is what counts, not the path
    const net = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)
    const ports = [await startBoard({ network: net, board: { uid: 'serial-shared-1' } }), await startBoard({ network: net, board: { uid: 'serial-shared-1' } })]
    try {
      const got = await call(a.url, 'POST', '/devices', { kind: 'serial', path: ports[0].hostPath, replyTimeoutS: 0.3 })
      assert.equal(got.status, 201, got.text)
      const refused = await call(b.url, 'POST', '/devices', { kind: 'serial', path: ports[1].hostPath, replyTimeoutS: 0.3 })
      assert.equal(refused.status, 409, refused.text)
      assert.equal(refused.body.code, 'EQP_ERR_BOARD_HELD')
      assert.match(refused.body.message, /board 'serial-shared-1' .*daemon 'lab-a'/)
      assert.deepEqual((await call(b.url, 'GET', '/devices')).body.devices, [], 'B attached nothing')
      assert.equal((await call(a.url, 'DELETE', `/devices/${got.body.id}`)).status, 204)
      const now = await call(b.url, 'POST', '/devices', { kind: 'serial', path: ports[1].hostPath, replyTimeoutS: 0.3 })
      assert.equal(now.status, 201, now.text)
      assert.equal((await call(a.url, 'POST', '/devices', { kind: 'serial', path: ports[0].hostPath, replyTimeoutS: 0.3 })).body.code, 'EQP_ERR_BOARD_HELD')
      assert.equal((await call(b.url, 'DELETE', `/devices/${now.body.id}`)).status, 204)
    } finally {
      for (const p of ports) await p.close().catch(() => {})
    }
  })

  it('takes over a SIGKILLed daemon under its name on another data directory and resumes its run bit-identically', async () => {
    const { url } = await db()
    const common = ['--store', url, '--daemon-id', 'lab-k', '--lease', '2']
    const start = async (args: string[]) => { const p = await spawnDaemon(args); procs.push(p); return p }
    const a = await start([...common, '--data-dir', tempDir('pg-a'), '--checkpoint-every', '4'])
    const dev = (await call(a.url, 'POST', '/devices', DEVICE)).body
    const id = (await call(a.url, 'POST', '/runs', { device: dev.id, task: 'iris', ...HP })).body.id
    const seen = await readSse(`${a.url}/runs/${id}/events`, { stop: (e) => e.event === 'checkpoint' && e.data.checkpoint.step >= 12 })
    a.child.kill('SIGKILL')
    assert.equal(await a.exited, null)
    const killedAt = seen.at(-1)!.data.checkpoint.step

    // until the dead daemon's lease runs out, its name is refused (exit 2); then the new process takes it
    let b: DaemonProcess | null = null
    for (let tries = 0; b === null; tries++) {
      try {
        b = await start([...common, '--data-dir', tempDir('pg-b'), '--auto-resume'])
      } catch (e) {
        assert.match((e as Error).message, /exited with 2 .*daemonId: 'lab-k' is held/s)
        assert.ok(tries < 10, 'the lease ran out')
        await new Promise((r) => setTimeout(r, 500))
      }
    }
    const events = await readSse(`${b.url}/runs/${id}/events`)
    const states = events.filter((e) => e.event === 'state').map((e) => `${e.data.to}${e.data.reason ? ': ' + e.data.reason : ''}`)
    assert.match(states.find((s) => s.startsWith('suspended'))!, /interrupted/)
    const resumed = states.find((s) => s.startsWith('running: auto-resume'))!
    const from = Number(/step (\d+)\)/.exec(resumed)![1])
    assert.ok(from >= killedAt, `resumed from step ${from}, killed after ${killedAt}`)
    assert.equal(states.at(-1), 'done')
    const done = (await call(b.url, 'GET', `/runs/${id}`)).body
    const ref = await trainOnSimulator(done.provenance.network, { task: 'iris', train: TrainConfig.parse(HP) }, () => {})
    assert.deepEqual(done.result.network, ref.network, 'final parameters identical to an uninterrupted run')
    const rows = (await call(b.url, 'GET', `/runs/${id}/metrics?kind=epoch`)).body.rows
    assert.deepEqual(rows.map((r: { epoch: number }) => r.epoch), Array.from({ length: 40 }, (_, k) => k + 1), 'no epoch twice')
    b.child.kill('SIGTERM')
    assert.equal(await b.exited, 0)
  })

  it('a lab: two daemons share a board fleet and two workers a study; a daemon and a worker SIGKILLed mid-run lose nothing (--adopt-orphans, worker --store)', { skip: NO_MOSQUITTO, timeout: 240_000 }, async () => {
    const { url } = await db()
    const m = await startMosquitto()
    const boards: { close(): unknown }[] = []
    const queue = `lab${process.pid}x${Date.now().toString(36)}`
    try {
      // two virtual boards announced on the lab's broker, as two hosts' benches would
      for (const uid of ['lab-fleet-0', 'lab-fleet-1']) {
        const vb = new VirtualBoard(IRIS_NET, { uid })
        boards.push(vb, await attachBoardToBroker(vb, uid, { url: m.url }, { reconnectS: 0.2 }))
      }
      const start = async (args: string[]) => { const p = await spawnDaemon(['--store', url, '--lease', '2', '--mqtt', m.url, ...args]); procs.push(p); return p }
      const a = await start(['--daemon-id', 'lab-dies', '--data-dir', tempDir('pg-dies'), '--checkpoint-every', '4'])
      const b = await start(['--daemon-id', 'lab-adopts', '--data-dir', tempDir('pg-adopts'), '--adopt-orphans'])
      const workers = [worker(queue, url), worker(queue, url)]
      await Promise.all(workers.map((w) => w.waitFor(/worker ready/)))

      // A holds the board fleet (both boards, the same start) and trains on a simulated device
      const ids: string[] = []
      for (const uid of ['lab-fleet-0', 'lab-fleet-1']) {
        let dev = await call(a.url, 'POST', '/devices', { kind: 'mqtt', uid })
        for (let k = 0; k < 50 && dev.status === 404; k++) { await new Promise((r) => setTimeout(r, 100)); dev = await call(a.url, 'POST', '/devices', { kind: 'mqtt', uid }) }
        assert.equal(dev.status, 201, dev.text)
        assert.equal((await call(a.url, 'PUT', `/devices/${dev.body.id}/params`, { weights: IRIS_NET.weights, h: IRIS_NET.bias!.h, psi: IRIS_NET.bias!.psi })).status, 200)
        ids.push(dev.body.id)
      }
      assert.equal((await call(b.url, 'POST', '/devices', { kind: 'mqtt', uid: 'lab-fleet-0' })).body.code, 'EQP_ERR_BOARD_HELD', 'B cannot take A\'s board')
      const sim = (await call(a.url, 'POST', '/devices', DEVICE)).body
      const id = (await call(a.url, 'POST', '/runs', { device: sim.id, task: 'iris', ...HP })).body.id
      // the study goes to the two workers meanwhile
      const viaQueue = tempDir('lab-study'), local = tempDir('lab-study-local')
      const study = runStudy(parseStudyConfig(LAB_STUDY, 'lab'), { outDir: viaQueue, runner: queueRunner(parseQueueUrl(`nats://127.0.0.1:4222/${queue}`), { studyId: studyIdFor(viaQueue), ackWaitS: 1 }) })
      study.catch(() => {})

      // B follows A's run from the start, through the store, and keeps following it after it adopts it
      const followed = readSse(`${b.url}/runs/${id}/events`)
      const first = await Promise.race(workers.map((w, k) => w.waitFor(/^start slow seed \d+ \(delivery 1\)/).then(() => k)))
      const doomed = workers[first], survivor = workers[1 - first]
      doomed.c.kill('SIGKILL')
      const seen = await readSse(`${a.url}/runs/${id}/events`, { stop: (e) => e.event === 'checkpoint' && e.data.checkpoint.step >= 12 })
      a.child.kill('SIGKILL')
      assert.equal(await a.exited, null)
      const killedAt = seen.at(-1)!.data.checkpoint.step

      // the daemon's run: adopted by B, resumed from its checkpoint, finished to the parameters of an uninterrupted run
      const events = await followed
      assert.deepEqual(events.map((e) => e.id), events.map((_, k) => k + 1), 'every event once, in order, across the adoption')
      const states = events.filter((e) => e.event === 'state').map((e) => `${e.data.to}${e.data.reason ? ': ' + e.data.reason : ''}`)
      assert.match(states.find((s) => s.startsWith('suspended'))!, /daemon 'lab-dies' died .*adopted by 'lab-adopts'/)
      const resumed = states.find((s) => s.startsWith('running: adopted'))!
      assert.ok(Number(/step (\d+)\)/.exec(resumed)![1]) >= killedAt, resumed)
      assert.equal(states.at(-1), 'done')
      const done = (await call(b.url, 'GET', `/runs/${id}`)).body
      const ref = await trainOnSimulator(done.provenance.network, { task: 'iris', train: TrainConfig.parse(HP) }, () => {})
      assert.deepEqual(done.result.network, ref.network, 'final parameters identical to an uninterrupted run')
      const rows = (await call(b.url, 'GET', `/runs/${id}/metrics?kind=epoch`)).body.rows
      assert.deepEqual(rows.map((r: { epoch: number }) => r.epoch), Array.from({ length: HP.epochs }, (_, k) => k + 1), 'no epoch twice')
      // A's boards are B's now (devices and leases): B trains the fleet, to exactly what one board trains
      assert.deepEqual((await call(b.url, 'GET', '/devices')).body.devices.map((d: { id: string }) => d.id), [...ids, sim.id])
      const fleet = (await call(b.url, 'POST', '/runs', { device: ids[0], fleet: ids.slice(1), task: 'iris', ...FLEET_HP })).body.id
      const fleetDone = (await readSse(`${b.url}/runs/${fleet}/events`)).filter((e) => e.event === 'state').at(-1)!
      assert.equal(fleetDone.data.to, 'done', fleetDone.data.reason)
      const fv = (await call(b.url, 'GET', `/runs/${fleet}`)).body
      const board = new Trainer(new QuantisedXySubstrate(fv.provenance.network), fv.provenance.network, loadDataset('iris', FLEET_HP.seed), TrainConfig.parse(FLEET_HP))
      await board.train()
      assert.deepEqual(fv.result.network.weights, board.trainedNetwork().weights)

      // the study: the killed worker's trial went to the other; the table equals a local run's
      await study
      assert.ok(!doomed.lines.some((l) => l.startsWith('done ')), 'the killed worker finished nothing')
      assert.ok(survivor.lines.some((l) => /^done slow seed \d+ \(delivery [2-9]\)/.test(l)), survivor.lines.join('\n'))
      await runStudy(parseStudyConfig(LAB_STUDY, 'lab'), { outDir: local, workers: 1 })
      const runFiles = (dir: string) => Object.fromEntries(readdirSync(dir).filter((f) => f.includes('-seed')).sort().map((f) => {
        const { wallS: _w, ...rest } = JSON.parse(readFileSync(join(dir, f), 'utf8'))
        return [f, rest]
      }))
      assert.deepEqual(runFiles(viaQueue), runFiles(local), 'every trial equal, bit for bit, but its wall time')
      // every run of the lab, on the daemon that lived: the fleet run and one finished run per trial
      const listed = (await call(b.url, 'GET', '/runs')).body.runs as { id: string; label: string | null; state: string }[]
      assert.deepEqual(listed.map((r) => `${r.label ?? r.id}:${r.state}`).sort(), [`${id}:done`, `${fleet}:done`, 'slow-seed0:done', 'slow-seed1:done'].sort())
      // A's name is free again: a daemon restarted under it finds nothing left to reopen
      const again = await start(['--daemon-id', 'lab-dies', '--data-dir', tempDir('pg-dies-2')])
      assert.deepEqual((await call(again.url, 'GET', '/devices')).body.devices, [])
      for (const p of [again, b]) { p.child.kill('SIGTERM'); assert.equal(await p.exited, 0) }
    } finally {
      for (const w of workerProcs) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL')
      for (const x of boards.reverse()) await Promise.resolve(x.close()).catch(() => {})
      await m.stop()
      const nc = await connect({ servers: '127.0.0.1:4222' })
      const jsm = await nc.jetstreamManager()
      for (const st of [queueNames(queue).trialStream, queueNames(queue).resultStream]) await jsm.streams.delete(st).catch(() => undefined)
      await nc.close()
    }
  })

  it('--adopt-orphans needs a shared store: exit code 2 on a SQLite file', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', tempDir('sqlite-adopt'), '--adopt-orphans'], (err, _out, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stderr }))
    })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /EQP_ERR_BAD_INPUT: adoptOrphans: needs a shared store/)
  })

  it('a store URL that does not lead to a database is a CLI error with exit code 2', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', tempDir('pg-bad'), '--store', 'postgres://postgres:pw@127.0.0.1:5432/eqp_test_absent_db'], (err, _out, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stderr }))
    })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /EQP_ERR_BAD_INPUT: store: cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/eqp_test_absent_db.*does not exist/)
  })
})
