// Keeping a board connected: the first handshake, then reconnects with exponential back-off after an
// unplug, a silent board, a reboot or a watchdog trip; the board must come back with the same uid and
// topology, and the owner's restore hook (the parameter re-write) runs before anything else. Driver
// calls go through run(), which waits out an outage and starts the call over on the new session.
import { PROTOCOL, type FaultBody, type HeartbeatBody } from '../../firmware-protocol/ts/index.ts'
import { EqpError } from '../../src/errors.ts'
import { sleep, systemClock, type Clock, type Connector, type Transport } from '../transports/transport.ts'
import { newCounters, type ConnectionState, type DeviceCounters, type DeviceStatus, type DiagnosticCode, type DiagnosticEntry } from './diagnostics.ts'
import { handshake, sameSubstrate, type BoardDescription } from './handshake.ts'
import { IncompatibleBoard, LinkLost, NackError, ProtocolViolation, Session, SessionReset } from './session.ts'

export interface ConnectionOptions {
  clock?: Clock
  /** reply timeout of one attempt (s); default 0.1 s + twice a full frame's time at baudRate */
  replyTimeoutS?: number
  /** line rate used for the default reply timeout (default 115200) */
  baudRate?: number
  /** resends after a timeout before the board counts as silent (default 3) */
  retries?: number
  /** watchdog to ask the board for (ms); 0 = its default */
  watchdogMs?: number
  /** host receive limit (bytes, default 4096) */
  maxFrame?: number
  /** refuse a board that reports another uid */
  expectUid?: string
  /** how long the first connection may take before open() fails (s, default 10) */
  connectTimeoutS?: number
  /** how long a call waits for a lost board before failing with EQP_ERR_DEVICE_LOST (s, default no limit) */
  maxOutageS?: number
  /** reconnect back-off: first delay and cap (s); SPEC: 0.1 doubling to 5 */
  backoffS?: { first: number; max: number }
  /** send host heartbeats (default true; tests of the watchdog turn them off) */
  heartbeats?: boolean
  /** commands to keep in flight at most (SPEC 5.3); the session uses min(this, the board's). Default 8; 1 = stop-and-wait */
  window?: number
}

/** The host's default pipelining window: enough for a sample's clamp, targets, RELAX and state reads. */
export const DEFAULT_WINDOW = 8

/** Node's TLS codes for a peer certificate that fails verification (untrusted CA, wrong host name, expired). */
const CERT_REJECTED = /^(UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_[A-Z_]+|ERR_TLS_CERT_ALTNAME_INVALID)$/

type Restore = (s: Session, how: { initial: boolean; rebooted: boolean }) => Promise<void>
type Waiter = { resolve: (s: Session) => void; reject: (e: Error) => void }

/** A stand-in for the session before the first handshake: every call fails, no null checks needed. */
class Disconnected extends Session {
  constructor(where: string, clock: Clock) {
    const t: Transport = {
      where, isOpen: true, send: async () => {}, onFrame: () => {}, onClose: () => {}, close: async () => {},
      stats: () => ({ bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, badCobs: 0, oversize: 0 }),
    }
    super(t, { clock, replyTimeoutS: 1, retries: 0, heartbeatS: 0, silenceS: Infinity, maxFrame: 256 }, { counters: newCounters(), diagnose: () => {} })
    this.end(new EqpError('EQP_ERR_DEVICE_NOT_CONNECTED', [where]))
  }
}

/** One board behind a connector, kept connected. */
export class BoardConnection {
  readonly clock: Clock
  readonly counters: DeviceCounters = newCounters()
  private readonly o: Required<Omit<ConnectionOptions, 'expectUid' | 'clock' | 'replyTimeoutS' | 'baudRate'>> & { expectUid?: string; replyTimeoutS: number }
  private state: ConnectionState = 'connecting'
  private since: number
  private transport: Transport | null = null
  private session: Session
  private desc: BoardDescription | null = null
  private bootCounter: number | null = null
  private boardState: string | null = null
  private terminal: Error | null = null
  private waiters: Waiter[] = []
  private lock: Promise<unknown> = Promise.resolve()
  private reconnecting: Promise<void> | null = null
  private readonly diagnostics: Partial<Record<DiagnosticCode, DiagnosticEntry>> = {}
  private lastError: DeviceStatus['lastError'] = null
  private linkTotals = { bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, badCobs: 0, oversize: 0 }
  private readonly listeners: ((s: DeviceStatus) => void)[] = []
  /** the owner's hook, run on every new session before any call */
  restore: Restore = async () => {}

  constructor(private readonly connector: Connector, readonly where: string, opts: ConnectionOptions = {}) {
    this.clock = opts.clock ?? systemClock
    const maxFrame = opts.maxFrame ?? 4096
    const baud = opts.baudRate ?? 115200
    this.o = {
      retries: opts.retries ?? 3, watchdogMs: opts.watchdogMs ?? 0, maxFrame, expectUid: opts.expectUid,
      connectTimeoutS: opts.connectTimeoutS ?? 10, maxOutageS: opts.maxOutageS ?? Infinity,
      backoffS: opts.backoffS ?? { first: 0.1, max: 5 }, heartbeats: opts.heartbeats ?? true, window: opts.window ?? DEFAULT_WINDOW,
      replyTimeoutS: opts.replyTimeoutS ?? 0.1 + (2 * maxFrame * 10) / baud,
    }
    this.since = this.clock.now()
    this.session = new Disconnected(where, this.clock)
  }

  /** The board as of the last handshake; throws before the first. */
  get description(): BoardDescription {
    if (!this.desc) throw new EqpError('EQP_ERR_DEVICE_NOT_CONNECTED', [this.where])
    return this.desc
  }

  /** Connects for the first time; fails with a coded error (port busy or missing, no HELLO, version). */
  async open(): Promise<void> {
    try {
      await this.establish(true)
    } catch (e) {
      // nothing to keep: let go of the port, so a failed open leaves no handle behind
      this.terminal ??= e as Error
      this.session.end(this.terminal)
      if (this.state !== 'incompatible') this.setState('closed')
      await this.closeTransport()
      throw e
    }
  }

  /**
   * Runs op on a ready session, one op at a time. If the session is lost midway (unplug, silent board,
   * reboot, watchdog), op starts over on the next session once the board is back and restored.
   */
  run<T>(op: (s: Session) => Promise<T>): Promise<T> {
    const go = async (): Promise<T> => {
      for (;;) {
        const s = await this.whenReady()
        try {
          return await op(s)
        } catch (e) {
          if (e instanceof LinkLost || e instanceof SessionReset || (e instanceof IncompatibleBoard)) {
            this.trouble(s, e)
            this.counters.opRestarts++
            continue
          }
          if (e instanceof NackError) throw new EqpError('EQP_ERR_PROTO_NACK', [e.command, `${e.codeName}, detail ${e.detail}`], { cause: e })
          if (e instanceof ProtocolViolation) throw new EqpError('EQP_ERR_PROTO_VIOLATION', [this.where, e.message], { cause: e })
          throw e
        }
      }
    }
    const p = this.lock.then(go, go)
    this.lock = p.catch(() => {})
    return p
  }

  /** Sends STOP (the board goes to its safe state), then closes the link. */
  async close(): Promise<void> {
    if (this.state === 'closed') return
    const s = this.session
    if (this.state === 'ready' && s.isAlive) {
      await Promise.race([s.call('STOP', {}).catch(() => {}), sleep(this.clock, Math.min(1, this.o.replyTimeoutS * 2))])
    }
    this.setState('closed')
    this.terminal = new EqpError('EQP_ERR_DEVICE_CLOSED', [this.desc?.device.uid ?? this.where])
    s.end(this.terminal)
    this.flushWaiters()
    await this.closeTransport()
  }

  status(): DeviceStatus {
    const t = this.transport?.stats()
    const l = this.linkTotals
    const c = this.counters
    c.bytesIn = l.bytesIn + (t?.bytesIn ?? 0)
    c.bytesOut = l.bytesOut + (t?.bytesOut ?? 0)
    c.framesIn = l.framesIn + (t?.framesIn ?? 0)
    c.framesOut = l.framesOut + (t?.framesOut ?? 0)
    c.cobsErrors = l.badCobs + l.oversize + (t ? t.badCobs + t.oversize : 0)
    const d = this.desc?.device
    return {
      state: this.state, where: this.where, uid: d?.uid ?? null, firmware: d?.firmware ?? null,
      protocol: d ? `${PROTOCOL.name} ${PROTOCOL.major}.${d.protoMinor}` : null, bootCounter: this.bootCounter, boardState: this.boardState,
      since: this.since, lastError: this.lastError, diagnostics: structuredClone(this.diagnostics), counters: structuredClone(c),
    }
  }

  /** Called on every state change and diagnostic. */
  onStatus(cb: (s: DeviceStatus) => void): void { this.listeners.push(cb) }

  // ---- internals ---------------------------------------------------------------------------------

  private diagnose = (code: DiagnosticCode, message: string): void => {
    const at = this.clock.now()
    const e = this.diagnostics[code] ?? { count: 0, message, atS: at }
    e.count++
    e.message = message
    e.atS = at
    this.diagnostics[code] = e
    if (code !== 'CRC_ERRORS') this.lastError = { code, ...e }
    this.emit()
  }

  private emit(): void {
    if (this.listeners.length === 0) return
    const s = this.status()
    for (const cb of this.listeners) cb(s)
  }

  private setState(s: ConnectionState): void {
    if (this.state === s) return
    this.state = s
    this.since = this.clock.now()
    this.emit()
  }

  private whenReady(): Promise<Session> {
    if (this.terminal) return Promise.reject(this.terminal)
    if (this.state === 'ready' && this.session.isAlive) return Promise.resolve(this.session)
    return new Promise<Session>((resolve, reject) => {
      let cancel = () => {}
      const w: Waiter = { resolve: (s) => { cancel(); resolve(s) }, reject: (e) => { cancel(); reject(e) } }
      if (Number.isFinite(this.o.maxOutageS)) {
        const left = this.o.maxOutageS - (this.clock.now() - this.since)
        cancel = this.clock.after(Math.max(0, left), () => {
          this.waiters = this.waiters.filter((x) => x !== w)
          reject(new EqpError('EQP_ERR_DEVICE_LOST', [this.desc?.device.uid ?? this.where, Number((this.clock.now() - this.since).toFixed(1))]))
        })
      }
      this.waiters.push(w)
    })
  }

  private flushWaiters(): void {
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) {
      if (this.terminal) w.reject(this.terminal)
      else w.resolve(this.session)
    }
  }

  /** The current session had trouble: end it and reconnect in the background (once). */
  private trouble(s: Session, e: Error): void {
    if (s !== this.session || this.terminal) return
    if (e instanceof IncompatibleBoard) {
      this.incompatible(e)
      return
    }
    s.end(e)
    // during a handshake the establish loop sees the failure itself
    if (this.state !== 'ready') return
    if (e instanceof LinkLost) this.diagnose(e.kind === 'closed' ? 'LINK_LOST' : 'BOARD_SILENT', e.message)
    this.setState('reconnecting')
    this.reconnecting ??= this.establish(false).catch(() => {}).finally(() => { this.reconnecting = null })
  }

  private incompatible(e: IncompatibleBoard): void {
    this.diagnose('VERSION_MISMATCH', `board speaks protocol major ${e.boardMajor}, host ${PROTOCOL.major}`)
    this.terminal = new EqpError('EQP_ERR_PROTO_VERSION', [this.where, e.boardMajor, PROTOCOL.major])
    this.session.end(this.terminal)
    this.setState('incompatible')
    this.flushWaiters()
  }

  private async closeTransport(): Promise<void> {
    const t = this.transport
    if (!t) return
    this.transport = null
    const st = t.stats()
    const l = this.linkTotals
    l.bytesIn += st.bytesIn; l.bytesOut += st.bytesOut; l.framesIn += st.framesIn; l.framesOut += st.framesOut; l.badCobs += st.badCobs; l.oversize += st.oversize
    await t.close().catch(() => {})
  }

  private async establish(first: boolean): Promise<void> {
    let delay = this.o.backoffS.first
    const t0 = this.clock.now()
    let lastErr: Error = new EqpError('EQP_ERR_DEVICE_NO_HELLO', [this.where, 0])
    // a session reset (FAULT, NOT_READY) needs only a new HELLO: try at once before backing off
    for (let attempt = 0; ; attempt++) {
      if (this.terminal) throw this.terminal
      try {
        await this.connectOnce(first)
        this.setState('ready')
        this.flushWaiters()
        return
      } catch (e) {
        if (this.terminal) throw this.terminal
        if (e instanceof IncompatibleBoard) {
          this.incompatible(e)
          throw this.terminal!
        }
        lastErr = this.classify(e as Error)
        if (first && this.isFatalAtFirst(lastErr)) throw lastErr
        if (first && this.clock.now() - t0 + delay > this.o.connectTimeoutS) {
          if (lastErr instanceof EqpError && lastErr.code === 'EQP_ERR_DEVICE_NO_HELLO') throw new EqpError('EQP_ERR_DEVICE_NO_HELLO', [this.where, Number((this.clock.now() - t0).toFixed(1))])
          throw lastErr
        }
      }
      await sleep(this.clock, delay)
      delay = Math.min(delay * 2, this.o.backoffS.max)
    }
  }

  /**
   * At the first connection a wrong port, a wrong board, refused broker credentials or a broker
   * certificate this host does not trust are mistakes to report at once, not to wait out: retrying
   * the same settings cannot succeed. Later reconnects (establish(false)) retry all of them, a
   * refused login included: the same credentials were accepted when the session began, so a refusal
   * now is a change on the broker's side (its password file being rewritten, a restart with a
   * half-written config) that an operator can put right while a long run waits; maxOutageS bounds
   * that wait for callers who want a limit.
   */
  private isFatalAtFirst(e: Error): boolean {
    if (!(e instanceof EqpError)) return false
    if (['EQP_ERR_DEVICE_UID_MISMATCH', 'EQP_ERR_PROTO_VIOLATION', 'EQP_ERR_DEVICE_PORT_BUSY', 'EQP_ERR_DEVICE_PORT_OPEN', 'EQP_ERR_MQTT_AUTH'].includes(e.code)) return true
    // EQP_ERR_MQTT_CONNECT is mostly transient (broker down or restarting): only a failed certificate check is not
    return e.code === 'EQP_ERR_MQTT_CONNECT' && CERT_REJECTED.test(String((e.cause as { code?: unknown } | undefined)?.code ?? ''))
  }

  /** Records what went wrong in one connection attempt and returns the coded error for it. */
  private classify(e: Error): Error {
    if (e instanceof EqpError) {
      if (e.code === 'EQP_ERR_DEVICE_PORT_BUSY') this.diagnose('PORT_BUSY', e.message)
      else if (e.code === 'EQP_ERR_DEVICE_PORT_OPEN') this.diagnose('PORT_MISSING', e.message)
      else if (e.code === 'EQP_ERR_DEVICE_UID_MISMATCH') this.diagnose('UID_MISMATCH', e.message)
      return e
    }
    if (e instanceof LinkLost) {
      if (e.kind === 'closed') { this.diagnose('LINK_LOST', e.message); return new EqpError('EQP_ERR_DEVICE_PORT_OPEN', [this.where, e.message]) }
      this.diagnose('NO_HELLO', e.message)
      return new EqpError('EQP_ERR_DEVICE_NO_HELLO', [this.where, 0])
    }
    if (e instanceof ProtocolViolation) return new EqpError('EQP_ERR_PROTO_VIOLATION', [this.where, e.message])
    if (e instanceof NackError) {
      this.diagnose('NACK', e.message)
      return new EqpError('EQP_ERR_PROTO_NACK', [e.command, `${e.codeName}, detail ${e.detail}`])
    }
    return e
  }

  private async connectOnce(first: boolean): Promise<void> {
    if (!this.transport || !this.transport.isOpen) {
      await this.closeTransport()
      const t = await this.connector()
      if (this.terminal) {
        // closed while the port was opening: do not keep it
        await t.close().catch(() => {})
        throw this.terminal
      }
      this.transport = t
    }
    const s = new Session(this.transport, {
      clock: this.clock, replyTimeoutS: this.o.replyTimeoutS, retries: this.o.retries, heartbeatS: 0, silenceS: Infinity, maxFrame: this.o.maxFrame,
    }, {
      counters: this.counters, diagnose: this.diagnose,
      onHeartbeat: (b) => this.onHeartbeat(s, b),
      onFault: (b) => this.onFault(s, b),
      onLost: (e) => this.trouble(s, e),
    })
    this.session.end(new LinkLost('closed', 'replaced by a new session'))
    this.session = s
    try {
      this.counters.handshakes++
      const d = await handshake(s, { maxFrame: this.o.maxFrame, watchdogMs: this.o.watchdogMs, window: this.o.window })
      const uid = d.device.uid
      const want = this.o.expectUid ?? this.desc?.device.uid
      if (want !== undefined && uid !== want) throw new EqpError('EQP_ERR_DEVICE_UID_MISMATCH', [this.where, want, uid])
      if (this.desc) {
        const diff = sameSubstrate(this.desc, d)
        if (diff) {
          this.diagnose('UID_MISMATCH', `board '${uid}' came back changed: ${diff}`)
          throw new EqpError('EQP_ERR_DEVICE_CHANGED', [uid, diff])
        }
      }
      const rebooted = this.bootCounter !== null && d.device.bootCounter !== this.bootCounter
      if (rebooted) this.diagnose('BOARD_REBOOTED', `boot counter ${this.bootCounter} -> ${d.device.bootCounter}`)
      if (!first || this.desc) this.counters.reconnects++
      this.desc = d
      this.bootCounter = d.device.bootCounter
      const wdS = d.device.watchdogMs / 1000
      s.setTiming({ heartbeatS: this.o.heartbeats ? wdS / 4 : 0, silenceS: wdS })
      await this.restore(s, { initial: first, rebooted })
    } catch (e) {
      s.end(e as Error)
      throw e
    }
  }

  private onHeartbeat(s: Session, b: HeartbeatBody): void {
    this.boardState = b.state
    if (s !== this.session || this.state !== 'ready') return
    if (this.bootCounter !== null && b.bootCounter !== this.bootCounter) {
      this.diagnose('BOARD_REBOOTED', `heartbeat shows boot counter ${b.bootCounter}, session opened at ${this.bootCounter}`)
      this.trouble(s, new SessionReset('board rebooted'))
    } else if (b.state === 'safe' || b.state === 'boot') {
      this.trouble(s, new SessionReset(`board is in state ${b.state}`))
    }
  }

  private onFault(s: Session, b: FaultBody): void {
    if (b.code === 1) this.diagnose('WATCHDOG_TRIPPED', `board watchdog fired after ${b.detail} ms of host silence`)
    else if (b.code === 2) { if (this.bootCounter !== null) this.diagnose('BOARD_REBOOTED', 'board sent FAULT RESET') }
    else this.diagnose('BOARD_FAULT', `board fault code ${b.code}, detail ${b.detail}`)
    if (s === this.session && this.state === 'ready') this.trouble(s, new SessionReset(`FAULT ${b.code}`))
  }
}
