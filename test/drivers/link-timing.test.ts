// Reply timeouts from measurement (issue 14): each command waits as long as its own measured round
// trip (RFC 6298 smoothed RTT + 4 x variation, Karn's rule, doubling after a timeout), never less
// than the configured floor. A board that answers slower than the floor is resent to only while the
// host learns its timing; after that a healthy link sees no resend at all. On fake time.
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { openRemoteSubstrate, type RemoteSubstrate } from '../../drivers/remote/index.ts'
import { RttEstimator } from '../../drivers/remote/session.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { BoardOnCable } from '../support/board-link.ts'
import { FakeClock } from '../support/fake-clock.ts'

const net = buildNetwork({ kind: 'all-to-all', nodes: 5, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 3)
const M = net.edges.length

describe('RttEstimator', () => {
  it('follows RFC 6298: first sample sets srtt = R and rttvar = R/2, later ones smooth with 1/8 and 1/4', () => {
    const e = new RttEstimator()
    assert.equal(e.rto('X', 0.1), 0.1, 'unmeasured: the floor')
    assert.equal(e.rto('RELAX', 0.1, 1), 1, 'unmeasured RELAX: its initial timeout')
    e.sample('X', 0.2)
    assert.ok(Math.abs(e.rto('X', 0.01) - (0.2 + 4 * 0.1)) < 1e-12)
    e.sample('X', 0.4)
    // rttvar = 0.75 * 0.1 + 0.25 * |0.2 - 0.4| = 0.125; srtt = 0.875 * 0.2 + 0.125 * 0.4 = 0.225
    assert.ok(Math.abs(e.srtt('X')! - 0.225) < 1e-12)
    assert.ok(Math.abs(e.rto('X', 0.01) - (0.225 + 0.5)) < 1e-12)
    assert.equal(e.rto('X', 5), 5, 'never below the floor')
    assert.equal(e.rto('Y', 0.1), 0.1, 'per command')
  })
})

describe('reply timeouts from measured round trips', () => {
  let cable: BoardOnCable, sub: RemoteSubstrate | null = null, clock: FakeClock
  afterEach(async () => {
    // closing sends STOP and waits on fake time: drive the clock until it is done
    let closed = false
    void sub?.close().catch(() => {}).finally(() => { closed = true })
    if (sub) await clock.until(() => closed, 30)
    cable.close()
  })

  it('a board 0.25 s away, with a 0.1 s floor: resends only while learning, none after', async () => {
    clock = new FakeClock()
    // every frame the board sends leaves 0.25 s late: slower than the 0.1 s floor
    cable = new BoardOnCable(net, { uid: 'slow', maxBatch: 4, faults: { delayS: 0.25 } }, clock)
    const opened = openRemoteSubstrate(cable.connect, 'mem', { clock, replyTimeoutS: 0.1, heartbeats: false })
    let s: RemoteSubstrate | null = null
    opened.then((x) => { s = x })
    await clock.until(() => s !== null, 60)
    sub = s!
    const round = async (k: number) => {
      let done = false
      const work = (async () => {
        await sub!.setParams({ weights: new Float64Array(M).fill(0.1 * k) })
        await sub!.relax({ batch: 2, inputs: Float64Array.of(0.5, -0.5, 1, 0.25), phase: 'free', start: { kind: 'random', seed: k } })
        await sub!.getParams()
      })().finally(() => { done = true })
      await clock.until(() => done, 120)
      await work
    }
    for (let k = 0; k < 4; k++) await round(k)
    const learned = sub.status().counters.retries
    assert.ok(learned > 0, 'the 0.1 s floor is too short for this board: some resends while learning')
    for (let k = 4; k < 12; k++) await round(k)
    const c = sub.status().counters
    assert.equal(c.retries, learned, `${c.retries - learned} resends after learning, on a healthy link`)
    assert.ok(c.commands > 40)
  })
})
