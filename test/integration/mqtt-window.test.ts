// A reply lost on the broker in a pipelined session (window 8, the host default): the host resends the
// command, the board link lets that copy of an older command through (SPEC 10.3: in a session with a
// window the board's strict seq order and its reply cache cover copies), and the board answers it
// from its cache. Before, the link dropped the copy as a late duplicate, so the command was resent
// until the link counted as lost. The embedded aedes broker drops chosen replies in its forward hook.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { VirtualBoard } from '../../drivers/board/virtual-board.ts'
import { openRemoteSubstrate } from '../../drivers/remote/index.ts'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import type { Substrate } from '../../drivers/substrate.ts'
import { attachBoardToBroker, mqttConnector } from '../../drivers/transports/mqtt.ts'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../drivers/transports/mqtt-broker.ts'
import { startMqttBridge } from '../../drivers/transports/mqtt-bridge.ts'
import { splitPayload } from '../../drivers/transports/mqtt/packing.ts'
import { MESSAGE_IDS } from '../../firmware-protocol/ts/index.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { startBoard } from '../../src/services/boards.ts'
import { BoardOnCable } from '../support/board-link.ts'

const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)
const cfg = TrainConfig.parse({ epochs: 8, batchSize: 4, seed: 3, evalEvery: 0 })
const flat = (n: Network) => [...n.weights, ...n.bias!.h, ...n.bias!.psi]
async function train(sub: Substrate) {
  const t = new Trainer(sub, xorNet, loadDataset('xor', 3), cfg)
  await t.train()
  return { params: flat(t.trainedNetwork()), steps: t.snapshot().step }
}

const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const NO_GCC = spawnSync('gcc', ['--version']).status === 0 ? false : 'gcc is not installed'
const cleanup: (() => Promise<unknown> | void)[] = []

/**
 * Makes the broker drop the reply messages holding a reply (or NACK, not an event) whose 1-based rank
 * is in `drop`, while `on()`. A packed message (SPEC 10.5) holds several replies, and is lost whole.
 */
function dropReplies(broker: EmbeddedBroker, drop: Set<number>, on: () => boolean = () => true) {
  const st = { replies: 0, dropped: [] as number[] }
  broker.aedes.authorizeForward = (_client, packet) => {
    const p = packet.payload as Buffer
    if (!on() || !packet.topic.endsWith('/reply')) return packet
    let hit = -1
    for (const f of splitPayload(new Uint8Array(p.buffer, p.byteOffset, p.byteLength))) {
      if (f.length < 6 || f[5] === MESSAGE_IDS.HEARTBEAT || f[5] === MESSAGE_IDS.FAULT) continue
      if (drop.has(++st.replies)) hit = f[5]
    }
    if (hit >= 0) { st.dropped.push(hit); return null }
    return packet
  }
  return st
}
after(async () => { for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {}) })

describe('a reply lost on the broker at window 8', () => {
  // pack false: one frame per message (a 1.1 host), so a lost message is one lost reply; pack true
  // (SPEC 10.5): a lost message holds a burst's replies, the last of which only its timer recovers
  for (const pack of [false, true]) it(`is answered from the board's reply cache: no link loss, every command runs once, results exact (${pack ? 'packed' : 'one frame per message'})`, async () => {
    const broker = await startEmbeddedBroker()
    cleanup.push(() => broker.close())
    // the broker forwards the board's replies to the host, except these: spread over the run, so some
    // are mid-burst (the next reply shows the gap)
    const DROP = new Set([12, 37, 61, 90])
    const { dropped, ...drops } = dropReplies(broker, DROP)
    const vb = new VirtualBoard(xorNet, { uid: 'lose1' })
    cleanup.push(() => vb.close())
    const att = await attachBoardToBroker(vb, 'lose1', { url: broker.url })
    cleanup.push(() => att.close())
    const sub = await openRemoteSubstrate(mqttConnector('lose1', { url: broker.url }, { pack }), att.where, { replyTimeoutS: 0.5, window: 8, backoffS: { first: 0.05, max: 0.5 } })
    cleanup.push(() => sub.close())
    const got = await train(sub)

    // the same run on an in-memory cable, and in the simulator at board resolution
    const cable = new BoardOnCable(xorNet, { uid: 'lose1' })
    const clean = await openRemoteSubstrate(cable.connect, 'mem', { replyTimeoutS: 0.5, window: 8 })
    const want = await train(clean)
    const wantStats = { ...cable.board.stats }
    await clean.close()
    cable.close()
    const ref = await train(new QuantisedXySubstrate(xorNet))

    const c = sub.status().counters
    const why = `host ${JSON.stringify(c)}, board ${JSON.stringify(vb.stats)}, link ${JSON.stringify(att.link.stats())}`
    assert.equal(dropped.length, DROP.size, `replies forwarded: ${drops.replies}`)
    // (a run of this test: 157 commands, 4 resends, all at once on the next reply's arrival, 0 timeouts)
    assert.equal(att.link.stats().window, 8, 'a pipelined session')
    assert.deepEqual(got.params, want.params)
    assert.deepEqual(got.params, ref.params)
    assert.equal(got.steps, want.steps)
    assert.equal(c.reconnects, 0, `no link loss: ${why}`)
    assert.equal(sub.status().diagnostics.LINK_LOST, undefined, why)
    assert.equal(vb.stats.commands, wantStats.commands, `each command ran once: ${why}`)
    assert.equal(vb.stats.relaxations, wantStats.relaxations, 'each RELAX ran once')
    assert.ok(vb.stats.replays >= DROP.size, `each lost reply was sent again from the cache: ${why}`)
    assert.ok(att.link.stats().windowCopies >= DROP.size, `the link passed the resends: ${why}`)
    assert.equal(att.link.stats().duplicatesDropped, 0, why)
    // promptly: one resend per lost reply, a few more at most (the host's timer learning the link); a
    // lost packed message is up to a window of lost replies
    assert.ok(c.retries >= DROP.size && c.retries <= (pack ? 8 : 3) * DROP.size, `retries ${c.retries}: ${why}`)
  })

  it('the C firmware through the bridge: the same parameters as a run without losses, no link loss', { skip: NO_SOCAT || NO_GCC }, async () => {
    const broker = await startEmbeddedBroker()
    cleanup.push(() => broker.close())
    let lossy = false
    const DROP = new Set([12, 37, 61, 90])
    const st = dropReplies(broker, DROP, () => lossy)
    const fw = await startBoard({ network: xorNet, impl: 'c', board: { uid: 'lose-c', maxBatch: 4 } })
    cleanup.push(() => fw.close())
    const bridge = await startMqttBridge({ serialPath: fw.hostPath, mqtt: { url: broker.url } })
    cleanup.push(() => bridge.close())
    // two sessions on the same board: one clean, one with lost replies
    const run = async () => {
      // one frame per message, so each dropped message is one lost reply (the packed case is above)
      const sub = await openRemoteSubstrate(mqttConnector('lose-c', { url: broker.url }, { pack: false }), bridge.where, { replyTimeoutS: 0.5, window: 8, backoffS: { first: 0.05, max: 0.5 } })
      try { return { ...(await train(sub)), status: sub.status() } } finally { await sub.close() }
    }
    const clean = await run()
    const before = bridge.link.stats()
    lossy = true
    const got = await run()
    const ls = bridge.link.stats()
    const c = got.status.counters
    const why = `host ${JSON.stringify(c)}, link ${JSON.stringify(ls)}`
    assert.equal(st.dropped.length, DROP.size, `replies forwarded: ${st.replies}`)
    assert.equal(ls.window, 8, 'the bridge read the window from the firmware\'s DEVICE_INFO')
    assert.equal(clean.status.counters.retries, 0)
    assert.deepEqual(got.params, clean.params)
    assert.equal(got.steps, clean.steps)
    assert.equal(c.commands, clean.status.counters.commands)
    assert.equal(c.reconnects, 0, `no link loss: ${why}`)
    assert.ok(ls.windowCopies - before.windowCopies >= DROP.size, `the bridge passed the resends: ${why}`)
    assert.equal(ls.duplicatesDropped, 0, why)
    assert.ok(c.retries >= DROP.size && c.retries <= 3 * DROP.size, `retries ${c.retries}: ${why}`)
  })
})
