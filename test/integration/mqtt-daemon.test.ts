// The daemon and boards on a broker: boards announce themselves, GET /boards lists them, POST /devices
// attaches one by uid, a run trains XOR on it and its metrics read back; with a real mosquitto and with
// the embedded broker (serve --mqtt-embedded). A fleet of 4 boards over mosquitto trains Iris to
// exactly the parameters of one simulated board at board resolution given the full batches.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { VirtualBoard } from '../../drivers/board/virtual-board.ts'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import { attachBoardToBroker, type MqttOptionsInput } from '../../drivers/transports/mqtt.ts'
import type { Daemon } from '../../src/api/daemon.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { BIN, call, inProcessDaemon, tempDir } from '../support/daemon.ts'
import { freePort, NO_MOSQUITTO, startMosquitto } from '../support/mosquitto.ts'

const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)
const irisNet = buildNetwork({ kind: 'layered', sizes: [4, 5, 3], weightStd: 0.5, bias: 'random' }, { inputs: 4, outputs: 3 }, 2)
const HP = { seed: 3, evalEvery: 0 }

const cleanup: (() => Promise<unknown> | void)[] = []
after(async () => { for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {}) })

async function boardOn(net: typeof xorNet, uid: string, mqtt: MqttOptionsInput) {
  const vb = new VirtualBoard(net, { uid })
  cleanup.push(() => vb.close())
  const att = await attachBoardToBroker(vb, uid, mqtt, { reconnectS: 0.2 })
  cleanup.push(() => att.close())
  return { vb, att }
}

async function until<T>(what: string, f: () => Promise<T | null>, timeoutS = 10): Promise<T> {
  const end = Date.now() + timeoutS * 1000
  for (;;) {
    const v = await f()
    if (v !== null) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Lists, attaches and trains XOR on one board through the daemon's API. */
async function attachAndTrain(d: Daemon, uid: string) {
  const boards = await until('the board in GET /boards', async () => {
    const r = await call(d.url, 'GET', '/boards')
    return r.body.boards.some((b: { uid: string; state: string }) => b.uid === uid && b.state === 'online') ? r.body : null
  })
  assert.equal(boards.broker.url, d.mqttUrl)
  const listed = boards.boards.find((b: { uid: string }) => b.uid === uid)
  assert.equal(listed.device, null)
  assert.equal(listed.nodes, xorNet.nodes)
  const dev = await call(d.url, 'POST', '/devices', { kind: 'mqtt', uid, name: 'bench board' })
  assert.equal(dev.status, 201, dev.text)
  assert.equal(dev.body.kind, 'mqtt')
  assert.equal(dev.body.info.uid, uid)
  assert.equal(dev.body.status.state, 'ready')
  const after = (await call(d.url, 'GET', '/boards')).body.boards.find((b: { uid: string }) => b.uid === uid)
  assert.equal(after.device, dev.body.id)
  const run = await call(d.url, 'POST', '/runs', { device: dev.body.id, task: 'xor', epochs: 6, batchSize: 4, ...HP })
  assert.equal(run.status, 202, run.text)
  await d.services.runs.idle(run.body.id)
  const v = (await call(d.url, 'GET', `/runs/${run.body.id}`)).body
  assert.equal(v.state, 'done', v.stateReason)
  const m = (await call(d.url, 'GET', `/runs/${run.body.id}/metrics?kind=epoch`)).body
  assert.equal(m.rows.length, 6)
  // the board trained exactly what the simulator at board resolution trains from the same start
  const t = new Trainer(new QuantisedXySubstrate(v.provenance.network), v.provenance.network, loadDataset('xor', 3), TrainConfig.parse({ epochs: 6, batchSize: 4, ...HP }))
  await t.train()
  assert.deepEqual(v.result.network.weights, t.trainedNetwork().weights)
  return dev.body.id as string
}

describe('the daemon with the embedded broker (serve --mqtt-embedded)', () => {
  it('lists a board that announces itself, attaches it by uid and trains XOR on it', async () => {
    const d = await inProcessDaemon({ mqttEmbedded: true, mqttPort: 0 })
    cleanup.push(() => d.close())
    assert.match(d.mqttUrl!, /^mqtt:\/\/127\.0\.0\.1:\d+$/)
    // aedes speaks 3.1.1 only
    await boardOn(xorNet, 'emb-1', { url: d.mqttUrl!, protocolVersion: 4 })
    await attachAndTrain(d, 'emb-1')
  })

  it('refuses an mqtt device when the daemon has no broker and none is given, naming the field', async () => {
    const d = await inProcessDaemon()
    cleanup.push(() => d.close())
    const r = await call(d.url, 'POST', '/devices', { kind: 'mqtt', uid: 'nowhere' })
    assert.equal(r.status, 400)
    assert.match(r.body.message, /url/)
    assert.deepEqual((await call(d.url, 'GET', '/boards')).body, { broker: null, boards: [] })
    const bad = await call(d.url, 'POST', '/devices', { kind: 'mqtt', uid: 'a/b' })
    assert.equal(bad.status, 400)
    assert.match(bad.body.message, /uid/)
    const badQos = await call(d.url, 'POST', '/devices', { kind: 'mqtt', uid: 'q', url: 'mqtt://127.0.0.1:1', qos: 2 })
    assert.equal(badQos.status, 400)
    assert.match(badQos.body.message, /qos/)
  })

  it('eqprop-hil serve --mqtt-embedded prints the broker, and a board attached through it answers', async () => {
    const port = await freePort()
    const p = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--mqtt-embedded', '--mqtt-port', String(port), '--data-dir', tempDir('serve-mqtt'), '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] })
    cleanup.push(() => { p.kill('SIGTERM') })
    let out = ''
    p.stdout.on('data', (c) => { out += c })
    const url = await until('the daemon to print its broker', async () => (/boards on MQTT broker (mqtt:\S+) \(embedded\)/.exec(out)?.[1] ?? null), 20)
    assert.equal(url, `mqtt://127.0.0.1:${port}`)
    const base = /listening on (http:\S+)/.exec(out)![1]
    await boardOn(xorNet, 'cli-1', { url, protocolVersion: 4 })
    await until('the board listed', async () => ((await call(base, 'GET', '/boards')).body.boards.length === 1 ? true : null))
    const dev = await call(base, 'POST', '/devices', { kind: 'mqtt', uid: 'cli-1' })
    assert.equal(dev.status, 201, dev.text)
    const r = await call(base, 'POST', `/devices/${dev.body.id}/relax`, { inputs: [[0.5, -0.5]], phase: 'free', start: { kind: 'random', seed: 1 } })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.phases[0].length, xorNet.nodes)
  })
})

describe('the daemon with a real mosquitto (serve --mqtt URL)', { skip: NO_MOSQUITTO }, () => {
  it('lists, attaches and trains a board; a board that goes away shows offline', async () => {
    const m = await startMosquitto()
    cleanup.push(() => m.stop())
    const d = await inProcessDaemon({ mqtt: { url: m.url } })
    cleanup.push(() => d.close())
    const { att } = await boardOn(xorNet, 'mq-1', { url: m.url })
    await attachAndTrain(d, 'mq-1')
    await att.close()
    await until('the board offline in GET /boards', async () => {
      const b = (await call(d.url, 'GET', '/boards')).body.boards.find((x: { uid: string }) => x.uid === 'mq-1')
      return b?.state === 'offline' ? b : null
    })
  })

  it('trains Iris on a fleet of 4 boards to exactly the parameters of one board given the full batches', async () => {
    const m = await startMosquitto()
    cleanup.push(() => m.stop())
    const d = await inProcessDaemon({ mqtt: { url: m.url } })
    cleanup.push(() => d.close())
    const ids: string[] = []
    for (let k = 0; k < 4; k++) {
      await boardOn(irisNet, `fleet-${k}`, { url: m.url })
      const dev = await call(d.url, 'POST', '/devices', { kind: 'mqtt', uid: `fleet-${k}` })
      assert.equal(dev.status, 201, dev.text)
      // the boards start from the same parameters, as a lab would write them
      const w = await call(d.url, 'PUT', `/devices/${dev.body.id}/params`, { weights: irisNet.weights, h: irisNet.bias!.h, psi: irisNet.bias!.psi })
      assert.equal(w.status, 200, w.text)
      ids.push(dev.body.id)
    }
    const cfg = { epochs: 2, batchSize: 16, optimiser: { kind: 'adam' as const }, lr: 0.05, ...HP }
    const run = await call(d.url, 'POST', '/runs', { device: ids[0], fleet: ids.slice(1), task: 'iris', ...cfg })
    assert.equal(run.status, 202, run.text)
    await d.services.runs.idle(run.body.id)
    const v = (await call(d.url, 'GET', `/runs/${run.body.id}`)).body
    assert.equal(v.state, 'done', v.stateReason)
    const t = new Trainer(new QuantisedXySubstrate(v.provenance.network), v.provenance.network, loadDataset('iris', 3), TrainConfig.parse(cfg))
    await t.train()
    assert.deepEqual(v.result.network.weights, t.trainedNetwork().weights)
    for (const id of ids) {
      const dev = (await call(d.url, 'GET', `/devices/${id}`)).body
      assert.ok(dev.stats.relaxSamples > 0, `${id} relaxed no samples`)
      assert.deepEqual((await call(d.url, 'GET', `/devices/${id}/params`)).body.weights, (await call(d.url, 'GET', `/devices/${ids[0]}/params`)).body.weights)
    }
  })

  it('a daemon restart reopens its mqtt devices by uid, with their parameters', async () => {
    const m = await startMosquitto()
    cleanup.push(() => m.stop())
    const dataDir = tempDir('mqtt-restore')
    const a = await inProcessDaemon({ mqtt: { url: m.url }, dataDir })
    await boardOn(xorNet, 'keep-1', { url: m.url })
    await until('the board listed', async () => ((await call(a.url, 'GET', '/boards')).body.boards.length ? true : null))
    const dev = (await call(a.url, 'POST', '/devices', { kind: 'mqtt', uid: 'keep-1' })).body
    const w = xorNet.weights.map((v, k) => v + 0.01 * k)
    assert.equal((await call(a.url, 'PUT', `/devices/${dev.id}/params`, { weights: w })).status, 200)
    await a.close()
    const b = await inProcessDaemon({ mqtt: { url: m.url }, dataDir })
    cleanup.push(() => b.close())
    const again = (await call(b.url, 'GET', `/devices/${dev.id}`)).body
    assert.equal(again.kind, 'mqtt')
    assert.equal(again.info.uid, 'keep-1')
    assert.equal(again.status.state, 'ready')
    const p = (await call(b.url, 'GET', `/devices/${dev.id}/params`)).body.weights as number[]
    // the board speaks f32: what it holds is the stored values rounded to single precision
    p.forEach((v, k) => assert.ok(Math.abs(v - w[k]) < 1e-6, `weight ${k}: ${v} vs ${w[k]}`))
    assert.equal((await call(b.url, 'GET', '/boards')).body.boards.find((x: { uid: string }) => x.uid === 'keep-1').device, dev.id)
  })

  it('a broker restart under a daemon run costs no step: the run ends where an undisturbed one ends', async () => {
    const m = await startMosquitto()
    cleanup.push(() => m.stop())
    const d = await inProcessDaemon({ mqtt: { url: m.url } })
    cleanup.push(() => d.close())
    await boardOn(xorNet, 'restart-1', { url: m.url })
    await until('the board listed', async () => ((await call(d.url, 'GET', '/boards')).body.boards.length ? true : null))
    const dev = (await call(d.url, 'POST', '/devices', { kind: 'mqtt', uid: 'restart-1' })).body
    const cfg = { epochs: 12, batchSize: 4, ...HP }
    const run = (await call(d.url, 'POST', '/runs', { device: dev.id, task: 'xor', ...cfg })).body
    await until('step 3', async () => ((await call(d.url, 'GET', `/runs/${run.id}`)).body.progress.step >= 3 ? true : null))
    await m.stop()
    await new Promise((r) => setTimeout(r, 300))
    await m.restart()
    await d.services.runs.idle(run.id)
    const v = (await call(d.url, 'GET', `/runs/${run.id}`)).body
    assert.equal(v.state, 'done', v.stateReason)
    assert.equal(v.progress.step, 12)
    const t = new Trainer(new QuantisedXySubstrate(v.provenance.network), v.provenance.network, loadDataset('xor', 3), TrainConfig.parse(cfg))
    await t.train()
    assert.deepEqual(v.result.network.weights, t.trainedNetwork().weights)
    const st = (await call(d.url, 'GET', `/devices/${dev.id}`)).body.status
    assert.ok(st.counters.reconnects >= 1, `reconnects ${st.counters.reconnects}: the broker did go away under the run`)
  })

  it('a fleet board that drops out is suspended (recorded), the other goes on, it rejoins, and no step is lost', async () => {
    const m = await startMosquitto()
    cleanup.push(() => m.stop())
    const d = await inProcessDaemon({ mqtt: { url: m.url } })
    cleanup.push(() => d.close())
    const ids: string[] = []
    const boards = []
    for (let k = 0; k < 2; k++) {
      boards.push(await boardOn(irisNet, `drop-${k}`, { url: m.url }))
      const dev = await call(d.url, 'POST', '/devices', { kind: 'mqtt', uid: `drop-${k}` })
      assert.equal(dev.status, 201, dev.text)
      await call(d.url, 'PUT', `/devices/${dev.body.id}/params`, { weights: irisNet.weights, h: irisNet.bias!.h, psi: irisNet.bias!.psi })
      ids.push(dev.body.id)
    }
    const cfg = { epochs: 3, batchSize: 16, optimiser: { kind: 'adam' as const }, lr: 0.05, ...HP }
    const run = (await call(d.url, 'POST', '/runs', { device: ids[0], fleet: [ids[1]], fleetLostAfterS: 0.3, task: 'iris', ...cfg })).body
    await until('step 3', async () => ((await call(d.url, 'GET', `/runs/${run.id}`)).body.progress.step >= 3 ? true : null))
    await boards[1].att.close()   // the board leaves the broker
    const fleetEvents = async () => (await d.store.runs.eventsSince(run.id, 0)).filter((e) => e.type === 'fleet').map((e) => e.data as { member: string; change: string })
    await until('the suspension recorded', async () => ((await fleetEvents()).some((e) => e.change === 'suspended') ? true : null), 20)
    // it comes back on the broker, as a rebooted gateway would
    await attachBoardToBroker(boards[1].vb, 'drop-1', { url: m.url }, { reconnectS: 0.2 }).then((att) => { cleanup.push(() => att.close()) })
    await d.services.runs.idle(run.id)
    const v = (await call(d.url, 'GET', `/runs/${run.id}`)).body
    assert.equal(v.state, 'done', v.stateReason)
    assert.equal(v.progress.step, v.progress.steps)
    const first = (await fleetEvents())[0]
    assert.equal(first.member, ids[1])
    assert.equal(first.change, 'suspended')
    const t = new Trainer(new QuantisedXySubstrate(v.provenance.network), v.provenance.network, loadDataset('iris', 3), TrainConfig.parse(cfg))
    await t.train()
    // every shard the lost board missed was relaxed again on the other, with the same per-sample seeds
    assert.deepEqual(v.result.network.weights, t.trainedNetwork().weights)
  })
})
