// The remote driver's session and connection on fake time, against the TS virtual board over an
// in-memory cable: retries that reuse the seq, NACK handling, heartbeats and the watchdog,
// reconnect with back-off after an unplug, reboot, silence, and the refusals (version, uid, port).
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { VirtualBoard, type VirtualBoardOptionsInput } from '../../drivers/board/virtual-board.ts'
import { BoardConnection, openRemoteSubstrate, type ConnectionOptions, type RemoteSubstrate } from '../../drivers/remote/index.ts'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import type { RelaxRequest } from '../../drivers/substrate.ts'
import { FramedTransport } from '../../drivers/transports/framing.ts'
import { createMemoryLink } from '../../drivers/transports/memory.ts'
import { cobsDecode, decodeMessage, type DecodedMessage } from '../../firmware-protocol/ts/index.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { EqpError } from '../../src/errors.ts'
import { BoardOnCable } from '../support/board-link.ts'
import { FakeClock, settle } from '../support/fake-clock.ts'

const net = buildNetwork({ kind: 'all-to-all', nodes: 5, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 3)
const M = net.edges.length

/** The message in one serial frame as a side wrote it (null if it does not decode). */
function msgOf(bytes: Uint8Array): DecodedMessage | null {
  try { return decodeMessage(cobsDecode(bytes.subarray(0, bytes.length - 1))) } catch { return null }
}

/** A tamper hook that drops (or damages) the first frame matching name, once. */
function once(name: string, action: 'drop' | 'damage'): (b: Uint8Array) => Uint8Array | null {
  let done = false
  return (bytes) => {
    if (done || msgOf(bytes)?.name !== name) return bytes
    done = true
    if (action === 'drop') return null
    const out = bytes.slice()
    out[Math.floor(out.length / 2)] ^= 0x01   // one bit in the middle: a bad CRC, the delimiter intact
    if (out[Math.floor(out.length / 2)] === 0) out[Math.floor(out.length / 2)] = 0x55
    return out
  }
}

const isCode = (code: string) => (e: unknown) => e instanceof EqpError && e.code === code

const relaxReq = (seed: number): RelaxRequest => ({ batch: 2, inputs: Float64Array.of(0.5, -0.5, 1, 0.25), phase: 'free', start: { kind: 'random', seed } })

describe('remote session on fake time', () => {
  let clock: FakeClock, cable: BoardOnCable, sub: RemoteSubstrate | null
  const open = async (board: VirtualBoardOptionsInput = {}, opts: ConnectionOptions = {}) => {
    cable = new BoardOnCable(net, { uid: 'vb-1', maxBatch: 4, ...board }, clock)
    sub = await finish(openRemoteSubstrate(cable.connect, 'mem', { clock, ...opts }))
    return sub
  }
  /** Waits (in fake time) for a promise, failing if it does not settle within maxS. */
  const finish = async <T>(p: Promise<T>, maxS = 30): Promise<T> => {
    let done = false
    p.then(() => { done = true }, () => { done = true })
    await clock.until(() => done, maxS)
    return p
  }
  const reference = async (req: RelaxRequest) => {
    const ref = new QuantisedXySubstrate(net)
    await ref.setParams({ weights: Float64Array.from(net.weights), h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) })
    return ref.relax(req)
  }
  const netParams = () => ({ weights: Float64Array.from(net.weights), h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) })

  beforeEach(() => { clock = new FakeClock(); sub = null })
  afterEach(async () => {
    if (sub) await finish(sub.close()).catch(() => {})
    cable.close()
  })

  it('resends a command whose reply was lost with the same seq, and the board applies it once', async () => {
    const s = await open()
    await s.setParams({ weights: new Float64Array(M).fill(0.25) })
    cable.boardTamper = once('PARAMS', 'drop')
    const p = s.updateParams({ weights: new Float64Array(M).fill(0.125) })
    const after = await finish(p)
    assert.deepEqual([...after.weights], new Array(M).fill(0.375))
    assert.deepEqual([...cable.board.params.subarray(0, M)], new Array(M).fill(0.375))
    const sent = cable.hostWrites.map(msgOf).filter((m) => m?.name === 'UPDATE_PARAMS')
    assert.equal(sent.length, 2)
    assert.equal(sent[0]!.seq, sent[1]!.seq, 'the retry reuses the seq')
    assert.equal(cable.board.stats.replays, 1, 'answered from the reply cache, not executed again')
    const c = s.status().counters
    assert.equal(c.timeouts, 1)
    assert.equal(c.retries, 1)
  })

  it('resends at once, without waiting for a timeout, when the reply arrives damaged', async () => {
    const s = await open()
    cable.boardTamper = once('PARAMS', 'damage')
    await s.setParams({ weights: new Float64Array(M).fill(0.5) })   // no clock advance needed
    const st = s.status()
    assert.equal(st.counters.timeouts, 0)
    assert.equal(st.counters.crcErrors + st.counters.cobsErrors, 1, 'one damaged frame, caught by the CRC or by COBS')
    assert.equal(st.counters.retries, 1)
    assert.equal(st.diagnostics.CRC_ERRORS?.count, 1)
  })

  it('retransmits at once when the board answers NACK BAD_CRC to a damaged command', async () => {
    const s = await open()
    cable.hostTamper = once('SET_PARAMS', 'damage')
    await s.setParams({ weights: new Float64Array(M).fill(0.5) })
    const c = s.status().counters
    assert.equal(c.nacks.BAD_CRC, 1)
    assert.equal(c.timeouts, 0)
    assert.deepEqual([...cable.board.params.subarray(0, M)], new Array(M).fill(0.5))
  })

  it('gets through to a slow board (replies later than the timeout): the copies are answered from its cache', async () => {
    const s = await open({ faults: { delayS: 0.25 } }, { replyTimeoutS: 0.1 })
    const p = s.setParams({ weights: new Float64Array(M).fill(0.5) })
    await finish(p)
    assert.deepEqual([...cable.board.params.subarray(0, M)], new Array(M).fill(0.5))
    const c = s.status().counters
    assert.ok(c.retries >= 2, `resends ${c.retries}`)
    assert.ok(c.staleReplies >= 1, 'the late copies of the reply were dropped as stale')
    assert.ok(cable.board.stats.replays >= 1, 'the board answered the copies from its cache')
    assert.equal(s.status().state, 'ready')
  })

  it('resends a RELAX whose frame was lost as soon as a board heartbeat shows the board idle', async () => {
    // stop-and-wait: nothing follows the RELAX, so only the heartbeat can tell (pipelined: test/drivers/pipeline.test.ts)
    const s = await open({}, { window: 1 })
    await s.setParams(netParams())
    cable.hostTamper = once('RELAX', 'drop')
    const r = await finish(s.relax(relaxReq(4)))
    assert.deepEqual([...r.states], [...(await reference(relaxReq(4))).states])
    const c = s.status().counters
    assert.equal(c.timeouts, 0, 'the heartbeat came before the reply timeout')
    assert.equal(c.retries, 1)
  })

  it('after an unplug, reconnects with back-off (0.1, 0.2, 0.4 s), re-writes the parameters and finishes the call', async () => {
    const s = await open()
    await s.setParams(netParams())
    cable.unplug()
    const p = s.relax(relaxReq(9))
    await clock.advance(0.75)
    cable.plug()
    const r = await finish(p)
    assert.deepEqual([...r.states], [...(await reference(relaxReq(9))).states], 'the same result as an undisturbed relax')
    const gaps = cable.attempts.slice(1).map((t, i) => Number((t - cable.attempts[i]).toFixed(6)))
    assert.deepEqual(gaps.slice(1, 4), [0.1, 0.2, 0.4], `connection attempts at ${cable.attempts}`)
    const st = s.status()
    assert.equal(st.state, 'ready')
    assert.equal(st.counters.reconnects, 1)
    assert.equal(st.counters.paramRewrites, 1)
    assert.ok((st.diagnostics.LINK_LOST?.count ?? 0) >= 1)
    assert.ok((st.diagnostics.PORT_MISSING?.count ?? 0) >= 3)
    const back = await s.getParams()
    assert.deepEqual([...back.weights], [...cable.board.params.subarray(0, M)])
  })

  it('when the board reboots mid-call, re-handshakes, re-writes the parameters and finishes with the undisturbed result', async () => {
    // command 1 is HELLO, then 2 edge/node-list reads, 1 GET_PARAMS, 1 SET_PARAMS x chunks...; reboot
    // right after the RELAX of the relax call below (its 2 CLAMPs come first)
    const s = await open({ maxFrame: 4096 })
    await s.setParams(netParams())
    const before = cable.board.stats.commands
    cable.board.opts.faults.rebootAfter = before + 3
    const r = await finish(s.relax(relaxReq(11)))
    assert.equal(cable.board.bootCounter, 2)
    assert.deepEqual([...r.states], [...(await reference(relaxReq(11))).states])
    const st = s.status()
    assert.equal(st.bootCounter, 2)
    assert.ok((st.diagnostics.BOARD_REBOOTED?.count ?? 0) >= 1)
    assert.ok(st.counters.opRestarts >= 1)
    assert.equal(st.counters.paramRewrites, 1)
    const want = new QuantisedXySubstrate(net).core.params   // the network's parameters as a board applies them
    assert.deepEqual([...cable.board.params], [...want], 'the parameters were re-written after the reboot')
  })

  it('when its watchdog trips (host heartbeats off), the board is re-opened and its parameters re-written', async () => {
    const s = await open({}, { heartbeats: false, watchdogMs: 400 })
    await s.setParams({ weights: new Float64Array(M).fill(0.5) })
    await clock.advance(0.45)
    const st = s.status()
    assert.ok((st.diagnostics.WATCHDOG_TRIPPED?.count ?? 0) >= 1)
    assert.ok(cable.board.stats.watchdogTrips >= 1)
    assert.ok(st.counters.paramRewrites >= 1)
    assert.deepEqual([...cable.board.params.subarray(0, M)], new Array(M).fill(0.5))
  })

  it('keeps the board watchdog fed with host heartbeats while idle', async () => {
    const s = await open({}, { watchdogMs: 400 })
    await clock.advance(5)
    assert.equal(cable.board.stats.watchdogTrips, 0)
    assert.equal(cable.board.boardState, 'ready')
    const hb = s.status().counters.heartbeatsOut
    assert.ok(hb >= 25 && hb <= 55, `${hb} heartbeats in 5 s, one per 0.1 s of host silence`)
  })

  it('survives a board that stops answering: BOARD_SILENT, HELLO with back-off, and the call completes', async () => {
    const s = await open({ faults: { hangS: 2 } }, { watchdogMs: 1000 })
    await s.setParams(netParams())
    cable.board.opts.faults.hangAfter = cable.board.stats.commands + 1
    const r = await finish(s.relax(relaxReq(13)), 60)
    assert.deepEqual([...r.states], [...(await reference(relaxReq(13))).states])
    const st = s.status()
    assert.ok((st.diagnostics.BOARD_SILENT?.count ?? 0) >= 1)
    assert.ok(st.counters.timeouts >= 1)
    assert.equal(st.state, 'ready')
  })

  it('turns a NACK the host cannot fix into EQP_ERR_PROTO_NACK naming the command and the code', async () => {
    const s = await open()
    await assert.rejects(s.connection.run((ss) => ss.call('GET_STATE', { sample: 3, kind: 'nodes', offset: 0, count: 0 })), (e: unknown) =>
      isCode('EQP_ERR_PROTO_NACK')(e) && /GET_STATE/.test((e as Error).message) && /OUT_OF_RANGE/.test((e as Error).message))
    assert.equal(s.status().diagnostics.NACK?.count, 1)
  })

  it('refuses a board that speaks another protocol major, and stops talking to it', async () => {
    clock = new FakeClock()
    cable = new BoardOnCable(net, { faults: { protocolMajor: 2 } }, clock)
    const conn = new BoardConnection(cable.connect, 'mem', { clock })
    await assert.rejects(finish(conn.open()), (e: unknown) => isCode('EQP_ERR_PROTO_VERSION')(e) && /major 2.*speaks 1/.test((e as Error).message))
    assert.equal(conn.status().state, 'incompatible')
    assert.equal(conn.status().diagnostics.VERSION_MISMATCH?.count, 1)
    const sent = cable.hostWrites.length
    await clock.advance(10)
    assert.equal(cable.hostWrites.length, sent, 'nothing more is sent')
    assert.equal(cable.opens, 1, 'no reconnect')
  })

  it('does not use a different board that answers on the port after a reconnect, and the waiting call fails with EQP_ERR_DEVICE_LOST', async () => {
    const s = await open({}, { maxOutageS: 3 })
    cable.unplug()
    cable.swap(new VirtualBoard(net, { uid: 'someone-else' }, clock))
    cable.plug()
    await assert.rejects(finish(s.getParams()), isCode('EQP_ERR_DEVICE_LOST'))
    assert.ok((s.status().diagnostics.UID_MISMATCH?.count ?? 0) >= 1)
    assert.equal(s.status().uid, 'vb-1')
  })

  it('fails to open at once with EQP_ERR_DEVICE_PORT_BUSY when the port is locked', async () => {
    clock = new FakeClock()
    cable = new BoardOnCable(net, {}, clock)
    const conn = new BoardConnection(async () => { throw new EqpError('EQP_ERR_DEVICE_PORT_BUSY', ['/dev/x', 'Cannot lock port']) }, '/dev/x', { clock })
    await assert.rejects(conn.open(), isCode('EQP_ERR_DEVICE_PORT_BUSY'))
    assert.equal(conn.status().diagnostics.PORT_BUSY?.count, 1)
    assert.equal(conn.status().lastError?.code, 'PORT_BUSY')
  })

  it('fails to open with EQP_ERR_DEVICE_NO_HELLO when nothing answers on the port', async () => {
    clock = new FakeClock()
    cable = new BoardOnCable(net, {}, clock)
    const conn = new BoardConnection(async () => new FramedTransport(createMemoryLink().a, { where: 'void' }), 'void', { clock, connectTimeoutS: 3, replyTimeoutS: 0.2 })
    await assert.rejects(finish(conn.open()), isCode('EQP_ERR_DEVICE_NO_HELLO'))
    assert.ok((conn.status().diagnostics.NO_HELLO?.count ?? 0) >= 1)
    await settle()
  })
})
