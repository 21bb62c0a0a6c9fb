// A serial board on a broker: relays COBS serial frames <-> MQTT messages (the frames themselves are
// passed through untouched, so any conforming firmware works), and publishes the board's retained
// status and last will on its behalf. The identity comes from the board itself: at start the bridge
// sends HELLO, reads DEVICE_INFO and sends STOP (the board waits in its safe state, watchdog
// disarmed, until a host's HELLO), and it refreshes the status from every DEVICE_INFO that passes by.
// While the serial side is down the status says offline, so hosts reconnect when it is back.
import { decodeMessage, encodeMessage, MESSAGE_IDS, PROTOCOL, type DeviceInfoBody } from '../../firmware-protocol/ts/index.ts'
import { EqpError } from '../../src/errors.ts'
import { mqttBoardLink, type BoardIdentity, type BoardLink, type BoardLinkOptions, type MqttOptionsInput } from './mqtt.ts'
import { openSerialTransport, type SerialOptions } from './serial.ts'
import type { Transport } from './transport.ts'

export interface BridgeOptions {
  /** the board's serial port (or the host end of a pty) */
  serialPath: string
  serial?: SerialOptions
  mqtt: MqttOptionsInput
  /** topic uid; absent = the uid the board reports. Given and different from the board's: refused */
  uid?: string
  /** how long the identity probe may take (s, default 3) */
  probeTimeoutS?: number
  link?: BoardLinkOptions
  log?: (line: string) => void
}

/** A running bridge. */
export interface Bridge {
  readonly uid: string
  /** mqtt://host:port/<prefix>/<uid>: where hosts find the board */
  readonly where: string
  readonly link: BoardLink
  /** what the board said about itself in its last DEVICE_INFO (null if the probe got no answer) */
  readonly info: DeviceInfoBody | null
  /** offline status, disconnect from the broker, close the serial port */
  close(): Promise<void>
}

function identityOf(d: DeviceInfoBody | null): BoardIdentity {
  if (!d) return {}
  return { model: d.model, firmware: d.firmware, protocol: `${PROTOCOL.name} ${PROTOCOL.major}.${d.protoMinor}`, bootCounter: d.bootCounter, nodes: d.nodeCount, edges: d.edgeCount }
}

/** HELLO -> DEVICE_INFO, then STOP; null when the board does not answer within timeoutS. */
async function probe(t: Transport, timeoutS: number): Promise<DeviceInfoBody | null> {
  let probing = true
  const seq = Math.floor(Math.random() * 0x10000)
  let info: DeviceInfoBody | null = null
  let stopped = false
  t.onFrame((f) => {
    if (!probing) return
    try {
      const m = decodeMessage(f, { role: 'host' })
      if (m.name === 'DEVICE_INFO' && m.seq === seq) info = m.body
      if (m.seq === ((seq + 1) & 0xffff) && (m.name === 'ACK' || m.name === 'NACK')) stopped = true
    } catch { /* noise or an event from before: not ours */ }
  })
  const hello = encodeMessage({ name: 'HELLO', body: { protoMinor: PROTOCOL.minor, maxFrame: 1024, watchdogMs: 0 }, seq })
  const stop = encodeMessage({ name: 'STOP', body: {}, seq: (seq + 1) & 0xffff })
  const until = performance.now() + timeoutS * 1000
  // resends reuse the seq: the board's reply cache answers them (SPEC 5.4)
  while (!info && performance.now() < until && t.isOpen) {
    await t.send(hello).catch(() => {})
    for (let i = 0; i < 30 && !info; i++) await new Promise((r) => setTimeout(r, 10))
  }
  if (!info) { probing = false; return null }
  for (let k = 0; k < 3 && !stopped && t.isOpen; k++) {
    await t.send(stop).catch(() => {})
    for (let i = 0; i < 30 && !stopped; i++) await new Promise((r) => setTimeout(r, 10))
  }
  probing = false
  return info
}

/** Starts a bridge between a serial board and a broker; resolves once the board is on the broker. */
export async function startMqttBridge(o: BridgeOptions): Promise<Bridge> {
  const log = o.log ?? (() => {})
  // one port handle for the probe and the relay: closing a pty end can end the socat behind it
  let serial = await openSerialTransport(o.serialPath, o.serial)
  let info: DeviceInfoBody | null
  let link: BoardLink
  try {
    info = await probe(serial, o.probeTimeoutS ?? 3)
    if (!info && !o.uid) throw new EqpError('EQP_ERR_DEVICE_NO_HELLO', [o.serialPath, o.probeTimeoutS ?? 3])
    if (info && o.uid && info.uid !== o.uid) throw new EqpError('EQP_ERR_DEVICE_UID_MISMATCH', [o.serialPath, o.uid, info.uid])
    if (!info) log(`no DEVICE_INFO from ${o.serialPath}: publishing status with the uid only`)
    link = await mqttBoardLink(o.uid ?? info!.uid, o.mqtt, () => identityOf(info), { ...o.link, log })
  } catch (e) {
    await serial.close()
    throw e
  }
  const uid = link.uid
  let closed = false
  let retry: NodeJS.Timeout | null = null

  link.onFrame((f) => { if (serial.isOpen) serial.send(f).catch(() => {}) })

  const wire = (t: Transport) => {
    t.onFrame((f) => {
      if (f.length > 5 && f[5] === MESSAGE_IDS.DEVICE_INFO) {
        try {
          const m = decodeMessage(f, { role: 'host' })
          if (m.name === 'DEVICE_INFO' && m.body.bootCounter !== info?.bootCounter) {
            info = m.body
            void link.setState('online')
          }
        } catch { /* the host will see it is damaged */ }
      }
      void link.send(f)
    })
    t.onClose((err) => {
      if (closed) return
      log(`serial link ${o.serialPath} down${err ? `: ${err.message}` : ''}`)
      void link.setState('offline')
      retry = setTimeout(reopen, 200)
    })
  }
  const reopen = async (): Promise<void> => {
    retry = null
    if (closed) return
    try {
      const t = await openSerialTransport(o.serialPath, o.serial)
      if (closed) { await t.close(); return }
      serial = t
      wire(t)
      log(`serial link ${o.serialPath} up`)
      await link.setState('online')
    } catch {
      retry = setTimeout(reopen, 200)
    }
  }

  wire(serial)
  log(`bridging ${o.serialPath} <-> ${link.where}`)
  return {
    uid, where: link.where, link,
    get info() { return info },
    close: async () => {
      closed = true
      if (retry) clearTimeout(retry)
      await link.close()
      await serial.close()
    },
  }
}
