// Pipelined relaxations through a real mosquitto that runs with Nagle's algorithm on (its default,
// as a lab's system broker often does). With a window, a relaxation's RELAX and GET_STATE leave
// together and RELAX_DONE and STATE come back together; sent as two messages each, the broker held
// the second reply until the host's delayed ACK (40 ms a relaxation). Packed (SPEC 10.5), each burst
// is one message: this counts the messages per relaxation on the broker, and checks the states are
// those of the in-memory link, bit for bit. No timing is asserted.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { MqttClient } from 'mqtt'
import { VirtualBoard } from '../../drivers/board/virtual-board.ts'
import { openRemoteSubstrate, type RemoteSubstrate } from '../../drivers/remote/index.ts'
import { attachBoardToBroker, MqttOptions, mqttConnector } from '../../drivers/transports/mqtt.ts'
import { connectClient } from '../../drivers/transports/mqtt/client.ts'
import { MESSAGE_IDS } from '../../firmware-protocol/ts/index.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { BoardOnCable } from '../support/board-link.ts'
import { NO_MOSQUITTO, startMosquitto, type Mosquitto } from '../support/mosquitto.ts'

const net = buildNetwork({ kind: 'lattice', rows: 5, cols: 5, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 1 }, 0)
const params = () => ({ weights: Float64Array.from(net.weights), h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) })
const N = 20

/** N free relaxations of batch 1 from seeded random starts; their states end to end. */
async function relaxations(sub: RemoteSubstrate): Promise<number[]> {
  const out: number[] = []
  for (let k = 0; k < N; k++) {
    const r = await sub.relax({ batch: 1, inputs: Float64Array.of(0.5, -0.5), phase: 'free', start: { kind: 'random', seed: k } })
    out.push(...r.states)
  }
  return out
}

describe('pipelined relaxations over mosquitto with Nagle on', { skip: NO_MOSQUITTO }, () => {
  let mq: Mosquitto
  let spy: MqttClient
  const seen = { cmd: 0, reply: 0, cmdFrames: 0, replyFrames: 0 }
  let want: number[]
  before(async () => {
    mq = await startMosquitto({ noDelay: false })
    // a third client counts what crosses the broker (heartbeats, which always go alone, left out)
    spy = await connectClient(MqttOptions.parse({ url: mq.url }), `spy-${process.pid}`, {})
    await spy.subscribeAsync('pk/+/cmd', { qos: 0 })
    await spy.subscribeAsync('pk/+/reply', { qos: 0 })
    spy.on('message', (topic, p) => {
      if (p.length > 5 && p[5] === MESSAGE_IDS.HEARTBEAT) return
      let frames = 0
      for (let at = 0; at + 12 <= p.length; at += 12 + (p[at + 6] | (p[at + 7] << 8))) frames++
      if (topic.endsWith('/cmd')) { seen.cmd++; seen.cmdFrames += frames } else { seen.reply++; seen.replyFrames += frames }
    })
    const cable = new BoardOnCable(net, { uid: 'pk-mem' })
    const mem = await openRemoteSubstrate(cable.connect, 'mem', { window: 8 })
    await mem.setParams(params())
    want = await relaxations(mem)
    await mem.close()
    cable.close()
  })
  after(async () => { await spy?.endAsync(); await mq?.stop() })

  async function run(uid: string, pack: boolean) {
    const board = new VirtualBoard(net, { uid })
    const att = await attachBoardToBroker(board, uid, { url: mq.url, prefix: 'pk' })
    const sub = await openRemoteSubstrate(mqttConnector(uid, { url: mq.url, prefix: 'pk' }, { pack }), att.where, { window: 8 })
    try {
      await sub.setParams(params())
      await relaxations(sub)   // a warm-up pass: the host learns its timing
      await new Promise((r) => setTimeout(r, 100))   // the spy has every message of the set-up
      const s0 = { ...seen }
      const got = await relaxations(sub)
      await new Promise((r) => setTimeout(r, 100))
      return { got, cmd: seen.cmd - s0.cmd, reply: seen.reply - s0.reply, cmdFrames: seen.cmdFrames - s0.cmdFrames, replyFrames: seen.replyFrames - s0.replyFrames, link: att.link.stats() }
    } finally {
      await sub.close()
      await att.close()
      board.close()
    }
  }

  it('sends one message each way per relaxation at window 8, with the states of the in-memory link', async () => {
    const r = await run('pk-packed', true)
    assert.equal(r.link.window, 8, 'a pipelined session')
    assert.deepEqual([r.cmdFrames, r.replyFrames], [2 * N, 2 * N], 'RELAX + GET_STATE and RELAX_DONE + STATE per relaxation')
    assert.deepEqual([r.cmd, r.reply], [N, N], `messages on the broker: ${JSON.stringify(r)}`)
    assert.deepEqual(r.got, want)
  })

  it('sends each frame alone for a host that does not pack, and the board then does not pack either', async () => {
    const r = await run('pk-single', false)
    assert.deepEqual([r.cmd, r.reply], [2 * N, 2 * N])
    assert.deepEqual(r.got, want)
  })
})
