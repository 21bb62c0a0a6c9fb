// The wire protocol over an MQTT broker (SPEC section 10): one inner frame per message, no COBS.
// Host side: mqttConnector() hands BoardConnection a fresh Transport per (re)connection. Board side:
// mqttBoardLink() (frames) and attachBoardToBroker() (the TS virtual board) keep a board on the broker
// with a retained status and a last will. Discovery: watchBoards() follows `<prefix>/+/status`.
//
// Who reconnects. The host's client never reconnects by itself (reconnectPeriod 0): when the broker
// connection drops, or the board's status turns offline, the Transport closes with an error and
// BoardConnection's own loop (back-off, re-handshake, parameter re-write, op restart) calls the
// connector again. Two reconnect loops on one link would fight: MQTT.js would bring the socket back
// under a session that BoardConnection has already declared dead, and frames of the old session
// could reach the new one. The board's client does reconnect by itself (MQTT.js reconnectPeriod): it
// has nobody above it to do so, and all it must do after a reconnect is republish its status.
//
// Duplicates. QoS 1 may deliver a message twice, and a broker or a board's reconnect may deliver an
// old copy late. Host side, the session already drops any reply whose seq is not the outstanding one
// (Session.onFrame: staleReplies). Board side, the SPEC 5.4 reply cache holds only the LAST command,
// so a late copy of an older command would run again (an old SET_PARAMS after an UPDATE_PARAMS, an
// old RELAX overwriting a sample's previous state). The board link therefore drops a command frame
// identical to one of the last DEDUP_WINDOW it passed on, unless it is the newest one (that is a host
// retry or an immediate duplicate, which the reply cache answers without executing). Stop-and-wait
// makes this exact: the host never sends an older command again once a newer one went out.
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { z } from 'zod'
import { CobsDecoder, MAX_FRAME_LIMIT, MESSAGE_IDS, PROTOCOL, serialFrame } from '../../firmware-protocol/ts/index.ts'
import { EqpError } from '../../src/errors.ts'
import type { VirtualBoard } from '../board/virtual-board.ts'
import { BOARD_FIRMWARE } from '../board/virtual-board.ts'
import type { ByteStream, Connector, LinkStats, Transport } from './transport.ts'

// ---- options -----------------------------------------------------------------------------------

const TOPIC_LEVELS = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/
const UID = /^[A-Za-z0-9._-]{1,32}$/

export const MqttTls = z.strictObject({
  /** CA certificate file (PEM) to trust instead of the system store */
  ca: z.string().min(1).optional(),
  /** client certificate and key files (PEM), for brokers that authenticate clients by certificate */
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  /** check the broker's certificate (default true; false only for a lab broker with a self-made one) */
  rejectUnauthorized: z.boolean().default(true),
})

/** How to reach a broker, and where on it the boards live. */
export const MqttOptions = z.strictObject({
  /** mqtt://host:port, mqtts://host:port (TLS), ws://host:port/path or wss:// */
  url: z.string().regex(/^(mqtts?|wss?):\/\/[^/]+/, 'url: mqtt://, mqtts://, ws:// or wss:// followed by a host'),
  username: z.string().optional(),
  password: z.string().optional(),
  tls: MqttTls.optional(),
  /** 5 or 4 (3.1.1); absent = try 5 and fall back to 3.1.1 when the broker refuses it (aedes does) */
  protocolVersion: z.union([z.literal(4), z.literal(5)]).optional(),
  /** first topic level(s): topics are <prefix>/<uid>/{cmd,reply,status} */
  prefix: z.string().regex(TOPIC_LEVELS, 'prefix: topic levels of [A-Za-z0-9._-], no wildcards').default('eqprop'),
  /** MQTT keep-alive (s); SHOULD be at most the board's watchdog (SPEC 10) */
  keepaliveS: z.int().min(0).max(65535).default(10),
  /** a board link uses it as is; host connectors and watchers append -<n> (they may be many per process) */
  clientId: z.string().min(1).max(64).optional(),
})
export type MqttOptions = z.infer<typeof MqttOptions>
export type MqttOptionsInput = z.input<typeof MqttOptions>

/** The three topics of one board. */
export function boardTopics(prefix: string, uid: string): { cmd: string; reply: string; status: string } {
  const base = `${prefix}/${uid}`
  return { cmd: `${base}/cmd`, reply: `${base}/reply`, status: `${base}/status` }
}

/** mqtt://host:port/<prefix>/<uid>, credentials left out: the `where` of a board on a broker. */
export function mqttWhere(opts: MqttOptions, uid: string): string {
  const u = new URL(opts.url)
  return `${u.protocol}//${u.host}/${opts.prefix}/${uid}`
}

function checkUid(uid: string): void {
  if (!UID.test(uid)) throw new EqpError('EQP_ERR_BAD_INPUT', ['uid', `'${uid}' is not 1..32 of [A-Za-z0-9._-] (it is one topic level)`])
}

// ---- status ------------------------------------------------------------------------------------

/** The retained JSON on <prefix>/<uid>/status. An offline will may carry only state and uid. */
export const BoardStatus = z.object({
  state: z.enum(['online', 'offline']),
  uid: z.string(),
  model: z.string().optional(),
  firmware: z.string().optional(),
  /** e.g. "eqprop-wire 1.0" */
  protocol: z.string().optional(),
  bootCounter: z.number().optional(),
  nodes: z.number().optional(),
  edges: z.number().optional(),
  /** ISO 8601 time the board entered this state */
  since: z.string().optional(),
})
export type BoardStatus = z.infer<typeof BoardStatus>
/** What a board says about itself in its status, besides state, uid and since. */
export type BoardIdentity = Omit<BoardStatus, 'state' | 'uid' | 'since'>

function parseStatus(payload: Buffer): BoardStatus | null {
  if (payload.length === 0) return null
  try {
    const r = BoardStatus.safeParse(JSON.parse(payload.toString('utf8')))
    return r.success ? r.data : null
  } catch { return null }
}

// ---- connecting a client -----------------------------------------------------------------------

let clientCounter = 0
/** protocol versions that worked per url, so a fallback is found once per process */
const learnedVersion = new Map<string, 4 | 5>()

function hostClientId(o: MqttOptions, role: string): string {
  return `${o.clientId ?? `eqprop-${role}-${hostname().replace(/[^A-Za-z0-9._-]/g, '')}-${process.pid}`}-${++clientCounter}`
}

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (path === undefined) return undefined
  try { return readFileSync(path) } catch (e) {
    throw new EqpError('EQP_ERR_FILE_READ', [path, `${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`])
  }
}

function baseOptions(o: MqttOptions, clientId: string): IClientOptions {
  const tls = o.tls
  return {
    clientId, username: o.username, password: o.password, keepalive: o.keepaliveS, clean: true,
    connectTimeout: 5000, resubscribe: true,
    ...(tls ? { ca: readPem(tls.ca, 'tls.ca'), cert: readPem(tls.cert, 'tls.cert'), key: readPem(tls.key, 'tls.key'), rejectUnauthorized: tls.rejectUnauthorized } : {}),
  }
}

type ConnErr = Error & { code?: number | string }
const VERSION_REFUSED = new Set<number | string>([1, 132])        // 3.1.1 CONNACK 1, 5.0 reason 0x84
const AUTH_REFUSED = new Set<number | string>([4, 5, 134, 135])   // bad user/password, not authorised

function connectError(o: MqttOptions, e: ConnErr): EqpError {
  if (e.code !== undefined && AUTH_REFUSED.has(e.code)) return new EqpError('EQP_ERR_MQTT_AUTH', [o.url, e.message], { cause: e })
  return new EqpError('EQP_ERR_MQTT_CONNECT', [o.url, tlsHint(e)], { cause: e })
}

/** Node's text for a failed certificate check ("self-signed certificate in certificate chain") does not say what to do. */
function tlsHint(e: ConnErr): string {
  if (typeof e.code !== 'string' || !/CERT|SIGNATURE/.test(e.code)) return e.message
  const fix = e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'connect by a name or address the certificate lists' : 'trust the CA that signed it (tls.ca, --mqtt-ca)'
  return `the broker's TLS certificate failed the check: ${e.message} (${e.code}); ${fix}`
}

/**
 * Turns Nagle's algorithm off on the client's socket (every (re)connect makes a new one): a command
 * is one small message answered by one small message, and Nagle with delayed ACKs would add ~40 ms
 * to each exchange.
 */
function noDelay(c: MqttClient): void {
  const s = c.stream as unknown as { setNoDelay?: (b: boolean) => void; socket?: { setNoDelay?: (b: boolean) => void } }
  if (typeof s?.setNoDelay === 'function') s.setNoDelay(true)
  else s?.socket?.setNoDelay?.(true)
}

/** One connection attempt: resolves on CONNACK, rejects with the first error or an early close. */
function connectOnce(o: MqttOptions, opts: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(o.url, opts)
    let settled = false
    const fail = (e: ConnErr) => {
      if (settled) return
      settled = true
      c.end(true)
      reject(e)
    }
    c.on('error', fail)
    c.once('close', () => fail(new Error('connection closed before CONNACK')))
    c.on('connect', () => noDelay(c))
    c.once('connect', () => {
      if (settled) return
      settled = true
      c.removeListener('error', fail)
      c.on('error', () => {})   // later errors arrive with close; an unhandled 'error' would throw
      resolve(c)
    })
  })
}

/** Connects a client, trying MQTT 5 then 3.1.1 unless the options fix the version. */
async function connectClient(o: MqttOptions, clientId: string, extra: IClientOptions): Promise<MqttClient> {
  const base = { ...baseOptions(o, clientId), ...extra }
  const fixed = o.protocolVersion ?? learnedVersion.get(o.url)
  const versions: (4 | 5)[] = fixed ? [fixed] : [5, 4]
  for (let i = 0; ; i++) {
    const v = versions[i]
    try {
      const c = await connectOnce(o, { ...base, protocolVersion: v })
      if (!o.protocolVersion) learnedVersion.set(o.url, v)
      return c
    } catch (e) {
      const err = e as ConnErr
      if (i + 1 < versions.length && err.code !== undefined && VERSION_REFUSED.has(err.code)) continue
      throw connectError(o, err)
    }
  }
}

const isHeartbeat = (frame: Uint8Array) => frame.length > 5 && frame[5] === MESSAGE_IDS.HEARTBEAT
/** SPEC 10: commands and replies at QoS 1, heartbeats at QoS 0 (a lost one is replaced soon). */
const qosOf = (frame: Uint8Array): 0 | 1 => (isHeartbeat(frame) ? 0 : 1)
const toBuffer = (f: Uint8Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)

// ---- host side ---------------------------------------------------------------------------------

export interface ConnectorExtras {
  /** how long a new connection waits for the board's status before giving up (s, default 2) */
  statusWaitS?: number
  /** largest frame accepted from the board (bytes, default 65535) */
  maxFrame?: number
}

class MqttTransport implements Transport {
  private open = true
  private readonly frameCbs: ((f: Uint8Array) => void)[] = []
  private readonly closeCbs: ((e?: Error) => void)[] = []
  private readonly noiseCbs: (() => void)[] = []
  private readonly st: LinkStats = { bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, badCobs: 0, oversize: 0 }

  constructor(private readonly client: MqttClient, private readonly topics: ReturnType<typeof boardTopics>, readonly where: string, private readonly maxFrame: number) {
    client.on('close', () => this.shut(new Error(`broker connection to ${where} lost`)))
  }

  get isOpen(): boolean { return this.open }

  /** A message on the reply or status topic. */
  deliver(topic: string, payload: Buffer): void {
    if (!this.open) return
    if (topic === this.topics.status) {
      const s = parseStatus(payload)
      // the board's will (or its clean goodbye): the session cannot go on, BoardConnection reconnects
      if (s?.state === 'offline' || payload.length === 0) this.shut(new Error(`board at ${this.where} went offline`))
      return
    }
    if (topic !== this.topics.reply) return
    this.st.bytesIn += payload.length
    if (payload.length > this.maxFrame) {
      this.st.oversize++
      for (const cb of this.noiseCbs) cb()
      return
    }
    this.st.framesIn++
    const f = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)
    for (const cb of this.frameCbs) cb(f)
  }

  send(frame: Uint8Array): Promise<void> {
    if (!this.open) return Promise.reject(new Error(`${this.where} is closed`))
    this.st.bytesOut += frame.length
    this.st.framesOut++
    // resolves when the broker has it (PUBACK; at once for a QoS 0 heartbeat)
    return new Promise((resolve, reject) => {
      this.client.publish(this.topics.cmd, toBuffer(frame), { qos: qosOf(frame) }, (err) => (err ? reject(err) : resolve()))
    })
  }

  onFrame(cb: (frame: Uint8Array) => void): void { this.frameCbs.push(cb) }
  onClose(cb: (err?: Error) => void): void { this.closeCbs.push(cb) }
  onNoise(cb: () => void): void { this.noiseCbs.push(cb) }
  stats(): LinkStats { return { ...this.st } }

  private shut(err?: Error): void {
    if (!this.open) return
    this.open = false
    this.client.end(true)
    for (const cb of this.closeCbs) cb(err)
  }

  async close(): Promise<void> {
    if (!this.open) return
    this.open = false
    await this.client.endAsync(true).catch(() => {})
    for (const cb of this.closeCbs) cb()
  }
}

/**
 * Host side: a Connector for the board `uid` on a broker. Each call connects a new client (no
 * auto-reconnect), subscribes reply and status, and resolves once the board's status says online;
 * it fails with EQP_ERR_MQTT_CONNECT / _AUTH (broker) or EQP_ERR_MQTT_BOARD_OFFLINE (board), which
 * BoardConnection retries with back-off.
 */
export function mqttConnector(uid: string, optsIn: MqttOptionsInput, extras: ConnectorExtras = {}): Connector {
  const o = MqttOptions.parse(optsIn)
  checkUid(uid)
  const topics = boardTopics(o.prefix, uid)
  const where = mqttWhere(o, uid)
  const waitMs = (extras.statusWaitS ?? 2) * 1000
  return async () => {
    const client = await connectClient(o, hostClientId(o, 'host'), { reconnectPeriod: 0 })
    const t = new MqttTransport(client, topics, where, extras.maxFrame ?? MAX_FRAME_LIMIT)
    let status: BoardStatus | null = null
    let seen: () => void = () => {}
    const online = new Promise<void>((resolve) => { seen = resolve })
    client.on('message', (topic, payload) => {
      if (topic === topics.status && status === null) {
        status = parseStatus(payload) ?? { state: 'offline', uid }
        seen()
      }
      t.deliver(topic, payload)
    })
    try {
      await client.subscribeAsync({ [topics.reply]: { qos: 1 }, [topics.status]: { qos: 1 } })
      // the retained status arrives right after SUBACK; a board that has just (re)connected may publish it a bit later
      let timer: NodeJS.Timeout | undefined
      await Promise.race([online, new Promise<void>((r) => { timer = setTimeout(r, waitMs) })])
      clearTimeout(timer)
      const s = status as BoardStatus | null
      if (s?.state !== 'online') throw new EqpError('EQP_ERR_MQTT_BOARD_OFFLINE', [uid, where, s ? `its status is ${s.state}` : `no status within ${waitMs / 1000} s`])
      if (!t.isOpen) throw new EqpError('EQP_ERR_MQTT_CONNECT', [o.url, 'the connection closed while subscribing'])
      return t
    } catch (e) {
      await t.close()
      if (e instanceof EqpError) throw e
      throw new EqpError('EQP_ERR_MQTT_CONNECT', [o.url, (e as Error).message], { cause: e })
    }
  }
}

// ---- board side --------------------------------------------------------------------------------

export interface BoardLinkOptions {
  /** delay between the board client's reconnect attempts (s, default 0.5) */
  reconnectS?: number
  /** command frames remembered for de-duplication (default 64; 0 turns it off, for tests that show why it is there) */
  dedupWindow?: number
  /** largest command frame passed on (bytes, default 65535) */
  maxFrame?: number
  /** one line per link event */
  log?: (line: string) => void
}

/** Counters of a board's broker link. */
export interface BoardLinkStats {
  framesIn: number
  framesOut: number
  /** late copies of older commands dropped by the de-duplication window */
  duplicatesDropped: number
  /** frames the board sent while the broker was unreachable (lost, as on an unplugged cable) */
  droppedOffline: number
  /** broker connections after the first */
  reconnects: number
}

/** A board's frame-level presence on a broker: cmd in, reply out, retained status with a last will. */
export interface BoardLink {
  readonly uid: string
  readonly where: string
  /** the MQTT.js client (tests destroy its socket to lose the board abruptly) */
  readonly client: MqttClient
  readonly connected: boolean
  /** publishes one frame on the reply topic; dropped while the broker is away */
  send(frame: Uint8Array): Promise<void>
  onFrame(cb: (frame: Uint8Array) => void): void
  /** publishes the status again (retained): online with a fresh identity, or offline (e.g. a bridge's serial side is down) */
  setState(state: 'online' | 'offline'): Promise<void>
  stats(): BoardLinkStats
  /** publishes offline (retained) and disconnects cleanly */
  close(): Promise<void>
}

/** Board side: connects to the broker as board `uid`; identity() is read whenever the status is published. */
export async function mqttBoardLink(uid: string, optsIn: MqttOptionsInput, identity: () => BoardIdentity, lo: BoardLinkOptions = {}): Promise<BoardLink> {
  const o = MqttOptions.parse(optsIn)
  checkUid(uid)
  const topics = boardTopics(o.prefix, uid)
  const where = mqttWhere(o, uid)
  const log = lo.log ?? (() => {})
  const window = lo.dedupWindow ?? 64
  const maxFrame = lo.maxFrame ?? MAX_FRAME_LIMIT
  const st: BoardLinkStats = { framesIn: 0, framesOut: 0, duplicatesDropped: 0, droppedOffline: 0, reconnects: 0 }
  const frameCbs: ((f: Uint8Array) => void)[] = []
  const will = { topic: topics.status, payload: Buffer.from(JSON.stringify({ state: 'offline', uid })), qos: 1 as const, retain: true }
  const client = await connectClient(o, o.clientId ?? `eqprop-board-${uid}`, { reconnectPeriod: Math.round((lo.reconnectS ?? 0.5) * 1000), will })
  let state: 'online' | 'offline' = 'online'
  let since = new Date().toISOString()
  let closing = false

  const publishStatus = async (): Promise<void> => {
    const s: BoardStatus = state === 'online' ? { state, uid, ...identity(), since } : { state, uid, since }
    if (!client.connected) return   // published again on the next connect
    await client.publishAsync(topics.status, JSON.stringify(s), { qos: 1, retain: true }).catch(() => {})
  }

  // de-duplication of commands (see the top of this file): key = seq, msg id, CRC
  const seen = new Set<string>()
  let newest = ''
  const fresh = (f: Uint8Array): boolean => {
    if (window === 0 || f.length < 12 || isHeartbeat(f)) return true
    const key = `${f[3] | (f[4] << 8)}:${f[5]}:${Buffer.from(f.subarray(f.length - 4)).toString('hex')}`
    if (key === newest) return true                      // a host retry or an immediate duplicate: the reply cache answers it
    if (seen.has(key)) { st.duplicatesDropped++; return false }
    seen.add(key)
    newest = key
    if (seen.size > window) seen.delete(seen.values().next().value!)
    return true
  }

  client.on('message', (topic, payload) => {
    if (topic !== topics.cmd || payload.length > maxFrame) return
    const f = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)
    if (!fresh(f)) return
    st.framesIn++
    for (const cb of frameCbs) cb(f)
  })
  client.on('connect', () => {
    // a reconnect: the broker may have restarted and lost the retained status, and our will fired
    st.reconnects++
    if (state === 'online') since = new Date().toISOString()
    log(`broker connection back (${where})`)
    void publishStatus()
  })
  client.on('offline', () => { if (!closing) log(`broker connection lost (${where}); reconnecting`) })

  await client.subscribeAsync({ [topics.cmd]: { qos: 1 } })
  await publishStatus()
  log(`on the broker as ${where}`)

  return {
    uid, where, client,
    get connected() { return client.connected },
    send: async (frame) => {
      if (!client.connected) { st.droppedOffline++; return }
      st.framesOut++
      // no await of PUBACK: the board's write is done once the frame is handed over, as on a UART
      client.publish(topics.reply, toBuffer(frame), { qos: qosOf(frame) }, () => {})
    },
    onFrame: (cb) => { frameCbs.push(cb) },
    setState: async (s) => {
      if (s !== state) since = new Date().toISOString()
      state = s
      await publishStatus()
    },
    stats: () => ({ ...st }),
    close: async () => {
      if (closing) return
      closing = true
      if (client.connected) {
        state = 'offline'
        since = new Date().toISOString()
        await publishStatus()
      }
      await client.endAsync().catch(() => {})
    },
  }
}

/** What attachBoardToBroker returns: the link, plus a way to republish the status after a reboot. */
export interface AttachedBoard {
  readonly link: BoardLink
  readonly where: string
  /** republishes the status (e.g. after board.reboot(): new boot counter) */
  updateStatus(): Promise<void>
  /** offline status, disconnect; the board itself stays (the caller closes it) */
  close(): Promise<void>
}

/** The identity a TS virtual board publishes in its status. */
export function virtualBoardIdentity(board: VirtualBoard): BoardIdentity {
  return {
    model: 'xy', firmware: BOARD_FIRMWARE, protocol: `${PROTOCOL.name} ${PROTOCOL.major}.${PROTOCOL.minor}`,
    bootCounter: board.bootCounter, nodes: board.core.n, edges: board.core.m,
  }
}

/**
 * Puts a TS virtual board on a broker as `uid`. The board keeps speaking COBS bytes (its serial
 * behaviour, fault injection included, is unchanged): this adapter decodes what it writes into
 * frames for MQTT, and COBS-encodes each MQTT frame for it.
 */
export async function attachBoardToBroker(board: VirtualBoard, uid: string, opts: MqttOptionsInput, lo: BoardLinkOptions = {}): Promise<AttachedBoard> {
  const link = await mqttBoardLink(uid, opts, () => virtualBoardIdentity(board), { maxFrame: board.opts.maxFrame, ...lo })
  const decoder = new CobsDecoder({ maxFrame: MAX_FRAME_LIMIT })
  let open = true
  const dataCbs: ((c: Uint8Array) => void)[] = []
  const closeCbs: ((e?: Error) => void)[] = []
  const stream: ByteStream = {
    get isOpen() { return open },
    write: async (bytes) => {
      if (!open) throw new Error('board link closed')
      for (const f of decoder.push(bytes)) await link.send(f)
    },
    onData: (cb) => { dataCbs.push(cb) },
    onClose: (cb) => { closeCbs.push(cb) },
    close: async () => {
      if (!open) return
      open = false
      for (const cb of closeCbs) cb()
    },
  }
  link.onFrame((f) => {
    if (!open) return
    const bytes = serialFrame(f)
    for (const cb of dataCbs) cb(bytes)
  })
  board.attach(stream)
  // a reboot from inside (fault injection) changes the boot counter without telling anyone: look
  let boot = board.bootCounter
  const watch = setInterval(() => {
    if (board.bootCounter !== boot) { boot = board.bootCounter; void link.setState('online') }
  }, 500)
  watch.unref()
  return {
    link, where: link.where,
    updateStatus: () => { boot = board.bootCounter; return link.setState('online') },
    close: async () => {
      clearInterval(watch)
      await stream.close()
      await link.close()
    },
  }
}

// ---- discovery ---------------------------------------------------------------------------------

/** A board seen on the broker: its latest status and when it arrived (ms since the epoch). */
export type DiscoveredBoard = BoardStatus & { receivedAt: number }

/** The boards on a broker, kept up to date from their retained status. */
export interface BoardDirectory {
  list(): DiscoveredBoard[]
  get(uid: string): DiscoveredBoard | undefined
  /** cb runs on every status message (a cleared status arrives as state offline); returns an unsubscribe */
  on(event: 'change', cb: (b: DiscoveredBoard) => void): () => void
  /** resolves with the board once its status is `state` (at once if it already is); rejects after timeoutS */
  waitFor(uid: string, state: 'online' | 'offline', timeoutS?: number): Promise<DiscoveredBoard>
  close(): Promise<void>
}

/** Subscribes <prefix>/+/status and keeps uid -> latest status; the client reconnects by itself. */
export async function watchBoards(optsIn: MqttOptionsInput): Promise<BoardDirectory> {
  const o = MqttOptions.parse(optsIn)
  const client = await connectClient(o, hostClientId(o, 'watch'), { reconnectPeriod: 1000 })
  const boards = new Map<string, DiscoveredBoard>()
  const cbs = new Set<(b: DiscoveredBoard) => void>()
  const depth = o.prefix.split('/').length
  client.on('message', (topic, payload) => {
    const levels = topic.split('/')
    if (levels.length !== depth + 2 || levels[depth + 1] !== 'status') return
    const uid = levels[depth]
    const s = parseStatus(payload)
    if (payload.length > 0 && !s) return    // not ours
    const b: DiscoveredBoard = { ...(s ?? { state: 'offline' as const, uid }), uid, receivedAt: Date.now() }
    boards.set(uid, b)
    for (const cb of cbs) cb(b)
  })
  await client.subscribeAsync(`${o.prefix}/+/status`, { qos: 1 })
  const on = (_e: 'change', cb: (b: DiscoveredBoard) => void) => { cbs.add(cb); return () => { cbs.delete(cb) } }
  return {
    list: () => [...boards.values()].sort((a, b) => a.uid.localeCompare(b.uid)),
    get: (uid) => boards.get(uid),
    on,
    waitFor: (uid, state, timeoutS = 10) => new Promise((resolve, reject) => {
      const now = boards.get(uid)
      if (now?.state === state) { resolve(now); return }
      const off = on('change', (b) => {
        if (b.uid !== uid || b.state !== state) return
        off(); clearTimeout(t); resolve(b)
      })
      const t = setTimeout(() => { off(); reject(new EqpError('EQP_ERR_MQTT_BOARD_OFFLINE', [uid, mqttWhere(o, uid), `not ${state} within ${timeoutS} s`])) }, timeoutS * 1000)
    }),
    close: async () => { cbs.clear(); await client.endAsync(true).catch(() => {}) },
  }
}
