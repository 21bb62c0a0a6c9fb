// The board conformance suite: SPEC.md, section by section, held against any board on a serial path
// through a bare WireHost (frames exactly as written, no driver in between), plus every frozen board
// vector (vectors/board.json). The board must be the fixture of SPEC 12.1 (all-to-all on 6 nodes,
// clampable 0 and 1, nudgeable 5, bias, coupling and bias ranges [-8, 8] continuous), freshly booted,
// with relaxations that never settle. test/integration/board-conformance.test.ts runs it on both boards.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import {
  crc32c, encodeFrame, encodeMessage, ERROR_CODES, FAULT_CODES, PROTOCOL,
  type DecodedMessage, type MessageBodies, type MessageName,
} from '../../firmware-protocol/ts/index.ts'
import { BOARD_VECTORS_PATH, type BoardVector } from '../../firmware-protocol/gen/gen-board-vectors.ts'
import { WireHost, playBoardVector } from '../support/wire-host.ts'

export interface ConformanceBoard {
  /** where the host end of the board's link is */
  hostPath: string
  /** the board's own frame limit and batch limit */
  maxFrame: number
  maxBatch: number
}

const N = 6, E = 15, TOTAL = E + 2 * N
const EDGES = Array.from({ length: N }, (_, i) => Array.from({ length: N - i - 1 }, (_, k) => [i, i + 1 + k])).flat()

function is<N extends MessageName>(m: DecodedMessage | null, name: N): MessageBodies[N] {
  assert.ok(m, `expected ${name}, got no answer`)
  assert.equal(m.name, name, `expected ${name}, got ${m.name} ${JSON.stringify(m.body)}`)
  return m.body as MessageBodies[N]
}
function nack(m: DecodedMessage | null, code: keyof typeof ERROR_CODES, detail?: number): MessageBodies['NACK'] {
  const b = is(m, 'NACK')
  assert.equal(b.code, ERROR_CODES[code], `NACK code ${b.code}, expected ${code} (${ERROR_CODES[code]})`)
  if (detail !== undefined) assert.equal(b.detail, detail, `${code} detail`)
  return b
}
const relax = (o: Partial<MessageBodies['RELAX']> = {}): MessageBodies['RELAX'] =>
  ({ batch: 1, phase: 'free', nudge: 'cost', cost: 'log-cos', start: 'random', beta: 0, seed: 3, budgetUs: 5_000_000, maxSteps: 300, ...o })
/** A frame with its CRC made right again after an edit. */
function recrc(f: Uint8Array): Uint8Array {
  const g = f.slice()
  new DataView(g.buffer).setUint32(g.length - 4, crc32c(g.subarray(0, g.length - 4)), true)
  return g
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Checks an answer against a board vector's expectation (a name and some body fields). */
/** Runs the conformance suite against the board `open` starts (once, freshly booted). */
export function wireBoardConformance(name: string, open: () => Promise<ConformanceBoard>): void {
  describe(`board conformance (SPEC.md): ${name}`, () => {
    let h: WireHost
    let board: ConformanceBoard
    before(async () => {
      board = await open()
      h = await WireHost.open(board.hostPath)
    })
    after(async () => { await h?.close().catch(() => {}) })

    it('7.1 boot: refuses commands with NOT_READY (detail 0) before HELLO, never answers HEARTBEAT, and ACKs STOP', async () => {
      nack(await h.call('GET_PARAMS', { offset: 0, count: 0 }), 'NOT_READY', 0)
      nack(await h.call('RELAX', relax()), 'NOT_READY', 0)
      const from = h.got.length
      const seq = h.nextSeq()
      await h.send('HEARTBEAT', { state: 'ready', bootCounter: 0, uptimeMs: 0, rxBad: 0 }, seq)
      is(await h.call('STOP', {}), 'ACK')
      assert.equal(h.got.slice(from).filter((g) => g.msg?.seq === seq && g.msg.name !== 'HEARTBEAT' && g.msg.name !== 'FAULT').length, 0, 'a host HEARTBEAT was answered')
    })

    it('6.1 handshake: DEVICE_INFO with min(host, board) maxFrame and minor, the fixture counts, the watchdog clamped to 100..60000', async () => {
      const d = is(await h.call('HELLO', { protoMinor: 200, maxFrame: 65535, watchdogMs: 0 }), 'DEVICE_INFO')
      assert.equal(d.maxFrame, board.maxFrame)
      assert.equal(d.protoMinor, PROTOCOL.minor)
      assert.equal(d.watchdogMs, PROTOCOL.defaultWatchdogMs)
      assert.deepEqual([d.model, d.nodeCount, d.edgeCount, d.clampableCount, d.nudgeableCount, d.maxBatch], ['xy', N, E, 2, 1, board.maxBatch])
      assert.match(d.uid, /^[A-Za-z0-9._-]{1,32}$/)
      assert.equal(is(await h.call('HELLO', { protoMinor: 0, maxFrame: 300, watchdogMs: 5 }), 'DEVICE_INFO').watchdogMs, 100)
      const last = is(await h.call('HELLO', { protoMinor: 0, maxFrame: 300, watchdogMs: 600_000 }), 'DEVICE_INFO')
      assert.equal(last.watchdogMs, 60_000)
      assert.equal(last.maxFrame, 300)
      const raw = h.got.at(-1)!.raw
      assert.ok(raw.length <= 256, `DEVICE_INFO is ${raw.length} bytes`)
    })

    it('5.4 reply cache: a retried HELLO gets the same reply bytes; a retried UPDATE_PARAMS is applied once', async () => {
      const hello = encodeMessage({ name: 'HELLO', body: { protoMinor: 0, maxFrame: 1024, watchdogMs: 60_000 }, seq: h.nextSeq() })
      const a = await h.callRaw(hello)
      const rawA = h.got.at(-1)!.raw
      const b = await h.callRaw(hello)
      assert.deepEqual(a, b)
      assert.deepEqual(h.got.at(-1)!.raw, rawA)
      is(await h.call('SET_PARAMS', { offset: 0, values: [1] }), 'PARAMS')
      const upd = encodeMessage({ name: 'UPDATE_PARAMS', body: { offset: 0, deltas: [0.5] }, seq: h.nextSeq() })
      assert.deepEqual(is(await h.callRaw(upd), 'PARAMS').values, [1.5])
      assert.deepEqual(is(await h.callRaw(upd), 'PARAMS').values, [1.5], 'the retry was executed again')
      assert.deepEqual(is(await h.call('GET_PARAMS', { offset: 0, count: 1 }), 'PARAMS').values, [1.5])
    })

    it('6.2 chunking: GET_EDGES and GET_NODE_LIST in chunks that fit a 256-byte session give the fixture lists', async () => {
      is(await h.hello(256), 'DEVICE_INFO')
      const edges: number[][] = []
      for (let off = 0; off < E;) {
        const r = is(await h.call('GET_EDGES', { offset: off, count: 4 }), 'EDGES')
        assert.equal(r.total, E)
        assert.ok(r.edges.length > 0 && r.edges.length <= 4)
        edges.push(...r.edges.map((e) => [e.a, e.b]))
        off += r.edges.length
      }
      assert.deepEqual(edges, EDGES)
      assert.deepEqual(is(await h.call('GET_EDGES', { offset: E, count: 0 }), 'EDGES').edges, [])
      assert.deepEqual(is(await h.call('GET_NODE_LIST', { list: 'clampable', offset: 0, count: 0 }), 'NODE_LIST').nodes, [0, 1])
      assert.deepEqual(is(await h.call('GET_NODE_LIST', { list: 'nudgeable', offset: 0, count: 0 }), 'NODE_LIST').nodes, [5])
      // a whole parameter read in one chunk must fit the session: floor((256 - 12 - 10) / 4) = 58 values
      const p = is(await h.call('GET_PARAMS', { offset: 0, count: 0 }), 'PARAMS')
      assert.equal(p.total, TOTAL)
      assert.equal(p.values.length, Math.min(TOTAL, 58))
    })

    it('6.3 parameters: clipped to the ranges, psi wrapped to (-pi, pi], as applied in the reply and on read-back; non-finite refused', async () => {
      is(await h.hello(), 'DEVICE_INFO')
      const values = [...Array(E).fill(0).map((_, k) => (k === 0 ? 100 : k === 1 ? -100 : 0.25)), ...Array(N).fill(9), ...Array(N).fill(4)]
      const r = is(await h.call('SET_PARAMS', { offset: 0, values }), 'PARAMS')
      assert.equal(r.values[0], 8)
      assert.equal(r.values[1], -8)
      assert.equal(r.values[2], 0.25)
      assert.equal(r.values[E], 8)
      assert.ok(Math.abs(r.values[E + N] - Math.fround(4 - 2 * Math.PI)) < 1e-6, `psi ${r.values[E + N]}`)
      assert.deepEqual(is(await h.call('GET_PARAMS', { offset: 0, count: 0 }), 'PARAMS').values, r.values)
      nack(await h.call('SET_PARAMS', { offset: 2, values: [1, Number.POSITIVE_INFINITY] }), 'OUT_OF_RANGE', 1)
      assert.deepEqual(is(await h.call('GET_PARAMS', { offset: 2, count: 1 }), 'PARAMS').values, [0.25], 'a refused chunk changed a value')
    })

    it('6.4-6.6 per-sample data and RELAX: ACKs naming the command, states that keep the clamps, STATE summaries, refusals', async () => {
      is(await h.hello(), 'DEVICE_INFO')
      nack(await h.call('RELAX', relax({ start: 'previous' })), 'NO_PREVIOUS', 0)
      assert.equal(is(await h.call('CLAMP', { sample: 0, replace: true, clamps: [{ node: 0, value: 1000 }, { node: 1, value: -2000 }] }), 'ACK').ref, 0x20)
      assert.equal(is(await h.call('CLAMP', { sample: 1, replace: true, clamps: [{ node: 1, value: 3000 }] }), 'ACK').ref, 0x20)
      assert.equal(is(await h.call('SET_TARGETS', { sample: 0, offset: 0, values: [100] }), 'ACK').ref, 0x21)
      assert.equal(is(await h.call('SET_FORCE', { sample: 0, offset: 0, values: [0, 0, 0, 0, 0, 0.1] }), 'ACK').ref, 0x22)
      assert.equal(is(await h.call('SET_START', { sample: 0, offset: 0, values: [0, 0, 0, 0, 0, 0] }), 'ACK').ref, 0x23)
      nack(await h.call('SET_TARGETS', { sample: 0, offset: 1, values: [0] }), 'OUT_OF_RANGE', 1)
      nack(await h.call('RELAX', relax({ phase: 'nudged', nudge: 'cost', cost: 'squared', beta: 0.1 })), 'UNSUPPORTED')
      nack(await h.call('RELAX', relax({ batch: board.maxBatch + 1 })), 'OUT_OF_RANGE', board.maxBatch + 1)
      const done = is(await h.call('RELAX', relax({ batch: 2 }), 30), 'RELAX_DONE')
      assert.equal(done.batch, 2)
      assert.equal(done.settled, 0)
      const s0 = is(await h.call('GET_STATE', { sample: 0, kind: 'nodes', offset: 0, count: 0 }), 'STATE')
      assert.equal(s0.total, N)
      assert.equal(s0.values.length, N)
      assert.deepEqual([s0.values[0], s0.values[1]], [1000, -2000], 'the clamps moved')
      assert.equal(s0.settled, false)
      assert.ok(s0.steps >= 300 && s0.steps <= 312, `steps ${s0.steps} for maxSteps 300`)
      assert.ok(Number.isFinite(s0.energy))
      const s1 = is(await h.call('GET_STATE', { sample: 1, kind: 'nodes', offset: 1, count: 1 }), 'STATE')
      assert.deepEqual([s1.offset, s1.values], [1, [3000]])
      nack(await h.call('GET_STATE', { sample: 2, kind: 'nodes', offset: 0, count: 0 }), 'OUT_OF_RANGE', 2)
      nack(await h.call('GET_STATE', { sample: 0, kind: 'edges', offset: 0, count: 0 }), 'UNSUPPORTED')
      // start = previous continues from there; start = given and the force nudge are accepted
      is(await h.call('RELAX', relax({ batch: 2, start: 'previous' }), 30), 'RELAX_DONE')
      is(await h.call('RELAX', relax({ phase: 'nudged', nudge: 'force', start: 'given' }), 30), 'RELAX_DONE')
      is(await h.call('RELAX', relax({ phase: 'nudged', nudge: 'cost', cost: 'log-cos', beta: 0.5, start: 'given' }), 30), 'RELAX_DONE')
      // a retried RELAX that has finished is answered from the cache, not run again
      const f = encodeMessage({ name: 'RELAX', body: relax({ seed: 99 }), seq: h.nextSeq() })
      const first = is(await h.callRaw(f, 30), 'RELAX_DONE')
      assert.deepEqual(is(await h.callRaw(f), 'RELAX_DONE'), first)
    })

    it('3.4 receive checks: bad CRC, short frames, COBS noise and oversize frames are not answered (or BAD_CRC with the seq); header errors are NACKed', async () => {
      is(await h.hello(), 'DEVICE_INFO')
      const good = () => encodeMessage({ name: 'GET_PARAMS', body: { offset: 0, count: 1 }, seq: h.nextSeq() })
      // 3: CRC, optionally NACKed with the unverified seq
      const bad = good()
      bad[bad.length - 1] ^= 0x40
      const r = await h.callRaw(bad, 0.5)
      if (r) nack(r, 'BAD_CRC', 0)
      // COBS noise, an empty segment, a frame shorter than a header: silence, then back in step
      const from = h.got.length
      await h.writeBytes(Uint8Array.of(0x05, 0x11, 0x00, 0x00, 0x03, 0x01, 0x02, 0x00))
      await h.sendFrame(Uint8Array.of(1, 0, 0, 9, 9, 0x12, 0, 0))
      // a frame beyond any board's buffer
      await h.sendFrame(recrc(encodeFrame({ seq: h.nextSeq(), msgId: 0x12 }, new Uint8Array(8000))))
      is(await h.callRaw(good()), 'PARAMS')
      await sleep(50)
      assert.deepEqual(h.got.slice(from).filter((g) => g.msg && g.msg.name !== 'HEARTBEAT' && g.msg.name !== 'FAULT').map((g) => g.msg!.name), ['PARAMS'])
      // 4: another major (CRC valid): NACK in major 1, detail 1
      const m2 = good()
      m2[0] = 2
      nack(await h.callRaw(recrc(m2)), 'UNSUPPORTED_MAJOR', PROTOCOL.major)
      assert.equal(h.got.at(-1)!.raw[0], PROTOCOL.major)
      // 5: an incompatible flag bit; an unknown compatible flag bit is ignored
      const inc = good()
      inc[1] = 0x81
      nack(await h.callRaw(recrc(inc)), 'UNKNOWN_INCOMPATIBLE_FLAG', 0x81)
      const comp = good()
      comp[2] = 0x80
      is(await h.callRaw(recrc(comp)), 'PARAMS')
      // 6: len disagrees with the size
      const len = good()
      len[6] += 1
      nack(await h.callRaw(recrc(len)), 'BAD_LENGTH', len.length)
      // 8: payload too short: offset of the field that could not be read
      nack(await h.callRaw(encodeFrame({ seq: h.nextSeq(), msgId: 0x12 }, Uint8Array.of(0, 0, 0, 0, 1))), 'BAD_PAYLOAD', 4)
      // a bool that is not 0 or 1
      const cl = encodeMessage({ name: 'CLAMP', body: { sample: 0, replace: true, clamps: [] }, seq: h.nextSeq() })
      cl[8 + 2] = 2
      nack(await h.callRaw(recrc(cl)), 'BAD_PAYLOAD', 2)
    })

    it('5.5 HEARTBEAT reports the bad frames; the watchdog trips: FAULT WATCHDOG, safe state, parameters zero after the next HELLO', async () => {
      is(await h.call('HELLO', { protoMinor: 0, maxFrame: 1024, watchdogMs: 400 }), 'DEVICE_INFO')
      const from = h.got.length
      await h.writeBytes(Uint8Array.of(0x09, 0x01, 0x00))
      const hb = await h.waitFor((g) => g.msg?.name === 'HEARTBEAT', 2, from)
      assert.ok(hb, 'no HEARTBEAT within 2 s at watchdogMs 400')
      const rxBad = (hb.msg!.body as MessageBodies['HEARTBEAT']).rxBad
      assert.ok(rxBad >= 1, `rxBad ${rxBad}`)
      is(await h.call('SET_PARAMS', { offset: 0, values: [2] }), 'PARAMS')
      const fault = await h.waitFor((g) => g.msg?.name === 'FAULT', 3, from)
      assert.ok(fault, 'no FAULT after 3 s of host silence')
      const fb = fault.msg!.body as MessageBodies['FAULT']
      assert.equal(fb.code, FAULT_CODES.WATCHDOG)
      assert.ok(fb.detail >= 400, `silent for ${fb.detail} ms`)
      nack(await h.call('GET_PARAMS', { offset: 0, count: 1 }), 'NOT_READY', 0)
      is(await h.hello(), 'DEVICE_INFO')
      assert.deepEqual(is(await h.call('GET_PARAMS', { offset: 0, count: 1 }), 'PARAMS').values, [0])
    })

    it('6.7 STOP: ACK, safe state, NOT_READY until HELLO, parameters zero', async () => {
      is(await h.hello(), 'DEVICE_INFO')
      is(await h.call('SET_PARAMS', { offset: 3, values: [1.25] }), 'PARAMS')
      assert.equal(is(await h.call('STOP', {}), 'ACK').ref, 0x30)
      nack(await h.call('SET_PARAMS', { offset: 3, values: [1] }), 'NOT_READY', 0)
      is(await h.hello(), 'DEVICE_INFO')
      assert.deepEqual(is(await h.call('GET_PARAMS', { offset: 3, count: 1 }), 'PARAMS').values, [0])
    })

    /** HELLO of a pipelined session (SPEC 5.3). */
    const helloWindow = (window: number) => h.call('HELLO', { protoMinor: 1, maxFrame: 1024, watchdogMs: 60_000, window })
    /** Sends commands back to back, none waiting for an answer; returns their seqs. */
    const burst = async (cmds: [MessageName, unknown][]): Promise<number[]> => {
      const seqs: number[] = []
      for (const [name, body] of cmds) { const seq = h.nextSeq(); seqs.push(seq); await h.send(name, body as never, seq) }
      return seqs
    }
    /** The board's answers to seqs (after index from), with where each arrived. */
    const answers = async (seqs: number[], from: number, timeoutS = 10) => {
      const out: { msg: DecodedMessage; at: number }[] = []
      for (const seq of seqs) {
        const m = await h.reply(seq, timeoutS, from)
        assert.ok(m, `no answer to seq ${seq}`)
        out.push({ msg: m, at: h.got.findIndex((g, i) => i >= from && g.msg?.seq === seq && g.msg.name !== 'HEARTBEAT' && g.msg.name !== 'FAULT') })
      }
      return out
    }

    it('5.3 window: DEVICE_INFO.window = min(host, board), absent for a host that asks for none', async () => {
      assert.equal(is(await helloWindow(4), 'DEVICE_INFO').window, 4)
      const big = is(await helloWindow(255), 'DEVICE_INFO').window
      assert.ok(big !== undefined && big >= 4 && big <= 255, `window ${big}`)
      assert.equal(is(await h.hello(), 'DEVICE_INFO').window, undefined, 'a 1.0 HELLO gets a 1.0 DEVICE_INFO')
    })

    it('5.3 several commands outstanding: executed strictly in order, answered in order', async () => {
      is(await helloWindow(4), 'DEVICE_INFO')
      const from = h.got.length
      const seqs = await burst([
        ['SET_PARAMS', { offset: 0, values: [1] }], ['UPDATE_PARAMS', { offset: 0, deltas: [0.5] }],
        ['UPDATE_PARAMS', { offset: 0, deltas: [0.25] }], ['GET_PARAMS', { offset: 0, count: 1 }],
      ])
      const a = await answers(seqs, from)
      assert.deepEqual(a.map((x) => (is(x.msg, 'PARAMS')).values), [[1], [1.5], [1.75], [1.75]])
      assert.deepEqual(a.map((x) => x.at), [...a.map((x) => x.at)].sort((p, q) => p - q), 'answers in seq order')
    })

    it('5.3 commands behind a RELAX wait their turn (no BUSY); beyond the window BUSY; HELLO drops the queue', async () => {
      is(await helloWindow(4), 'DEVICE_INFO')
      let from = h.got.length
      let seqs = await burst([
        ['CLAMP', { sample: 0, replace: true, clamps: [{ node: 0, value: 1000 }] }], ['RELAX', relax({ maxSteps: 300 })],
        ['GET_STATE', { sample: 0, kind: 'nodes', offset: 0, count: 0 }], ['GET_STATE', { sample: 0, kind: 'nodes', offset: 1, count: 1 }],
      ])
      let a = await answers(seqs, from, 30)
      assert.deepEqual(a.map((x) => x.msg.name), ['ACK', 'RELAX_DONE', 'STATE', 'STATE'])
      const s0 = is(a[2].msg, 'STATE'), s1 = is(a[3].msg, 'STATE')
      assert.equal(s0.values[0], 1000, 'read after the RELAX it waited for, with its clamp')
      assert.deepEqual(s1.values, [s0.values[1]])
      // a RELAX of up to 60 s, 3 commands queued (window 4 in all), the 4th refused
      from = h.got.length
      seqs = await burst([
        ['RELAX', relax({ budgetUs: 60_000_000, maxSteps: 0xffffffff })], ['GET_PARAMS', { offset: 0, count: 1 }],
        ['GET_PARAMS', { offset: 1, count: 1 }], ['GET_PARAMS', { offset: 2, count: 1 }], ['GET_PARAMS', { offset: 3, count: 1 }],
      ])
      nack(await h.reply(seqs[4], 5, from), 'BUSY', 0)
      is(await h.hello(), 'DEVICE_INFO')
      await sleep(100)
      const late = h.got.slice(from).filter((g) => g.msg && seqs.slice(0, 4).includes(g.msg.seq) && g.msg.name !== 'HEARTBEAT' && g.msg.name !== 'FAULT')
      assert.deepEqual(late.map((g) => g.msg!.name), [], 'the aborted RELAX and the commands queued behind it are never answered')
    })

    it('5.3/5.4 a lost command or a lost reply in the middle of a window: OUT_OF_ORDER, then the resends run once, in order', async () => {
      is(await helloWindow(4), 'DEVICE_INFO')
      is(await h.call('SET_PARAMS', { offset: 0, values: [0] }), 'PARAMS')
      // three updates, the middle one lost on the way: the third is refused, naming the second's seq
      const frames = [0.5, 0.25, 0.125].map((d) => encodeMessage({ name: 'UPDATE_PARAMS', body: { offset: 0, deltas: [d] }, seq: h.nextSeq() }))
      const seqOf = (f: Uint8Array) => f[3] | (f[4] << 8)
      let from = h.got.length
      await h.sendFrame(frames[0])
      await h.sendFrame(frames[2])
      assert.deepEqual(is(await h.reply(seqOf(frames[0]), 5, from), 'PARAMS').values, [0.5])
      nack(await h.reply(seqOf(frames[2]), 5, from), 'OUT_OF_ORDER', seqOf(frames[1]))
      // go back: resend from the missing one on, as the host does; the first is answered from the cache
      from = h.got.length
      for (const f of frames) await h.sendFrame(f)
      const a = await answers(frames.map(seqOf), from)
      assert.deepEqual(a.map((x) => is(x.msg, 'PARAMS').values), [[0.5], [0.75], [0.875]])
      // the middle reply lost: its retry gets the very same bytes, and nothing runs twice
      const firstReply = h.got.find((g) => g.msg?.seq === seqOf(frames[1]) && g.msg.name === 'PARAMS')!.raw
      from = h.got.length
      await h.sendFrame(frames[1])
      assert.ok(await h.reply(seqOf(frames[1]), 5, from))
      assert.deepEqual([...h.got.slice(from).find((g) => g.msg?.seq === seqOf(frames[1]))!.raw], [...firstReply])
      assert.deepEqual(is(await h.call('GET_PARAMS', { offset: 0, count: 1 }), 'PARAMS').values, [0.875])
    })

    const doc = JSON.parse(readFileSync(BOARD_VECTORS_PATH, 'utf8')) as { vectors: BoardVector[] }
    for (const v of doc.vectors) {
      it(`board vector (SPEC ${v.spec}): ${v.name}`, () => playBoardVector(h, v))
    }

    it('after everything, the board still answers a HELLO', async () => {
      is(await h.hello(), 'DEVICE_INFO')
    })
  })
}
