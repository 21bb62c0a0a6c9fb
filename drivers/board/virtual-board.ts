// A board in TypeScript: the board side of the wire protocol (SPEC.md) over any byte link, backed by
// the XY simulator through XyBoardCore. For tests, and for users without hardware (`eqprop-hil board`).
// It follows the SPEC as a firmware would: receive checks in order, a reply cache that makes retries
// idempotent, one relaxation at a time, heartbeats, a host-silence watchdog with the safe state, a
// boot counter; and it can misbehave on purpose (faults.ts).
import { z } from 'zod'
import {
  arrayCapacity, CAPABILITY, COSTS, CobsDecoder, decodeMessage, encodeFrame, encodeMessage, ERROR_CODES, FAULT_CODES,
  MIN_FRAME_LIMIT, PHASE_LSB, PROTOCOL, ProtocolError, serialFrame, toFixed, wrapPhase,
  type BoardState, type DecodedMessage, type ErrorName, type Message, type MessageBodies, type MessageName,
} from '../../firmware-protocol/ts/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { SOLVER_NAMES } from '../../src/core/solvers/system.ts'
import { Range } from '../substrate.ts'
import { systemClock, type ByteStream, type Clock } from '../transports/transport.ts'
import { BoardFaults, corruptBytes } from './faults.ts'
import { XyBoardCore, type SampleJob } from './xy-board-core.ts'

export const BOARD_FIRMWARE = 'eqprop-hil-vboard 0.1.0'

export const VirtualBoardOptions = z.strictObject({
  uid: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'uid: 1..32 of [A-Za-z0-9._-]').default('vboard-xy'),
  bootCounter: z.int().min(0).max(2 ** 32 - 2).default(1),
  maxBatch: z.int().min(1).max(65535).default(64),
  /** the board's own frame limit (bytes); the session uses min(host, board) */
  maxFrame: z.int().min(MIN_FRAME_LIMIT).max(65535).default(4096),
  coupling: Range.default({ min: -8, max: 8, levels: 0 }),
  bias: Range.default({ min: -8, max: 8, levels: 0 }),
  solver: z.enum(SOLVER_NAMES).default('flow-newton'),
  tol: z.number().positive().default(1e-6),
  /** RELAX maxSteps = 0: force evaluations per sample; also the slice between two looks at the link */
  maxEvals: z.int().positive().default(20_000),
  /** RELAX maxSteps is clamped to this (force evaluations per sample) */
  maxStepsLimit: z.int().positive().max(0xffffffff).default(10_000_000),
  /** RELAX budgetUs = 0 means this (us, whole batch) */
  defaultBudgetUs: z.int().positive().max(0xffffffff).default(60_000_000),
  /** RELAX budgetUs is clamped to this (us) */
  budgetLimitUs: z.int().positive().max(0xffffffff).default(60_000_000),
  /** commands the board lets a host keep outstanding (SPEC 5.3); the session uses min(host, board) */
  window: z.int().min(1).max(255).default(8),
  /** answer a frame with a bad CRC by NACK BAD_CRC (SPEC 3.4 says MAY) */
  nackBadCrc: z.boolean().default(true),
  /** announce capability onBoardLearning and accept the LEARN_* commands (SPEC 13) */
  onBoardLearning: z.boolean().default(false),
  faults: BoardFaults.prefault({}),
})
export type VirtualBoardOptions = z.infer<typeof VirtualBoardOptions>
export type VirtualBoardOptionsInput = z.input<typeof VirtualBoardOptions>

interface CacheEntry { seq: number; msgId: number; crc: number; reply: Uint8Array | null }

interface SampleData {
  /** clamp value (rad) per clampable node, NaN = not clamped */
  clamps: Float64Array
  targets: Float64Array
  force: Float64Array
  start: Float64Array
  /** the last equilibrium (rad), exact: the physical state the next 'previous' start keeps */
  prev: Float64Array | null
  /** start = readout (SPEC 6.5): the last free RELAX's states as STATE reported them, as a host writes them back */
  readout: Float64Array | null
  settled: boolean
  steps: number
  energy: number
}

/** Counters a test or the CLI can read. */
export interface VirtualBoardStats {
  framesIn: number
  framesOut: number
  /** frames dropped at checks 1-3 and COBS (HEARTBEAT.rxBad) */
  rxBad: number
  commands: number
  /** retries answered from the reply cache without executing again */
  replays: number
  nacks: Partial<Record<ErrorName, number>>
  relaxations: number
  reboots: number
  watchdogTrips: number
  /** frames lost on purpose (faults.drop) */
  dropped: number
}

const TICK_S = 0.05
const RELAXING: ReadonlySet<MessageName> = new Set(['RELAX', 'LEARN_FREE', 'LEARN_NUDGED'])

/** The learning rule of a session (LEARN_CONFIG), with the update accumulated since the last commit. */
interface LearnState {
  eta: number
  biasEta: number
  beta: number
  /** sum over accumulated samples of dE/dtheta(nudged) - dE/dtheta(free), per parameter */
  acc: Float64Array
  samples: number
}

class Refusal extends Error {
  constructor(readonly code: ErrorName, readonly detail: number) { super(code) }
}

/** Phases as the board's readout gives them: wrapped to (-pi, pi] and rounded to state_lsb (rad). */
function readout(phi: Float64Array): Float64Array {
  return Float64Array.from(phi, (v) => toFixed(wrapPhase(v), PHASE_LSB) * PHASE_LSB)
}

/** The board side of the protocol for an XY network. Attach a byte link to let it talk. */
export class VirtualBoard {
  readonly opts: VirtualBoardOptions
  readonly core: XyBoardCore
  readonly stats: VirtualBoardStats = { framesIn: 0, framesOut: 0, rxBad: 0, commands: 0, replays: 0, nacks: {}, relaxations: 0, reboots: 0, watchdogTrips: 0, dropped: 0 }
  private readonly clock: Clock
  private readonly rng: Rng
  private readonly rx: CobsDecoder
  private stream: ByteStream | null = null
  private pendingReset = true
  private state: BoardState = 'boot'
  private bootCounterValue: number
  private bootAt: number
  private sessionMaxFrame = MIN_FRAME_LIMIT
  private watchdogS = PROTOCOL.defaultWatchdogMs / 1000
  private armed = false
  private lastValidRx = 0
  private lastTx = -Infinity
  private eventSeq = 0
  /** the last `window` commands executed (or executing: reply null), oldest first (SPEC 5.4) */
  private cache: CacheEntry[] = []
  /** the session's window (SPEC 5.3): 1 until a HELLO agrees on more */
  private window = 1
  /** the seq the next new command must carry when window > 1 */
  private expectSeq = 0
  /** accepted commands waiting for the running RELAX, in seq order */
  private queue: { msg: DecodedMessage; crc: number }[] = []
  private samples: SampleData[] = []
  private lastBatch = 0
  private relaxToken = 0
  private hangUntil = -Infinity
  private rebootDone = false
  private hangDone = false
  private cancelTick: (() => void) | null = null
  private closed = false
  private learn: LearnState | null = null
  /** each sample's last LEARN_FREE equilibrium (rad, exact) */
  private freeSnap: (Float64Array | null)[] = []

  constructor(network: Network, options: VirtualBoardOptionsInput = {}, clock: Clock = systemClock) {
    this.opts = VirtualBoardOptions.parse(options)
    this.clock = clock
    this.core = new XyBoardCore(network, this.opts)
    this.rng = new Rng(this.opts.faults.seed)
    this.rx = new CobsDecoder({ maxFrame: this.opts.maxFrame })
    this.bootCounterValue = this.opts.bootCounter
    this.bootAt = clock.now()
    this.clearSamples()
    this.tick()
  }

  get bootCounter(): number { return this.bootCounterValue }
  get boardState(): BoardState { return this.state }
  /** parameters as applied (f32 values) */
  get params(): Float64Array { return this.core.params }

  /** Connects a (new) byte link, e.g. after the port was reopened. The board keeps its state. */
  attach(stream: ByteStream): void {
    this.stream = stream
    this.rx.reset()
    stream.onData((chunk) => { if (this.stream === stream) this.receive(chunk) })
    stream.onClose(() => { if (this.stream === stream) this.stream = null })
    if (this.pendingReset) this.sendResetFault()
  }

  /** Reboots: boot counter + 1, parameters and session gone, FAULT RESET sent. */
  reboot(): void {
    this.relaxToken++
    this.core.zero()
    this.clearSamples()
    this.learn = null
    this.endSession()
    this.bootCounterValue++
    this.bootAt = this.clock.now()
    this.state = 'boot'
    this.armed = false
    this.sessionMaxFrame = MIN_FRAME_LIMIT
    this.watchdogS = PROTOCOL.defaultWatchdogMs / 1000
    this.rx.reset()
    this.stats.reboots++
    this.pendingReset = true
    if (this.stream) this.sendResetFault()
  }

  /** Stops the timers; the board says nothing more. */
  close(): void {
    this.closed = true
    this.relaxToken++
    this.cancelTick?.()
    this.cancelTick = null
  }

  // ---- receive path ----------------------------------------------------------------------------

  private receive(chunk: Uint8Array): void {
    if (this.closed || this.clock.now() < this.hangUntil) return
    const bytes = corruptBytes(chunk, this.opts.faults.corrupt, this.rng)
    const before = this.rx.stats.badCobs + this.rx.stats.oversize
    for (const frame of this.rx.push(bytes)) this.handleFrame(frame)
    this.stats.rxBad += this.rx.stats.badCobs + this.rx.stats.oversize - before
  }

  private handleFrame(frame: Uint8Array): void {
    this.stats.framesIn++
    let msg: DecodedMessage
    try {
      // the session's limit, not the buffer's: a frame the host may not send is dropped (SPEC 3.5)
      msg = decodeMessage(frame, { maxFrame: this.sessionMaxFrame, role: 'board' })
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e
      this.refuseFrame(e)
      return
    }
    this.lastValidRx = this.clock.now()
    if (this.opts.faults.protocolMajor !== undefined && this.opts.faults.protocolMajor !== PROTOCOL.major) {
      // an incompatible firmware cannot read our frames; it answers in its own major (SPEC 4.4)
      this.sendNack(msg.seq, msg.id, 'UNSUPPORTED_MAJOR', this.opts.faults.protocolMajor)
      return
    }
    if (msg.name === 'HEARTBEAT') return
    const crc = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(frame.byteLength - 4, true)
    const c = this.cache.find((e) => e.seq === msg.seq && e.msgId === msg.id && e.crc === crc)
    if (c) {
      // a retry (SPEC 5.4): resend the reply of a finished command, ignore one still running
      if (c.reply) { this.stats.replays++; this.sendFrame(c.reply) }
      return
    }
    // a retry of a command waiting its turn: its reply comes when it has run
    if (this.queue.some((q) => q.msg.seq === msg.seq && q.msg.id === msg.id && q.crc === crc)) return
    if (msg.name !== 'HELLO' && msg.name !== 'STOP' && (this.state === 'ready' || this.state === 'busy') && this.window > 1) {
      // pipelined session (SPEC 5.3): strictly in seq order; a gap means an earlier command was lost
      if (msg.seq !== this.expectSeq) { this.sendNack(msg.seq, msg.id, 'OUT_OF_ORDER', this.expectSeq); return }
      if (this.state === 'busy' || this.queue.length > 0) {
        // the running RELAX and the queue together hold at most `window` commands
        if (this.queue.length + 1 >= this.window) { this.sendNack(msg.seq, msg.id, 'BUSY', 0); return }
        this.expectSeq = (msg.seq + 1) & 0xffff
        this.queue.push({ msg, crc })
        return
      }
    }
    this.expectSeq = (msg.seq + 1) & 0xffff
    this.execute(msg, crc)
  }

  /** Runs queued commands in order until one starts a relaxation or the queue is empty. */
  private drainQueue(): void {
    while (this.state === 'ready' && this.queue.length > 0) {
      const q = this.queue.shift()!
      this.execute(q.msg, q.crc)
    }
  }

  /** Session over (safe state, boot): no cached replies, no queued commands, window 1. */
  private endSession(): void {
    this.cache = []
    this.queue = []
    this.window = 1
  }

  private refuseFrame(e: ProtocolError): void {
    switch (e.codeName) {
      case 'FRAME_TOO_LARGE': this.stats.rxBad++; return
      case 'BAD_CRC':
        this.stats.rxBad++
        if (this.opts.nackBadCrc && e.seq !== undefined) this.sendNack(e.seq, e.msgId ?? 0, 'BAD_CRC', 0)
        return
      case 'BAD_LENGTH':
        if (e.seq === undefined) { this.stats.rxBad++; return }   // shorter than a header: not answered
        break
      case 'UNSUPPORTED_MAJOR': break
      default: this.lastValidRx = this.clock.now()               // checks 1-4 passed: feeds the watchdog
    }
    this.sendNack(e.seq ?? 0, e.msgId ?? 0, e.codeName, e.detail)
  }

  // ---- commands ----------------------------------------------------------------------------------

  private execute(msg: DecodedMessage, crc: number): void {
    const key = { seq: msg.seq, msgId: msg.id, crc }
    this.stats.commands++
    try {
      if (msg.name === 'HELLO') this.hello(key, msg.body)
      else if (msg.name === 'STOP') {
        this.enterSafe()
        this.reply(key, { name: 'ACK', body: { ref: msg.id } })
      } else if (this.state === 'boot' || this.state === 'safe') throw new Refusal('NOT_READY', 0)
      else if (this.state === 'busy') {
        // refusals while busy leave the cache to the running RELAX
        this.sendNack(msg.seq, msg.id, 'BUSY', 0)
      } else this.dispatch(key, msg)
    } catch (e) {
      if (!(e instanceof Refusal)) throw e
      this.reply(key, { name: 'NACK', body: { ref: msg.id, code: ERROR_CODES[e.code], detail: e.detail } })
    }
    // a relaxing command counts as answered when its relaxation ends (runRelax)
    if (!RELAXING.has(msg.name) || this.state !== 'busy') this.afterCommand()
  }

  /** Fault triggers that fire once a command is answered. */
  private afterCommand(): void {
    const f = this.opts.faults
    const done = this.stats.commands
    if (f.rebootAfter !== undefined && !this.rebootDone && done >= f.rebootAfter) {
      this.rebootDone = true
      this.reboot()
    }
    if (f.hangAfter !== undefined && !this.hangDone && done >= f.hangAfter) {
      this.hangDone = true
      this.hangUntil = this.clock.now() + f.hangS
    }
  }

  private hello(key: Omit<CacheEntry, 'reply'>, b: MessageBodies['HELLO']): void {
    this.relaxToken++
    this.clearSamples()
    this.learn = null
    // a new session: commands queued in the old one never run; the old replies stay cached for a HELLO retry
    this.queue = []
    this.window = Math.max(1, Math.min(b.window || 1, this.opts.window))
    this.sessionMaxFrame = Math.max(MIN_FRAME_LIMIT, Math.min(b.maxFrame, this.opts.maxFrame))
    const wd = b.watchdogMs === 0 ? PROTOCOL.defaultWatchdogMs : Math.min(60_000, Math.max(100, b.watchdogMs))
    this.watchdogS = wd / 1000
    this.armed = true
    this.lastValidRx = this.clock.now()
    this.state = 'ready'
    const c = this.core
    this.reply(key, {
      name: 'DEVICE_INFO',
      body: {
        protoMinor: Math.min(b.protoMinor, PROTOCOL.minor), model: 'xy', reports: 'states',
        capabilities: CAPABILITY.forceVector | CAPABILITY.givenStart | CAPABILITY.bias | CAPABILITY.readoutStart | (this.opts.onBoardLearning ? CAPABILITY.onBoardLearning : 0), costs: COSTS['log-cos'],
        maxFrame: this.sessionMaxFrame, maxBatch: this.opts.maxBatch, nodeCount: c.n, edgeCount: c.m,
        clampableCount: c.clampable.length, nudgeableCount: c.nudgeable.length, coupling: c.coupling, bias: c.bias,
        stateLsb: PHASE_LSB, edgeLsb: 0, watchdogMs: wd, bootCounter: this.bootCounterValue, uid: this.opts.uid, firmware: BOARD_FIRMWARE,
        // announced only to a host that asked for more than 1, so a 1.0 host sees 1.0 bytes
        ...(this.window > 1 ? { window: this.window } : {}),
      },
    })
  }

  private dispatch(key: Omit<CacheEntry, 'reply'>, msg: DecodedMessage): void {
    const c = this.core
    switch (msg.name) {
      case 'GET_EDGES': {
        const { offset, count } = msg.body
        const k = this.readCount(offset, count, c.m, 'EDGES')
        const edges = []
        for (let e = offset; e < offset + k; e++) edges.push({ a: c.edges[e][0], b: c.edges[e][1] })
        return this.reply(key, { name: 'EDGES', body: { offset, total: c.m, edges } })
      }
      case 'GET_NODE_LIST': {
        const { list, offset, count } = msg.body
        const all = list === 'clampable' ? c.clampable : c.nudgeable
        const k = this.readCount(offset, count, all.length, 'NODE_LIST')
        return this.reply(key, { name: 'NODE_LIST', body: { list, offset, total: all.length, nodes: all.slice(offset, offset + k) } })
      }
      case 'SET_PARAMS':
      case 'UPDATE_PARAMS': {
        const offset = msg.body.offset
        const values = msg.name === 'SET_PARAMS' ? msg.body.values : msg.body.deltas
        this.checkWrite(offset, values.length, c.total)
        const bad = values.findIndex((v) => !Number.isFinite(v))
        if (bad >= 0) throw new Refusal('OUT_OF_RANGE', bad)
        if (msg.name === 'SET_PARAMS') c.write(offset, values)
        else c.update(offset, values)
        return this.reply(key, { name: 'PARAMS', body: { offset, total: c.total, values: Array.from(c.params.subarray(offset, offset + values.length)) } })
      }
      case 'GET_PARAMS': {
        const { offset, count } = msg.body
        const k = this.readCount(offset, count, c.total, 'PARAMS')
        return this.reply(key, { name: 'PARAMS', body: { offset, total: c.total, values: Array.from(c.params.subarray(offset, offset + k)) } })
      }
      case 'CLAMP': {
        const s = this.sample(msg.body.sample)
        const idx: number[] = []
        msg.body.clamps.forEach((cl, k) => {
          const at = c.clampable.indexOf(cl.node)
          if (at < 0) throw new Refusal('OUT_OF_RANGE', k)
          idx.push(at)
        })
        if (msg.body.replace) s.clamps.fill(NaN)
        msg.body.clamps.forEach((cl, k) => { s.clamps[idx[k]] = cl.value * PHASE_LSB })
        return this.ack(key, msg.id)
      }
      case 'SET_TARGETS':
      case 'SET_START': {
        const s = this.sample(msg.body.sample)
        const dst = msg.name === 'SET_TARGETS' ? s.targets : s.start
        this.checkWrite(msg.body.offset, msg.body.values.length, dst.length)
        msg.body.values.forEach((v, k) => { dst[msg.body.offset + k] = v * PHASE_LSB })
        return this.ack(key, msg.id)
      }
      case 'SET_FORCE': {
        const s = this.sample(msg.body.sample)
        this.checkWrite(msg.body.offset, msg.body.values.length, c.n)
        const bad = msg.body.values.findIndex((v) => !Number.isFinite(v))
        if (bad >= 0) throw new Refusal('OUT_OF_RANGE', bad)
        msg.body.values.forEach((v, k) => { s.force[msg.body.offset + k] = v })
        return this.ack(key, msg.id)
      }
      case 'RELAX': return this.startRelax(key, msg.body)
      case 'LEARN_CONFIG': {
        this.needLearning()
        const { eta, biasEta, beta, cost } = msg.body
        ;[eta, biasEta, beta].forEach((v, k) => { if (!Number.isFinite(v) || v < 0 && k < 2 || v === 0 && k === 2) throw new Refusal('OUT_OF_RANGE', k) })
        if (cost !== 'log-cos') throw new Refusal('UNSUPPORTED', 0)
        this.learn = { eta, biasEta, beta, acc: new Float64Array(c.total), samples: 0 }
        return this.ack(key, msg.id)
      }
      case 'LEARN_FREE': {
        this.needLearning()
        if (!this.learn) throw new Refusal('LEARN_NOT_CONFIGURED', 0)
        const { batch, seed, budgetUs, maxSteps, samples } = msg.body
        const nIn = c.clampable.length, nOut = c.nudgeable.length
        if (batch === 0 || batch > this.opts.maxBatch || batch * nOut > arrayCapacity('LEARN_OUTPUTS', this.sessionMaxFrame)) throw new Refusal('OUT_OF_RANGE', batch)
        if (samples.length !== batch * (nIn + nOut)) throw new Refusal('OUT_OF_RANGE', batch * (nIn + nOut))
        for (let i = 0; i < batch; i++) {
          const s = this.samples[i], at = i * (nIn + nOut)
          for (let k = 0; k < nIn; k++) s.clamps[k] = samples[at + k] * PHASE_LSB
          for (let k = 0; k < nOut; k++) s.targets[k] = samples[at + nIn + k] * PHASE_LSB
        }
        return this.beginRelax(key, { batch, phase: 'free', nudge: 'cost', cost: 'log-cos', start: 'random', beta: 0, seed, budgetUs, maxSteps }, 'free')
      }
      case 'LEARN_NUDGED': {
        this.needLearning()
        const l = this.learn
        if (!l) throw new Refusal('LEARN_NOT_CONFIGURED', 0)
        const { batch, budgetUs, maxSteps } = msg.body
        if (batch === 0 || batch > this.opts.maxBatch) throw new Refusal('OUT_OF_RANGE', batch)
        const missing = this.freeSnap.findIndex((f, i) => i < batch && f === null)
        if (missing >= 0) throw new Refusal('NO_PREVIOUS', missing)
        return this.beginRelax(key, { batch, phase: 'nudged', nudge: 'cost', cost: 'log-cos', start: 'given', beta: l.beta, seed: 0, budgetUs, maxSteps }, 'nudged')
      }
      case 'LEARN_COMMIT': {
        this.needLearning()
        if (!this.learn) throw new Refusal('LEARN_NOT_CONFIGURED', 0)
        this.commitLearning(this.learn)
        return this.ack(key, msg.id)
      }
      case 'LEARN_DISCARD': {
        this.needLearning()
        if (this.learn) { this.learn.acc.fill(0); this.learn.samples = 0 }
        return this.ack(key, msg.id)
      }
      case 'GET_STATE': {
        const { sample, kind, offset, count } = msg.body
        if (sample >= this.lastBatch) throw new Refusal('OUT_OF_RANGE', sample)
        if (kind !== 'nodes') throw new Refusal('UNSUPPORTED', 0)
        const s = this.samples[sample]
        const k = this.readCount(offset, count, c.n, 'STATE')
        const values: number[] = []
        for (let i = offset; i < offset + k; i++) values.push(toFixed(wrapPhase(s.prev![i]), PHASE_LSB))
        return this.reply(key, {
          name: 'STATE',
          body: { sample, kind, settled: s.settled, steps: Math.min(s.steps, 0xffffffff), energy: s.energy, offset, total: c.n, values },
        })
      }
      default:
        throw new Refusal('UNKNOWN_MESSAGE', msg.id)
    }
  }

  private startRelax(key: Omit<CacheEntry, 'reply'>, b: MessageBodies['RELAX']): void {
    if (b.batch === 0 || b.batch > this.opts.maxBatch) throw new Refusal('OUT_OF_RANGE', b.batch)
    const nudged = b.phase === 'nudged'
    if (nudged && b.nudge === 'cost' && b.cost !== 'log-cos') throw new Refusal('UNSUPPORTED', 0)
    if (nudged && b.nudge === 'cost' && !Number.isFinite(b.beta)) throw new Refusal('OUT_OF_RANGE', 0)
    if (b.start === 'previous' || b.start === 'readout') {
      const missing = this.samples.findIndex((s, i) => i < b.batch && (b.start === 'previous' ? s.prev : s.readout) === null)
      if (missing >= 0) throw new Refusal('NO_PREVIOUS', missing)
    }
    this.beginRelax(key, b, null)
  }

  private beginRelax(key: Omit<CacheEntry, 'reply'>, b: MessageBodies['RELAX'], learn: 'free' | 'nudged' | null): void {
    this.state = 'busy'
    this.remember({ ...key, reply: null })
    const token = ++this.relaxToken
    void this.runRelax(key, b, token, learn)
  }

  private needLearning(): void {
    if (!this.opts.onBoardLearning) throw new Refusal('UNSUPPORTED', 0)
  }

  /** Adds one sample's contrast dE/dtheta(nudged) - dE/dtheta(free) to the accumulator (SPEC 13). */
  private accumulate(l: LearnState, free: Float64Array, nudged: Float64Array): void {
    const c = this.core, p = c.params, m = c.m, n = c.n
    for (let e = 0; e < m; e++) {
      const [i, j] = c.edges[e]
      // dE/dW = -cos(phi_i - phi_j)
      l.acc[e] += Math.cos(free[i] - free[j]) - Math.cos(nudged[i] - nudged[j])
    }
    if (l.biasEta === 0) return
    for (let i = 0; i < n; i++) {
      const h = p[m + i], psi = p[m + n + i]
      // dE/dh = -cos(phi - psi), dE/dpsi = -h sin(phi - psi)
      l.acc[m + i] += Math.cos(free[i] - psi) - Math.cos(nudged[i] - psi)
      l.acc[m + n + i] += h * (Math.sin(free[i] - psi) - Math.sin(nudged[i] - psi))
    }
  }

  /** LEARN_COMMIT: theta += -(eta/beta) acc / samples, through the board's clip and quantise, then a fresh accumulator. */
  private commitLearning(l: LearnState): void {
    const c = this.core
    if (l.samples > 0) {
      const k = -1 / (l.beta * l.samples)
      if (l.eta !== 0) c.update(0, Array.from(l.acc.subarray(0, c.m), (v) => Math.fround(l.eta * k * v)))
      if (l.biasEta !== 0) c.update(c.m, Array.from(l.acc.subarray(c.m), (v) => Math.fround(l.biasEta * k * v)))
    }
    l.acc.fill(0)
    l.samples = 0
  }

  /** The step and time budgets of a RELAX after the board's defaults and clamps (SPEC 6.5). */
  relaxBudget(b: Pick<MessageBodies['RELAX'], 'budgetUs' | 'maxSteps'>): { budgetUs: number; maxSteps: number } {
    const o = this.opts
    return {
      budgetUs: b.budgetUs === 0 ? Math.min(o.defaultBudgetUs, o.budgetLimitUs) : Math.min(b.budgetUs, o.budgetLimitUs),
      maxSteps: b.maxSteps === 0 ? Math.min(o.maxEvals, o.maxStepsLimit) : Math.min(b.maxSteps, o.maxStepsLimit),
    }
  }

  private async runRelax(key: Omit<CacheEntry, 'reply'>, b: MessageBodies['RELAX'], token: number, learn: 'free' | 'nudged' | null): Promise<void> {
    const t0 = performance.now()
    const { budgetUs, maxSteps } = this.relaxBudget(b)
    const deadline = t0 + budgetUs / 1000
    // between slices the board reads its link: HELLO or STOP may abort, heartbeats and signals get through
    const between = async () => {
      await new Promise<void>((r) => setImmediate(r))
      return token === this.relaxToken
    }
    let settled = 0
    for (let i = 0; i < b.batch; i++) {
      if (!(await between())) return
      const s = this.samples[i]
      const job: SampleJob = {
        clamps: s.clamps,
        start: b.start === 'random' ? { kind: 'random', seed: (b.seed + i) >>> 0 }
          : { kind: 'given', states: learn === 'nudged' ? this.freeSnap[i]! : b.start === 'given' ? s.start : b.start === 'readout' ? s.readout! : s.prev! },
        nudge: b.phase === 'free' ? undefined : b.nudge === 'cost' ? { kind: 'cost', beta: b.beta, targets: s.targets } : { kind: 'force', force: s.force },
        maxEvals: maxSteps, deadline, between,
      }
      const r = await this.core.relaxSample(job)
      if (r === null || token !== this.relaxToken) return
      s.prev = r.state
      s.settled = r.settled
      s.steps = r.steps
      s.energy = r.energy
      if (r.settled) settled++
    }
    if (token !== this.relaxToken) return
    // SPEC 6.5 readout: what STATE reports, wrapped and rounded once more as a host's SET_START of it
    // would be (a reported +-25736 units lies beyond +-pi and comes back as the other sign)
    if (b.phase === 'free') for (let i = 0; i < b.batch; i++) this.samples[i].readout = readout(readout(this.samples[i].prev!))
    this.stats.relaxations++
    this.lastBatch = b.batch
    this.state = 'ready'
    const elapsedUs = Math.min(0xffffffff, Math.round((performance.now() - t0) * 1000))
    if (learn === 'free') {
      const values: number[] = []
      for (let i = 0; i < b.batch; i++) {
        // the board learns from its readout (state_lsb), as a host does from the states it reads back
        const snap = readout(this.samples[i].prev!)
        this.freeSnap[i] = snap
        for (const o of this.core.nudgeable) values.push(Math.round(snap[o] / PHASE_LSB))
      }
      this.reply(key, { name: 'LEARN_OUTPUTS', body: { batch: b.batch, settled, elapsedUs, values } })
    } else if (learn === 'nudged') {
      // only samples whose nudged phase settled give a usable contrast (as the host's trainer decides)
      const l = this.learn!
      let used = 0
      for (let i = 0; i < b.batch; i++) {
        if (!this.samples[i].settled) continue
        this.accumulate(l, this.freeSnap[i]!, readout(this.samples[i].prev!))
        l.samples++
        used++
      }
      this.reply(key, { name: 'RELAX_DONE', body: { batch: b.batch, settled: used, elapsedUs } })
    } else {
      this.reply(key, { name: 'RELAX_DONE', body: { batch: b.batch, settled, elapsedUs } })
    }
    this.afterCommand()
    this.drainQueue()
  }

  private sample(i: number): SampleData {
    if (i >= this.opts.maxBatch) throw new Refusal('OUT_OF_RANGE', i)
    return this.samples[i]
  }

  private checkWrite(offset: number, count: number, total: number): void {
    if (offset + count > total) throw new Refusal('OUT_OF_RANGE', total)
  }

  /** Items a read command returns: min(count, total - offset, what fits the session frame). */
  private readCount(offset: number, count: number, total: number, reply: MessageName): number {
    if (offset >= total) return 0
    const fit = arrayCapacity(reply, this.sessionMaxFrame)
    return Math.min(count === 0 ? fit : count, total - offset, fit)
  }

  private clearSamples(): void {
    const c = this.core
    this.samples = Array.from({ length: this.opts.maxBatch }, () => ({
      clamps: new Float64Array(c.clampable.length).fill(NaN), targets: new Float64Array(c.nudgeable.length),
      force: new Float64Array(c.n), start: new Float64Array(c.n), prev: null, readout: null, settled: false, steps: 0, energy: NaN,
    }))
    this.lastBatch = 0
    this.freeSnap = this.samples.map(() => null)
  }

  /** The safe state (SPEC 7.2): relaxation aborted, parameters 0, clamps and cache gone. */
  private enterSafe(): void {
    this.relaxToken++
    this.core.zero()
    this.clearSamples()
    this.learn = null
    this.endSession()
    this.state = 'safe'
    this.armed = false
  }

  // ---- send path ---------------------------------------------------------------------------------

  private ack(key: Omit<CacheEntry, 'reply'>, ref: number): void {
    this.reply(key, { name: 'ACK', body: { ref } })
  }

  private reply(key: Omit<CacheEntry, 'reply'>, m: Message): void {
    const frame = encodeMessage({ ...m, seq: key.seq } as never)
    this.remember({ ...key, reply: frame })
    if (m.name === 'NACK') this.countNack(m.body.code)
    this.sendFrame(frame)
  }

  /** Caches a command's reply (null while it runs), keeping the last `window` commands. */
  private remember(e: CacheEntry): void {
    const at = this.cache.findIndex((x) => x.seq === e.seq && x.msgId === e.msgId && x.crc === e.crc)
    if (at >= 0) { this.cache[at] = e; return }
    this.cache.push(e)
    while (this.cache.length > this.window) this.cache.shift()
  }

  private sendNack(seq: number, ref: number, code: ErrorName, detail: number): void {
    this.countNack(ERROR_CODES[code])
    const body = { ref, code: ERROR_CODES[code], detail }
    this.sendFrame(encodeMessage({ name: 'NACK', body, seq }))
  }

  private countNack(code: number): void {
    const name = (Object.keys(ERROR_CODES) as ErrorName[]).find((k) => ERROR_CODES[k] === code)
    if (name) this.stats.nacks[name] = (this.stats.nacks[name] ?? 0) + 1
  }

  private sendEvent(m: Message): void {
    const seq = this.eventSeq
    this.eventSeq = (this.eventSeq + 1) & 0xffff
    this.sendFrame(encodeMessage({ ...m, seq } as never))
  }

  private sendResetFault(): void {
    this.pendingReset = false
    this.sendEvent({ name: 'FAULT', body: { code: FAULT_CODES.RESET, detail: 0 } })
  }

  private sendFrame(frame: Uint8Array): void {
    const f = this.opts.faults
    let out = frame
    if (f.protocolMajor !== undefined && f.protocolMajor !== PROTOCOL.major) {
      // re-frame in the foreign major: same header layout, its own CRC (SPEC 3.3 keeps these fixed)
      const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
      out = encodeFrame({ major: f.protocolMajor, seq: dv.getUint16(3, true), msgId: frame[5] }, frame.subarray(8, frame.length - 4))
    }
    this.lastTx = this.clock.now()
    if (f.drop > 0 && this.rng.next() < f.drop) { this.stats.dropped++; return }
    const bytes = corruptBytes(serialFrame(out), f.corrupt, this.rng)
    const write = () => {
      const s = this.stream
      if (!s || this.closed) return
      this.stats.framesOut++
      s.write(bytes).catch(() => {})
    }
    if (f.delayS > 0) this.clock.after(f.delayS, write)
    else write()
  }

  // ---- timers ------------------------------------------------------------------------------------

  private tick(): void {
    if (this.closed) return
    const now = this.clock.now()
    if (now >= this.hangUntil) {
      if (this.armed && now - this.lastValidRx > this.watchdogS) {
        // the host went silent: safe state, then say why (SPEC 5.5)
        const silentMs = Math.round((now - this.lastValidRx) * 1000)
        this.enterSafe()
        this.stats.watchdogTrips++
        this.sendEvent({ name: 'FAULT', body: { code: FAULT_CODES.WATCHDOG, detail: silentMs } })
      } else if (now - this.lastTx >= this.watchdogS / 4) {
        this.sendEvent({
          name: 'HEARTBEAT',
          body: { state: this.state, bootCounter: this.bootCounterValue, uptimeMs: Math.min(0xffffffff, Math.round((now - this.bootAt) * 1000)), rxBad: this.stats.rxBad },
        })
      }
    }
    this.cancelTick = this.clock.after(TICK_S, () => this.tick())
  }
}
