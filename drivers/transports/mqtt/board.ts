// Board side: a board's frames, retained status and last will on the broker; the TS virtual board on it.
import type { MqttClient } from 'mqtt'
import { CobsDecoder, decodeMessage, MAX_FRAME_LIMIT, PROTOCOL, serialFrame } from '../../../firmware-protocol/ts/index.ts'
import type { VirtualBoard } from '../../board/virtual-board.ts'
import { BOARD_FIRMWARE } from '../../board/virtual-board.ts'
import type { ByteStream } from '../transport.ts'
import { connectClient, isHeartbeat, noop, pubOpts, qosOf, toBuffer } from './client.ts'
import { CommandDedup } from './dedup.ts'
import { deviceInfoMaxFrame, FramePacker, isHello, splitPayload } from './packing.ts'
import { boardTopics, checkUid, mqttWhere, MqttOptions, type BoardIdentity, type BoardStatus, type MqttOptionsInput } from './options.ts'

// ---- board side --------------------------------------------------------------------------------

export interface BoardLinkOptions {
  /** delay between the board client's reconnect attempts (s, default 0.5) */
  reconnectS?: number
  /** distinct command frames remembered for de-duplication (SPEC 10.3, default 64; 0 turns it off, for tests that show why it is there) */
  dedupWindow?: number
  /** largest command frame passed on (bytes, default 65535) */
  maxFrame?: number
  /** announce and use packed payloads (SPEC 10.5, default true; false behaves as a 1.1 link) */
  pack?: boolean
  /** one line per link event */
  log?: (line: string) => void
}

/** Counters of a board's broker link. */
export interface BoardLinkStats {
  framesIn: number
  framesOut: number
  /** MQTT messages published on the reply topic (fewer than framesOut when frames are packed, SPEC 10.5) */
  messagesOut: number
  /** MQTT messages received on the command topic */
  messagesIn: number
  /** late copies of older commands dropped by the de-duplication (SPEC 10.3) */
  duplicatesDropped: number
  /** copies of older commands passed on because the session's window covers them (a host's go-back or reply-gap resend) */
  windowCopies: number
  /** the session window of the board's last DEVICE_INFO (1 before one, and after a new HELLO) */
  window: number
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
  const dedup = new CommandDedup(lo.dedupWindow ?? 64)
  const maxFrame = lo.maxFrame ?? MAX_FRAME_LIMIT
  const st: Omit<BoardLinkStats, 'window' | 'messagesOut'> = { framesIn: 0, framesOut: 0, messagesIn: 0, duplicatesDropped: 0, windowCopies: 0, droppedOffline: 0, reconnects: 0 }
  const frameCbs: ((f: Uint8Array) => void)[] = []
  const will = { topic: topics.status, payload: Buffer.from(JSON.stringify({ state: 'offline', uid })), qos: 1 as const, retain: true }
  const client = await connectClient(o, o.clientId ?? `eqprop-board-${uid}`, { reconnectPeriod: Math.round((lo.reconnectS ?? 0.5) * 1000), will })
  let state: 'online' | 'offline' = 'online'
  let since = new Date().toISOString()
  let closing = false

  const publishStatus = async (): Promise<void> => {
    const s: BoardStatus = state === 'online' ? { state, uid, ...identity(), since, pack: lo.pack !== false } : { state, uid, since }
    if (!client.connected) return   // published again on the next connect
    await client.publishAsync(topics.status, JSON.stringify(s), { qos: 1, retain: true }).catch(() => {})
  }

  // de-duplication of commands (SPEC 10.3, see dedup.ts)
  const fresh = (f: Uint8Array): boolean => {
    const v = dedup.judge(f)
    if (v === 'drop') { st.duplicatesDropped++; return false }
    if (v === 'window-copy') st.windowCopies++
    return true
  }

  // SPEC 10.5: replies are packed only for a host that has packed its own commands in this session
  // (so it can split them), and only up to the session's frame limit from the board's DEVICE_INFO
  let hostPacks = false
  let sessionMaxFrame = 0
  const packer = new FramePacker((payload) => client.publish(topics.reply, payload, pubOpts(o.qos), noop))

  client.on('message', (topic, payload) => {
    if (topic !== topics.cmd || payload.length > maxFrame) return
    st.messagesIn++
    const frames = splitPayload(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength))
    if (frames.length > 1) hostPacks = true
    else if (isHello(frames[0])) hostPacks = false   // a new session, maybe of a host that does not pack
    for (const f of frames) {
      if (!fresh(f)) continue
      st.framesIn++
      for (const cb of frameCbs) cb(f)
    }
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
      dedup.boardSent(frame)   // the session window, from DEVICE_INFO, even if this copy is lost
      const mf = deviceInfoMaxFrame(frame, (f) => decodeMessage(f, { role: 'host' }))
      if (mf > 0) sessionMaxFrame = mf
      if (!client.connected) { st.droppedOffline++; packer.clear(); return }
      st.framesOut++
      // no await of PUBACK: the board's write is done once the frame is handed over, as on a UART
      if (hostPacks && sessionMaxFrame > 0 && !isHeartbeat(frame)) { packer.add(frame, sessionMaxFrame); return }
      packer.flush()   // what is queued goes first: replies keep their order
      packer.frames++
      packer.messages++
      client.publish(topics.reply, toBuffer(frame), pubOpts(qosOf(frame, o.qos)), noop)
    },
    onFrame: (cb) => { frameCbs.push(cb) },
    setState: async (s) => {
      if (s !== state) since = new Date().toISOString()
      state = s
      await publishStatus()
    },
    stats: () => ({ ...st, messagesOut: packer.messages, window: dedup.window }),
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
