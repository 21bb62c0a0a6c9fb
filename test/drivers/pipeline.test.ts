// The host's pipelining (SPEC 5.3) on fake time, against the TS virtual board over an in-memory cable:
// the window both sides agree on, several commands in flight at once, the same results as
// stop-and-wait, and recovery from a command or a reply lost in the middle of a window without a
// timeout and without running anything twice.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { VirtualBoardOptionsInput } from '../../drivers/board/virtual-board.ts'
import { openRemoteSubstrate, type ConnectionOptions, type RemoteSubstrate } from '../../drivers/remote/index.ts'
import type { RelaxRequest } from '../../drivers/substrate.ts'
import { cobsDecode, decodeMessage, type DecodedMessage } from '../../firmware-protocol/ts/index.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { BoardOnCable } from '../support/board-link.ts'
import { FakeClock } from '../support/fake-clock.ts'

const net = buildNetwork({ kind: 'all-to-all', nodes: 5, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 3)
const netParams = () => ({ weights: Float64Array.from(net.weights), h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) })
const free = (seed: number): RelaxRequest => ({ batch: 3, inputs: Float64Array.of(0.5, -0.5, 1, 0.25, -1, 0.75), phase: 'free', start: { kind: 'random', seed } })
const nudged = (): RelaxRequest => ({
  batch: 3, inputs: Float64Array.of(0.5, -0.5, 1, 0.25, -1, 0.75), phase: 'nudged', start: { kind: 'previous' },
  nudge: { kind: 'cost', cost: 'log-cos', beta: 0.5, targets: Float64Array.of(1, -1, 0.5) },
})

function msgOf(bytes: Uint8Array): DecodedMessage | null {
  try { return decodeMessage(cobsDecode(bytes.subarray(0, bytes.length - 1))) } catch { return null }
}

describe('host pipelining on fake time', () => {
  let clock: FakeClock, cable: BoardOnCable, sub: RemoteSubstrate | null
  /** what crossed the cable, in order: 'h' + name for the host, 'b' + name for the board */
  let wire: string[]
  const finish = async <T>(p: Promise<T>, maxS = 30): Promise<T> => {
    let done = false
    p.then(() => { done = true }, () => { done = true })
    await clock.until(() => done, maxS)
    return p
  }
  const open = async (board: VirtualBoardOptionsInput = {}, opts: ConnectionOptions = {}) => {
    cable = new BoardOnCable(net, { uid: 'vb-pipe', maxBatch: 4, ...board }, clock)
    wire = []
    const log = (side: string) => (b: Uint8Array) => { const m = msgOf(b); if (m && m.name !== 'HEARTBEAT') wire.push(side + m.name); return b }
    cable.hostTamper = log('h')
    cable.boardTamper = log('b')
    sub = await finish(openRemoteSubstrate(cable.connect, 'mem', { clock, ...opts }))
    await finish(sub.setParams(netParams()))
    return sub
  }
  /** The most host commands on the wire at once with no board answer in between. */
  const maxInFlight = (): number => {
    let n = 0, most = 0
    for (const w of wire) {
      if (w[0] === 'h') most = Math.max(most, ++n)
      else n = Math.max(0, n - 1)
    }
    return most
  }
  const train = async (s: RemoteSubstrate) => {
    const a = await finish(s.relax(free(7)))
    const b = await finish(s.relax(nudged()))
    const p = await finish(s.updateParams({ weights: new Float64Array(net.edges.length).fill(0.01) }))
    return { a, b, p }
  }

  beforeEach(() => { clock = new FakeClock(); sub = null })
  afterEach(async () => {
    if (sub) await finish(sub.close()).catch(() => {})
    cable.close()
  })

  it('agrees on min(host, board) and keeps several commands in flight, with the results of stop-and-wait', async () => {
    const s8 = await open({ window: 4 }, { window: 8 })
    assert.equal(s8.connection.description.device.window, 4)
    const piped = await train(s8)
    assert.ok(maxInFlight() >= 3, `at most ${maxInFlight()} commands in flight`)
    assert.ok(maxInFlight() <= 4, 'never more than the window')
    assert.equal(s8.status().counters.retries, 0)
    await finish(s8.close())
    cable.close()
    const s1 = await open({ window: 4 }, { window: 1 })
    assert.equal(s1.connection.description.device.window, undefined, 'window 1: nothing asked, nothing announced')
    const plain = await train(s1)
    assert.equal(maxInFlight(), 1, 'stop-and-wait')
    for (const k of ['a', 'b'] as const) {
      assert.deepEqual([...piped[k].states], [...plain[k].states])
      assert.deepEqual([...piped[k].energy], [...plain[k].energy])
    }
    assert.deepEqual([...piped.p.weights], [...plain.p.weights])
  })

  it('a long parameter write goes out in up to a window of smaller chunks, and applies what full frames apply', async () => {
    // 435 couplings and 30 + 30 bias values: 4 frames of up to 1 kB without a window (two for the
    // couplings, one per bias family)
    const big = buildNetwork({ kind: 'all-to-all', nodes: 30, weightStd: 0.3, bias: 'random' }, { inputs: 2, outputs: 1 }, 5)
    const params = { weights: Float64Array.from(big.weights), h: Float64Array.from(big.bias!.h), psi: Float64Array.from(big.bias!.psi) }
    const delta = { weights: Float64Array.from(big.weights, (_, k) => ((k % 7) - 3) * 0.01), h: new Float64Array(30).fill(0.02), psi: new Float64Array(30).fill(-0.03) }
    const run = async (window: number) => {
      cable = new BoardOnCable(big, { uid: 'vb-chunks', maxFrame: 1024 }, clock)
      const sizes: number[] = []
      cable.hostTamper = (b) => { const m = msgOf(b); if (m?.name === 'UPDATE_PARAMS') sizes.push(b.length); return b }
      sub = await finish(openRemoteSubstrate(cable.connect, 'mem', { clock, window, maxFrame: 1024 }))
      await finish(sub.setParams(params))
      const applied = await finish(sub.updateParams(delta))
      await finish(sub.close())
      cable.close()
      sub = null
      return { sizes, applied }
    }
    const full = await run(1), piped = await run(8)
    assert.equal(full.sizes.length, 4, 'stop-and-wait: as few chunks as fit')
    assert.ok(piped.sizes.length > full.sizes.length && piped.sizes.length <= 8, `${piped.sizes.length} chunks with a window of 8`)
    assert.ok(Math.max(...piped.sizes) < 0.7 * Math.max(...full.sizes), `largest chunk ${Math.max(...piped.sizes)} bytes against ${Math.max(...full.sizes)}`)
    for (const k of ['weights', 'h', 'psi'] as const) assert.deepEqual([...piped.applied[k]!], [...full.applied[k]!])
  })

  it('a RELAX lost in the middle of a window: OUT_OF_ORDER, go-back, no timeout, the RELAX runs once', async () => {
    const s = await open({}, { window: 8 })
    const ref = await finish(s.relax(free(3)))
    const relaxBefore = cable.board.stats.relaxations
    let dropped = false
    const log = cable.hostTamper!
    cable.hostTamper = (b) => {
      if (!dropped && msgOf(b)?.name === 'RELAX') { dropped = true; return null }
      return log(b)
    }
    const r = await finish(s.relax(free(3)))
    assert.ok(dropped)
    assert.deepEqual([...r.states], [...ref.states], 'the undisturbed result')
    const c = s.status().counters
    assert.ok((c.nacks.OUT_OF_ORDER ?? 0) >= 1, 'the board refused what came after the gap')
    assert.equal(c.timeouts, 0, 'recovered without waiting for a timeout')
    assert.equal(cable.board.stats.relaxations - relaxBefore, 1, 'the RELAX ran once')
  })

  it('a reply lost in the middle of a window: resent when the next reply shows the gap (no timeout), answered from the cache, nothing runs twice', async () => {
    const s = await open({}, { window: 8 })
    await finish(s.setParams({ weights: new Float64Array(net.edges.length).fill(0.25) }))
    const n = net.nodes, m = net.edges.length
    let seen = 0
    const log = cable.boardTamper!
    // updateParams sends its three ranges (weights, h, psi) at once: lose the reply in the middle
    cable.boardTamper = (b) => {
      if (msgOf(b)?.name === 'PARAMS' && ++seen === 2) return null
      return log(b)
    }
    const replaysBefore = cable.board.stats.replays
    const delta = { weights: new Float64Array(m).fill(0.125), h: new Float64Array(n).fill(0.5), psi: new Float64Array(n) }
    const before = Float64Array.from(cable.board.params)
    const after = await finish(s.updateParams(delta))
    assert.ok(seen >= 3)
    assert.ok(maxInFlight() >= 2)
    assert.deepEqual([...after.weights], new Array(m).fill(0.375))
    assert.deepEqual([...cable.board.params.subarray(m, m + n)].map((v, i) => Number((v - before[m + i]).toFixed(6))), new Array(n).fill(0.5), 'each delta applied once')
    assert.ok(cable.board.stats.replays - replaysBefore >= 1, 'the lost reply came again from the cache')
    assert.equal(s.status().counters.timeouts, 0, 'the reply after it showed the loss: no timeout')
    const r = await finish(s.relax(free(5)))
    assert.equal(r.states.length, 15)
  })

  it('1% corrupted bytes both ways: a window of 8 loses no more time to recovery than stop-and-wait, with the same results', async () => {
    // on fake time the memory link delivers at once, so the clock moves only by the timers that
    // recovery waits on: the time a run takes is the time lost to damaged frames
    const run = async (window: number) => {
      const s = await open({ faults: { corrupt: 0.01, seed: 11 } }, { window, replyTimeoutS: 0.05 })
      const t0 = clock.now()
      const out: number[] = []
      for (let k = 0; k < 12; k++) {
        const r = await train(s)
        out.push(...r.a.states, ...r.b.states, ...r.p.weights)
      }
      const c = s.status().counters
      const took = clock.now() - t0
      await finish(s.close())
      cable.close()
      sub = null
      return { took, out, c }
    }
    const w1 = await run(1)
    const w8 = await run(8)
    assert.ok(w8.c.crcErrors + (w8.c.nacks.BAD_CRC ?? 0) > 20, 'the corruption was felt')
    assert.deepEqual(w8.out, w1.out, 'the same states and parameters')
    assert.ok(w8.took <= 1.5 * w1.took + 0.5, `window 8 spent ${w8.took.toFixed(2)} s waiting, stop-and-wait ${w1.took.toFixed(2)} s`)
  })
})
