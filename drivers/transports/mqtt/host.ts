// Host side: a Transport per (re)connection to one board, for BoardConnection.
import type { MqttClient } from 'mqtt'
import { decodeMessage, MAX_FRAME_LIMIT } from '../../../firmware-protocol/ts/index.ts'
import { EqpError } from '../../../src/errors.ts'
import type { Connector, LinkStats, Transport } from '../transport.ts'
import { connectClient, hostClientId, isHeartbeat, pubOpts, qosOf, toBuffer } from './client.ts'
import { deviceInfoMaxFrame, FramePacker, isHello, splitPayload } from './packing.ts'
import { boardTopics, checkUid, mqttWhere, MqttOptions, parseStatus, type BoardStatus, type MqttOptionsInput } from './options.ts'

// ---- host side ---------------------------------------------------------------------------------

export interface ConnectorExtras {
  /** how long a new connection waits for the board's status before giving up (s, default 2) */
  statusWaitS?: number
  /** largest frame accepted from the board (bytes, default 65535) */
  maxFrame?: number
  /** pack a burst of commands into one message when the board's status says it can split them (SPEC 10.5, default true) */
  pack?: boolean
}

class MqttTransport implements Transport {
  private open = true
  private readonly frameCbs: ((f: Uint8Array) => void)[] = []
  private readonly closeCbs: ((e?: Error) => void)[] = []
  private readonly noiseCbs: (() => void)[] = []
  private readonly st: LinkStats = { bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, badCobs: 0, oversize: 0 }

  /** the session's frame limit from the board's DEVICE_INFO; 0 until one arrives (no packing before) */
  private sessionMaxFrame = 0
  private readonly packer: FramePacker
  /** set by the connector from the board's status: its link splits packed payloads (SPEC 10.5) */
  boardPacks = false

  constructor(private readonly client: MqttClient, private readonly topics: ReturnType<typeof boardTopics>, readonly where: string, private readonly maxFrame: number, private readonly qos: 0 | 1) {
    client.on('close', () => this.shut(new Error(`broker connection to ${where} lost`)))
    this.packer = new FramePacker((payload, done) => this.client.publish(this.topics.cmd, payload, pubOpts(this.qos), done))
  }

  /** MQTT messages published on the command topic, and the frames they carried. */
  get messagesOut(): number { return this.packer.messages }

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
    for (const f of splitPayload(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength))) {
      this.st.framesIn++
      const mf = deviceInfoMaxFrame(f, (x) => decodeMessage(x, { role: 'host' }))
      if (mf > 0) this.sessionMaxFrame = mf
      for (const cb of this.frameCbs) cb(f)
    }
  }

  send(frame: Uint8Array): Promise<void> {
    if (!this.open) return Promise.reject(new Error(`${this.where} is closed`))
    this.st.bytesOut += frame.length
    this.st.framesOut++
    // resolves when the broker has it (PUBACK) at QoS 1, once written at QoS 0
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => (err ? reject(err) : resolve())
      if (isHello(frame)) this.sessionMaxFrame = 0   // a new session: its DEVICE_INFO gives the limit again
      // the commands of one burst (a relaxation's RELAX and GET_STATE) go as one message (SPEC 10.5)
      if (this.boardPacks && this.sessionMaxFrame > 0 && !isHeartbeat(frame)) { this.packer.add(frame, this.sessionMaxFrame, done); return }
      this.packer.flush()
      this.packer.frames++
      this.packer.messages++
      this.client.publish(this.topics.cmd, toBuffer(frame), pubOpts(qosOf(frame, this.qos)), done)
    })
  }

  onFrame(cb: (frame: Uint8Array) => void): void { this.frameCbs.push(cb) }
  onClose(cb: (err?: Error) => void): void { this.closeCbs.push(cb) }
  onNoise(cb: () => void): void { this.noiseCbs.push(cb) }
  stats(): LinkStats { return { ...this.st } }

  private shut(err?: Error): void {
    if (!this.open) return
    this.open = false
    this.packer.clear(err)
    this.client.end(true)
    for (const cb of this.closeCbs) cb(err)
  }

  async close(): Promise<void> {
    if (!this.open) return
    this.open = false
    this.packer.clear()
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
    const t = new MqttTransport(client, topics, where, extras.maxFrame ?? MAX_FRAME_LIMIT, o.qos)
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
      t.boardPacks = extras.pack !== false && s.pack === true
      return t
    } catch (e) {
      await t.close()
      if (e instanceof EqpError) throw e
      throw new EqpError('EQP_ERR_MQTT_CONNECT', [o.url, (e as Error).message], { cause: e })
    }
  }
}
