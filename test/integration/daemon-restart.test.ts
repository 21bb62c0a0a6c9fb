// The daemon as a real process: killed with SIGKILL mid-run, restarted on the same data directory, the
// run resumes from its last checkpoint and ends bit-identical to an uninterrupted run with the same seed.
// A SIGTERM instead checkpoints the run at a step boundary, and --auto-resume continues it.
import assert from 'node:assert/strict'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { TrainConfig } from '../../src/engine/config.ts'
import type { EngineEvent } from '../../src/engine/events.ts'
import { trainOnSimulator } from '../../src/services/training.ts'
import { call, readSse, spawnDaemon, tempDir, type DaemonProcess } from '../support/daemon.ts'

const HP = { epochs: 40, seed: 5, optimiser: { kind: 'adam' as const }, lr: 0.02, batchSize: 16, evalEvery: 10 }

/** The uninterrupted run, in this process, and its epoch metrics. */
async function reference(network: Parameters<typeof trainOnSimulator>[0]) {
  const epochs: number[] = []
  const r = await trainOnSimulator(network, { task: 'iris', train: TrainConfig.parse(HP) }, (e: EngineEvent) => { if (e.type === 'epoch') epochs.push(e.metrics.distance) })
  return { network: r.network, epochDistances: epochs }
}

describe('daemon restart', () => {
  const alive: DaemonProcess[] = []
  const start = async (args: string[]) => { const p = await spawnDaemon(args); alive.push(p); return p }
  after(() => { for (const p of alive) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL') })

  it('resumes a run killed with SIGKILL from its last checkpoint to bit-identical parameters', async () => {
    const dir = tempDir('kill9')
    const a = await start(['--data-dir', dir, '--checkpoint-every', '4'])
    const dev = await call(a.url, 'POST', '/devices', { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 5 })
    assert.equal(dev.status, 201, dev.text)
    const run = await call(a.url, 'POST', '/runs', { device: dev.body.id, task: 'iris', ...HP })
    assert.equal(run.status, 202, run.text)
    const id = run.body.id
    // kill as soon as a checkpoint past step 12 is stored: mid-run, with work after the checkpoint lost
    const seen = await readSse(`${a.url}/runs/${id}/events`, { stop: (e) => e.event === 'checkpoint' && e.data.checkpoint.step >= 12 })
    a.child.kill('SIGKILL')
    assert.equal(await a.exited, null, 'killed by a signal')
    const killedAt = seen.at(-1)!.data.checkpoint.step

    const b = await start(['--data-dir', dir])
    const v = (await call(b.url, 'GET', `/runs/${id}`)).body
    assert.equal(v.state, 'suspended')
    assert.equal(v.interrupted, true)
    assert.match(v.stateReason, /interrupted/)
    assert.ok(v.checkpoint.step >= killedAt, `checkpoint at step ${v.checkpoint.step}, killed after ${killedAt}`)
    assert.ok(v.checkpoint.step < 320, 'the run had not finished')
    // the device is still held by the interrupted run
    assert.equal((await call(b.url, 'PUT', `/devices/${dev.body.id}/params`, { weights: new Array(24).fill(0) })).status, 409)
    const res = await call(b.url, 'POST', `/runs/${id}/resume`)
    assert.equal(res.status, 200, res.text)
    assert.match(res.body.stateReason, /from checkpoint \d+ \(epoch \d+, step \d+\)/)
    const tail = await readSse(`${b.url}/runs/${id}/events`)
    assert.equal(tail.at(-1)!.data.to, 'done')
    const done = (await call(b.url, 'GET', `/runs/${id}`)).body
    assert.equal(done.state, 'done')

    const ref = await reference(done.provenance.network)
    assert.deepEqual(done.result.network, ref.network, 'final parameters identical to an uninterrupted run')
    const epochs = (await call(b.url, 'GET', `/runs/${id}/metrics?kind=epoch`)).body.rows
    assert.deepEqual(epochs.map((r: { distance: number }) => r.distance), ref.epochDistances, 'and so is the metrics series, without duplicates')

    b.child.kill('SIGTERM')
    assert.equal(await b.exited, 0)
    const db = new Database(join(dir, 'eqprop-hil.sqlite'), { readonly: true })
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok')
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
    } finally { db.close() }
  })

  it('checkpoints running runs on SIGTERM and continues them with --auto-resume', async () => {
    const dir = tempDir('sigterm')
    const a = await start(['--data-dir', dir, '--checkpoint-every', '0'])
    const dev = (await call(a.url, 'POST', '/devices', { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 6 })).body
    const id = (await call(a.url, 'POST', '/runs', { device: dev.id, task: 'iris', ...HP, seed: 6 })).body.id
    await readSse(`${a.url}/runs/${id}/events`, { stop: (e) => e.event === 'batch' && e.data.row.step >= 20 })
    a.child.kill('SIGTERM')
    assert.equal(await a.exited, 0, a.stderr())

    const b = await start(['--data-dir', dir, '--auto-resume'])
    const events = await readSse(`${b.url}/runs/${id}/events`)
    const states = events.filter((e) => e.event === 'state').map((e) => `${e.data.to}${e.data.reason ? ': ' + e.data.reason : ''}`)
    assert.equal(states[0], 'queued')
    assert.match(states[2], /^suspended: interrupted: daemon shutdown/)
    assert.match(states[3], /^running: auto-resume from checkpoint/)
    assert.equal(states.at(-1), 'done')
    // with checkpoints only at epoch ends, the shutdown itself wrote the one it resumed from
    const cps = events.filter((e) => e.event === 'checkpoint').map((e) => e.data.checkpoint)
    assert.ok(cps.some((c) => c.reason === 'stop' && c.step >= 20 && c.batch > 0))
    const done = (await call(b.url, 'GET', `/runs/${id}`)).body
    const ref = await trainOnSimulator(done.provenance.network, { task: 'iris', train: TrainConfig.parse({ ...HP, seed: 6 }) })
    assert.deepEqual(done.result.network, ref.network)
    b.child.kill('SIGTERM')
    assert.equal(await b.exited, 0)
  })
})
