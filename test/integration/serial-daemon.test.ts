// A serial board attached to the daemon through POST /devices: the TS virtual board on a socat pty,
// the daemon in process on a loopback port. The board's uid and topology come back, its status shows
// on GET /devices/:id, a short XOR run trains on it, a restart reopens it by path, detach closes it;
// a path with no port behind it is a coded error naming the path, never a 500.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { startBoard, type RunningBoard } from '../../src/services/boards.ts'
import { call, inProcessDaemon, readSse, tempDir } from '../support/daemon.ts'

const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)

describe('a serial board attached to the daemon', { skip: NO_SOCAT }, () => {
  let board: RunningBoard
  let d: Daemon | null = null
  const dataDir = tempDir('serial-daemon')
  before(async () => {
    board = await startBoard({ network: xorNet, board: { uid: 'vb-daemon-1' } })
    d = await inProcessDaemon({ dataDir })
  })
  after(async () => {
    await d?.close().catch(() => {})
    await board?.close().catch(() => {})
  })

  it('attaches by path with the board\'s uid and topology, shows its status, and trains XOR on it', async () => {
    const url = d!.url
    const dev = await call(url, 'POST', '/devices', { kind: 'serial', path: board.hostPath, replyTimeoutS: 0.3, name: 'bench board' })
    assert.equal(dev.status, 201, dev.text)
    assert.equal(dev.body.kind, 'serial')
    assert.equal(dev.body.info.uid, 'vb-daemon-1')
    assert.equal(dev.body.network.nodes, xorNet.nodes)
    assert.equal(dev.body.network.couplings, xorNet.edges.length)
    assert.deepEqual(dev.body.network.inputs, xorNet.inputs)
    assert.deepEqual(dev.body.network.outputs, xorNet.outputs)
    assert.deepEqual(dev.body.description.edges, xorNet.edges)
    assert.equal(dev.body.description.model, 'xy')
    assert.equal(dev.body.description.weights.length, xorNet.edges.length)
    assert.equal(dev.body.description.bias.h.length, xorNet.nodes)

    const got = await call(url, 'GET', `/devices/${dev.body.id}`)
    assert.equal(got.status, 200, got.text)
    assert.equal(got.body.status.state, 'ready')
    assert.equal(got.body.status.uid, 'vb-daemon-1')
    assert.ok(got.body.status.counters.commands > 0)
    assert.equal(typeof got.body.status.diagnostics, 'object')

    const run = await call(url, 'POST', '/runs', { device: dev.body.id, task: 'xor', epochs: 3, batchSize: 4, seed: 3, evalEvery: 0 })
    assert.equal(run.status, 202, run.text)
    const events = await readSse(`${url}/runs/${run.body.id}/events`)
    assert.deepEqual(events.filter((e) => e.event === 'state').map((e) => e.data.to), ['queued', 'running', 'done'])
    assert.deepEqual(events.filter((e) => e.event === 'epoch').map((e) => e.data.row.epoch), [1, 2, 3])
    const after = await call(url, 'GET', `/devices/${dev.body.id}`)
    assert.equal(after.body.stats.relaxCalls > 0, true)
    assert.equal(after.body.lease, null)
  })

  it('reopens the board by path when the daemon restarts, and detach closes it', async () => {
    await d!.close()
    d = await inProcessDaemon({ dataDir })
    const url = d.url
    const list = await call(url, 'GET', '/devices')
    assert.equal(list.status, 200, list.text)
    assert.equal(list.body.devices.length, 1)
    const dev = list.body.devices[0]
    assert.equal(dev.kind, 'serial')
    assert.equal(dev.status.state, 'ready')
    assert.equal(dev.info.uid, 'vb-daemon-1')
    const del = await call(url, 'DELETE', `/devices/${dev.id}`)
    assert.equal(del.status, 204, del.text)
    assert.equal((await call(url, 'GET', `/devices/${dev.id}`)).status, 404)
    // the port is free again: the board can be attached once more
    const again = await call(url, 'POST', '/devices', { kind: 'serial', path: board.hostPath, replyTimeoutS: 0.3 })
    assert.equal(again.status, 201, again.text)
  })

  it('refuses a path with no port behind it with a coded error naming the path', async () => {
    const path = '/nonexistent/eqp-no-such-tty'
    const r = await call(d!.url, 'POST', '/devices', { kind: 'serial', path })
    assert.ok(r.status >= 400 && r.status !== 500, `${r.status} ${r.text}`)
    assert.equal(r.body.code, 'EQP_ERR_DEVICE_PORT_OPEN')
    assert.ok(r.body.message.includes(path), r.body.message)
    assert.equal((await call(d!.url, 'GET', '/devices')).body.devices.length, 1, 'nothing was attached')
  })
})
