// One protocol session over one open link (SPEC sections 5 and 6): stop-and-wait commands with
// timeouts and retries that reuse the seq (the board's reply cache makes them idempotent), NACK
// handling by host action, host heartbeats, board-silence detection, and dispatch of board events.
// It never reconnects: when the link or the board's session is gone it fails, and BoardConnection
// decides what to do.
import {
  encodeMessage, errorName, FrameReceiver, messageSpec,
  type CommandName, type DecodedMessage, type FaultBody, type HeartbeatBody, type MessageBodies,
} from '../../firmware-protocol/ts/index.ts'
import type { Clock, Transport } from '../transports/transport.ts'
import type { DiagnosticCode, DeviceCounters } from './diagnostics.ts'
import { addRtt } from './diagnostics.ts'
import { RttEstimator } from './rtt.ts'

export { RttEstimator }

/** Sends of one command before the link counts as lost even though the board still talks. */
const MAX_SENDS = 64
/** A RELAX not yet measured: wait this long (s) before the first probe, as TCP's initial RTO. */
const RELAX_INITIAL_RTO_S = 1
/** Commands that relax and answer only when done (RELAX and the on-board learning relaxations). */
const RELAXING: ReadonlySet<CommandName> = new Set(['RELAX', 'LEARN_FREE', 'LEARN_NUDGED'])

/** The reply each command expects (besides NACK); checked against the table when this module loads. */
export const REPLY_OF = {
  HELLO: 'DEVICE_INFO', GET_EDGES: 'EDGES', GET_NODE_LIST: 'NODE_LIST', SET_PARAMS: 'PARAMS', UPDATE_PARAMS: 'PARAMS',
  GET_PARAMS: 'PARAMS', CLAMP: 'ACK', SET_TARGETS: 'ACK', SET_FORCE: 'ACK', SET_START: 'ACK', RELAX: 'RELAX_DONE',
  GET_STATE: 'STATE', STOP: 'ACK',
  LEARN_CONFIG: 'ACK', LEARN_FREE: 'LEARN_OUTPUTS', LEARN_NUDGED: 'RELAX_DONE', LEARN_COMMIT: 'ACK', LEARN_DISCARD: 'ACK',
} as const satisfies Record<CommandName, string>
for (const [cmd, reply] of Object.entries(REPLY_OF)) {
  if (messageSpec(cmd).reply[0] !== reply) throw new Error(`REPLY_OF.${cmd} = ${reply} disagrees with messages.json`)
}
export type ReplyBody<C extends CommandName> = MessageBodies[(typeof REPLY_OF)[C]]

/** The link is gone (port closed), or the board stopped answering (retries used up, or silent). */
export class LinkLost extends Error {
  constructor(readonly kind: 'closed' | 'timeout' | 'silent', message: string) { super(message); this.name = 'LinkLost' }
}
/** The board lost its session state (NACK NOT_READY, a FAULT, a reboot): re-handshake and start over. */
export class SessionReset extends Error {
  constructor(readonly why: string) { super(why); this.name = 'SessionReset' }
}
/** A NACK whose host action is `fail`. */
export class NackError extends Error {
  constructor(readonly command: string, readonly code: number, readonly codeName: string, readonly detail: number) {
    super(`${command}: NACK ${codeName} (code ${code}, detail ${detail})`)
    this.name = 'NackError'
  }
}
/** The board speaks another protocol major. */
export class IncompatibleBoard extends Error {
  constructor(readonly boardMajor: number) { super(`board speaks protocol major ${boardMajor}`); this.name = 'IncompatibleBoard' }
}
/** A reply that does not fit its command. */
export class ProtocolViolation extends Error {
  constructor(what: string) { super(what); this.name = 'ProtocolViolation' }
}

export interface SessionOptions {
  clock: Clock
  /** reply timeout of one attempt (s), before any RELAX allowance */
  replyTimeoutS: number
  /** timeouts in a row, with no valid frame from the board, before it counts as silent */
  retries: number
  /** host heartbeat interval (s); 0 = send none (before the handshake, or in tests) */
  heartbeatS: number
  /** the board counts as lost after this long without any frame from it (s) */
  silenceS: number
  /** host receive limit (bytes) */
  maxFrame: number
}

export interface SessionHooks {
  counters: DeviceCounters
  diagnose: (code: DiagnosticCode, message: string) => void
  onHeartbeat?: (b: HeartbeatBody) => void
  onFault?: (b: FaultBody) => void
  /** called once when the session fails on its own (link closed, board silent, incompatible) */
  onLost?: (e: Error) => void
}

interface Pending {
  name: CommandName
  body: unknown
  budgetS: number
  seq: number
  /** the message id, which a NACK names in `ref` */
  id: number
  frame: Uint8Array
  reply: string
  resolve: (m: DecodedMessage) => void
  reject: (e: Error) => void
  timeoutS: number
  /** sends so far (the first included) */
  attempts: number
  /** reply timeouts so far; after retries + 1 of them with nothing valid heard, the board counts as silent */
  timeouts: number
  /** this command's timer multiplier: doubles at each of its own timeouts (RFC 6298 back-off, 64 at most) */
  backoff: number
  firstSentAt: number
  lastSentAt: number
  /** when the latest copy's bytes were out */
  lastOutAt: number
  /** the session's numbers of the copies sent (every command frame sent gets the next number), oldest first */
  copies: number[]
  /** when each copy was sent */
  copiesAt: number[]
  /** the latest send's bytes are out (a paced link takes a while): only then does its reply timer run */
  out: boolean
  cancel: (() => void) | null
}

const last = (p: Pending): number => p.copies[p.copies.length - 1] ?? -1

/**
 * One session: call() sends a command and resolves with its reply body. Up to `window` commands are
 * in flight at once (SPEC 5.3: the board announced it, 1 = stop-and-wait); callers pipeline by
 * issuing several calls before awaiting them. Only the oldest command in flight has a reply timer, as
 * TCP times only its oldest unacknowledged segment: the commands behind it wait for it on the board.
 *
 * Recovery does not wait for timers where the board's answers already tell what was lost. The link
 * keeps order both ways, the board handles frames in arrival order and answers OUT_OF_ORDER and
 * BAD_CRC at once, and it sends replies in seq order. So:
 * - a reply to a command whose first copy left after an older command's latest copy means that older
 *   command's reply was lost: resend it now (answered from the board's cache);
 * - each NACK OUT_OF_ORDER or BAD_CRC answers one copy; counting copies in send order gives the
 *   earliest copy it can answer (`boardSawUpTo`, a lower bound). A refusal of a copy sent after the
 *   expected command's latest copy means that copy was lost: go back and resend from it. A refusal of
 *   an older copy is stale for the expected command, but the refused command itself needs a copy
 *   after it, if it has none yet.
 * Timers remain for what leaves no trace: the last reply of a burst, or a command lost with every
 * answer behind it.
 */
export class Session {
  private seq: number
  private eventSeq = 0
  /** commands sent and not answered, in seq order */
  private inflight: Pending[] = []
  /** commands not yet sent: the window is full, or a HELLO/STOP waits for the pipe to empty */
  private backlog: Pending[] = []
  private window = 1
  /** the number of the next command frame sent (copies counted in send order) */
  private sendNo = 0
  /** the latest copy the board has handled, as far as its immediate answers (NACKs) tell */
  private boardSawUpTo = -1
  /** the shortest round trip measured in this session (s): a copy out for less cannot have been answered */
  private minRtt = Infinity
  private lastRx: number
  /** when the last valid frame came (-Infinity: none yet); lastRx starts at the session's birth instead */
  private heardAt = -Infinity
  /** when the last sign of a damaged frame came (either way: a frame damaged here, NACK BAD_CRC or OUT_OF_ORDER) */
  private lossAt = -Infinity
  private lastTx: number
  private dead: Error | null = null
  private cancelTick: (() => void) | null = null
  private readonly receiver: FrameReceiver
  /** measured round trips per command, for the reply timeouts */
  readonly rtt = new RttEstimator()

  constructor(readonly transport: Transport, private opts: SessionOptions, private readonly hooks: SessionHooks) {
    // a fresh random start per session, so a reply cached from an earlier session never matches
    this.seq = Math.floor(Math.random() * 0x10000)
    this.lastRx = this.lastTx = opts.clock.now()
    this.receiver = new FrameReceiver({ maxFrame: opts.maxFrame, role: 'host' })
    transport.onFrame((f) => { if (!this.dead) this.onFrame(f) })
    transport.onNoise?.(() => { if (!this.dead) this.onNoise('bytes that make no frame (bad COBS or oversize)') })
    transport.onClose((err) => this.fail(new LinkLost('closed', `link closed${err ? `: ${err.message}` : ''}`)))
    if (!transport.isOpen) this.fail(new LinkLost('closed', 'link closed'))
    this.tick()
  }

  get isAlive(): boolean { return this.dead === null }

  /** Commands this session keeps in flight at most (the window DEVICE_INFO agreed; 1 before). */
  get pipelineWindow(): number { return this.window }

  /** Changes heartbeat and silence timing (after the handshake told us the watchdog). */
  setTiming(t: { heartbeatS: number; silenceS: number }): void {
    this.opts = { ...this.opts, ...t }
    this.lastRx = this.opts.clock.now()
  }

  /** Lets up to n commands be in flight (the window the board agreed in DEVICE_INFO, SPEC 5.3). */
  setWindow(n: number): void {
    this.window = Math.max(1, Math.min(255, Math.floor(n)))
    this.pump()
  }

  /** Sends a command (when the window lets it) and resolves with its reply body. */
  call<C extends CommandName>(name: C, body: MessageBodies[C], o: { budgetS?: number } = {}): Promise<ReplyBody<C>> {
    return new Promise<DecodedMessage>((resolve, reject) => {
      if (this.dead) { reject(this.dead); return }
      this.backlog.push({
        name, body, budgetS: o.budgetS ?? 0, seq: -1, id: messageSpec(name).id, frame: new Uint8Array(0), reply: REPLY_OF[name], resolve, reject,
        timeoutS: 0, attempts: 0, timeouts: 0, backoff: 1, firstSentAt: NaN, lastSentAt: NaN, lastOutAt: NaN, copies: [], copiesAt: [], out: false, cancel: null,
      })
      this.pump()
    }).then((m) => m.body as ReplyBody<C>)
  }

  /** Ends the session: timers stop, waiting commands fail with err. The link stays open. */
  end(err: Error = new LinkLost('closed', 'session ended')): void {
    if (this.dead) return
    this.dead = err
    this.cancelTick?.()
    const all = [...this.inflight, ...this.backlog]
    this.inflight = []
    this.backlog = []
    for (const p of all) { p.cancel?.(); p.reject(err) }
  }

  private fail(err: Error): void {
    if (this.dead) return
    this.end(err)
    this.hooks.onLost?.(err)
  }

  /** Sends backlog commands while the window has room: seqs in flight span less than the window. */
  private pump(): void {
    while (!this.dead && this.backlog.length > 0) {
      const next = this.backlog[0]
      const head = this.inflight[0]
      if (head) {
        // HELLO and STOP end the board's pipeline: they go alone, after everything before them
        if (next.name === 'HELLO' || next.name === 'STOP' || head.name === 'HELLO' || head.name === 'STOP') return
        if (((this.seq - head.seq) & 0xffff) >= this.window) return
      }
      this.backlog.shift()
      next.seq = this.nextSeq()
      next.frame = encodeMessage({ name: next.name, body: next.body, seq: next.seq } as never)
      // a RELAX answers when the board is done: allow the budget, and a few board heartbeats of quiet
      next.timeoutS = RELAXING.has(next.name) ? Math.max(this.opts.replyTimeoutS, 2.5 * this.opts.heartbeatS) + next.budgetS : this.opts.replyTimeoutS
      this.inflight.push(next)
      this.hooks.counters.commands++
      this.send(next)
    }
  }

  private nextSeq(): number {
    const s = this.seq
    this.seq = (this.seq + 1) & 0xffff
    return s
  }

  private send(p: Pending): void {
    p.attempts++
    if (p.attempts > 1) this.hooks.counters.retries++
    p.cancel?.()
    p.cancel = null
    p.out = false
    this.lastTx = p.lastSentAt = this.opts.clock.now()
    if (Number.isNaN(p.firstSentAt)) p.firstSentAt = this.lastTx
    if (p.copies.length >= MAX_SENDS) { p.copies.shift(); p.copiesAt.shift() }
    p.copies.push(this.sendNo++)
    p.copiesAt.push(this.lastTx)
    const attempt = p.attempts
    // the reply timer starts once the bytes are out (a paced link takes a while to send them)
    this.transport.send(p.frame).then(
      () => {
        if (p.attempts !== attempt || !this.inflight.includes(p)) return
        p.out = true
        p.lastOutAt = this.opts.clock.now()
        if (this.inflight[0] === p && !p.cancel) this.arm(p)
      },
      (err: Error) => this.fail(new LinkLost('closed', `write failed: ${err.message}`)),
    )
  }

  /** Resends, in seq order, the commands in flight from index k on. */
  private goBack(k: number): void {
    for (const x of this.inflight.slice(k)) this.send(x)
  }

  /** The reply timeout of a command before its own back-off (s): the measured round trip, at least replyTimeoutS. */
  private baseTimeout(p: Pending): number {
    return this.rtt.rto(p.name, this.opts.replyTimeoutS, RELAXING.has(p.name) ? RELAX_INITIAL_RTO_S : undefined)
  }

  private arm(p: Pending): void {
    p.cancel?.()
    // the deadline counts from the latest send: a command that waited behind others on the board gets
    // what is left of it, but at least the floor (its own service time)
    const floor = this.opts.replyTimeoutS * p.backoff
    const left = p.lastOutAt + this.baseTimeout(p) * p.backoff - this.opts.clock.now()
    p.cancel = this.opts.clock.after(Math.max(floor, left), () => {
      if (this.inflight[0] !== p) return
      p.cancel = null
      // back off (RFC 6298): the command may be slower than measured. Not when frames were seen damaged
      // or refused since its latest send: then the copy or its reply was lost on a noisy line, and
      // waiting longer for the next one only stalls
      if (RELAXING.has(p.name) || this.lossAt < p.lastSentAt) p.backoff = Math.min(64, p.backoff * 2)
      if (RELAXING.has(p.name) && this.opts.clock.now() - Math.max(this.lastRx, p.firstSentAt) < p.timeoutS) {
        // a RELAX answers when done; until then, probe: a board that is working on it ignores the
        // copy (SPEC 5.4), one that never got it starts now. Only quiet beyond the allowance times out.
        this.send(p)
        return
      }
      this.hooks.counters.timeouts++
      // on a noisy line commands get lost while the board is plainly alive: keep resending as long as
      // valid frames come from it (true silence ends the session in tick()); give up after `retries`
      // timeouts only when nothing valid came since the command was first sent
      const heardSince = this.heardAt >= p.firstSentAt
      if ((++p.timeouts > this.opts.retries && !heardSince) || p.attempts >= MAX_SENDS) {
        this.fail(new LinkLost('timeout', `no reply to ${p.name} after ${p.attempts} sends`))
      } else this.send(p)
    })
  }

  private settle(p: Pending, err: Error | null, m?: DecodedMessage): void {
    p.cancel?.()
    p.cancel = null
    const i = this.inflight.indexOf(p)
    if (i < 0) return
    this.inflight.splice(i, 1)
    const now = this.opts.clock.now()
    if (err) p.reject(err)
    else {
      // from its own send: the queue in front of it on the board is part of what it waits for
      const r = now - (p.attempts === 1 ? p.firstSentAt : p.lastSentAt)
      if (p.attempts === 1) {
        if (r < this.minRtt) this.minRtt = r
        addRtt(this.hooks.counters, r)
        this.rtt.sample(p.name, r)
      } else if (r > this.baseTimeout(p)) {
        // resent, but even the latest copy has been out longer than the timeout: the command is slower
        // than the estimate, whichever copy was answered (a lower bound, so it can only raise it)
        this.rtt.sample(p.name, r)
      }
      p.resolve(m!)
    }
    // replies come in seq order: an older command whose latest copy left before this one's first
    // copy has been answered already, and that answer was lost
    for (let k = 0; k < i && k < this.inflight.length; k++) {
      const q = this.inflight[k]
      if (last(q) < p.copies[0]) this.send(q)
    }
    const head = this.inflight[0]
    if (head && head.out && !head.cancel) this.arm(head)
    this.pump()
  }

  /**
   * The copy of p that a NACK received now answers (-1: none known). The board handles frames in send
   * order, so it is later than the last copy attributed (a lower bound that lags when an answer was
   * lost); and any copy sent at least the shortest round trip ago can have been answered (an estimate
   * that catches up after a loss). The later of the two; the board has handled everything up to it.
   */
  private attribute(p: Pending): number {
    let c = p.copies.find((n) => n > this.boardSawUpTo) ?? -1
    const before = this.opts.clock.now() - this.minRtt
    for (let k = p.copies.length - 1; k >= 0 && p.copies[k] > c; k--) {
      if (p.copiesAt[k] <= before) { c = p.copies[k]; break }
    }
    if (c > this.boardSawUpTo) this.boardSawUpTo = c
    return c
  }

  private onFrame(frame: Uint8Array): void {
    const c = this.hooks.counters
    const r = this.receiver.accept(frame)
    if (!r.ok) {
      const code = r.error.codeName
      if (code === 'UNSUPPORTED_MAJOR') { this.fail(new IncompatibleBoard(frame[0])); return }
      c.badFrames++
      if (code === 'BAD_CRC') c.crcErrors++
      this.onNoise(r.error.message)
      return
    }
    this.lastRx = this.heardAt = this.opts.clock.now()
    const m = r.message
    const head = this.inflight[0]
    switch (m.name) {
      case 'HEARTBEAT':
        c.heartbeatsIn++
        this.hooks.onHeartbeat?.(m.body)
        if (head !== undefined && RELAXING.has(head.name) && head.out) {
          // busy: it is working on it, wait on; otherwise it never got the RELAX (or its reply was lost)
          if (m.body.state === 'busy') this.arm(head)
          else this.send(head)
        }
        return
      case 'FAULT':
        c.faults++
        this.hooks.onFault?.(m.body)
        // the board left its session; a HELLO in flight is still answered (it opens a new one)
        for (const p of [...this.inflight]) if (p.name !== 'HELLO') this.settle(p, new SessionReset(`FAULT ${m.body.code} while waiting for ${p.name}`))
        return
      default: {
        const p = this.inflight.find((x) => x.seq === m.seq)
        if (!p) { c.staleReplies++; return }
        if (m.name === 'NACK') return this.onNack(p, m.body)
        if (m.name !== p.reply) return this.settle(p, new ProtocolViolation(`${p.name} answered with ${m.name}`))
        this.settle(p, null, m)
      }
    }
  }

  private onNoise(what: string): void {
    this.lossAt = this.opts.clock.now()
    this.hooks.diagnose('CRC_ERRORS', `dropped a frame from the board: ${what}`)
    // a damaged frame while commands wait is most likely the oldest one's reply (replies come in
    // order): resend it now instead of waiting for the timeout (the reply cache answers a duplicate
    // without executing it again)
    const head = this.inflight[0]
    if (head) this.send(head)
  }

  private onNack(p: Pending, b: MessageBodies['NACK']): void {
    const name = errorName(b.code) ?? `code ${b.code}`
    const c = this.hooks.counters
    c.nacks[name] = (c.nacks[name] ?? 0) + 1
    if (name === 'BAD_CRC' || name === 'OUT_OF_ORDER') this.lossAt = this.opts.clock.now()
    switch (name) {
      case 'BAD_CRC': {
        // retransmit now if the damaged copy was the latest one; a damaged older copy changes nothing.
        // Its header was damaged too if the id is not p's: then nothing is known about p
        if (b.ref !== p.id) return
        if (this.attribute(p) >= last(p)) this.send(p)
        return
      }
      case 'OUT_OF_ORDER': {
        // a copy of p was refused because the board still waits for the command b.detail
        const copy = this.attribute(p)
        const k = this.inflight.findIndex((x) => x.seq === b.detail)
        if (copy < 0 || k < 0) return
        const want = this.inflight[k]
        if (copy > last(want)) this.goBack(k)         // its latest copy was lost: resend from it, in order
        else if (last(p) < last(want)) this.send(p)   // its latest copy is on the way: p needs a copy behind it
        return
      }
      case 'BUSY':
        this.attribute(p)
        // a relaxation we gave up on still runs, or the board's queue is full: wait, then ask again
        p.cancel?.()
        p.cancel = this.opts.clock.after(0.05, () => {
          p.cancel = null
          if (!this.inflight.includes(p)) return
          if (this.window === 1) {
            // stop-and-wait: as a new command (a 1.0 board keeps no order)
            p.seq = this.nextSeq()
            p.frame = encodeMessage({ name: p.name, body: p.body, seq: p.seq } as never)
          }
          this.send(p)
        })
        return
      case 'NOT_READY': this.settle(p, new SessionReset(`${p.name}: board not in a session (NOT_READY)`)); return
      case 'UNSUPPORTED_MAJOR': this.fail(new IncompatibleBoard(b.detail)); return
      default:
        this.hooks.diagnose('NACK', `${p.name} refused: ${name}, detail ${b.detail}`)
        this.settle(p, new NackError(p.name, b.code, name, b.detail))
    }
  }

  private tick(): void {
    if (this.dead) return
    const now = this.opts.clock.now()
    if (now - this.lastRx > this.opts.silenceS) {
      this.fail(new LinkLost('silent', `no frame from the board for ${(now - this.lastRx).toFixed(2)} s`))
      return
    }
    if (this.opts.heartbeatS > 0 && now - this.lastTx >= this.opts.heartbeatS) {
      this.lastTx = now
      const seq = this.eventSeq
      this.eventSeq = (this.eventSeq + 1) & 0xffff
      this.hooks.counters.heartbeatsOut++
      const frame = encodeMessage({ name: 'HEARTBEAT', body: { state: 'boot', bootCounter: 0, uptimeMs: 0, rxBad: 0 }, seq })
      this.transport.send(frame).catch((err: Error) => this.fail(new LinkLost('closed', `write failed: ${err.message}`)))
    }
    const step = this.opts.heartbeatS > 0 ? Math.min(0.1, this.opts.heartbeatS / 2) : 0.1
    this.cancelTick = this.opts.clock.after(step, () => this.tick())
  }
}
