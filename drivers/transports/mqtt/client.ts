// Connecting an MQTT.js client: MQTT 5 first with a fall-back to 3.1.1, TLS files, coded errors.
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import mqtt, { MqttClient, type IClientOptions } from 'mqtt'
import { MESSAGE_IDS } from '../../../firmware-protocol/ts/index.ts'
import { EqpError } from '../../../src/errors.ts'
import { connectInProcess, deadEnd } from './in-process.ts'
import type { MqttOptions } from './options.ts'

// ---- connecting a client -----------------------------------------------------------------------

let clientCounter = 0
/** protocol versions that worked per url, so a fallback is found once per process */
const learnedVersion = new Map<string, 4 | 5>()

/** A client id for a host-side role: the configured one or host+pid, with a counter (there may be many per process). */
export function hostClientId(o: MqttOptions, role: string): string {
  return `${o.clientId ?? `eqprop-${role}-${hostname().replace(/[^A-Za-z0-9._-]/g, '')}-${process.pid}`}-${++clientCounter}`
}

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (path === undefined) return undefined
  try { return readFileSync(path) } catch (e) {
    throw new EqpError('EQP_ERR_FILE_READ', [path, `${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`])
  }
}

/**
 * MQTT.js calls its debug logger about 15 times per message, and a disabled `debug` logger still
 * costs a call and an `enabled` check each time; a no-op logger costs nothing. DEBUG=mqttjs* keeps
 * MQTT.js's own logging.
 */
const mqttLog = /mqttjs/.test(process.env.DEBUG ?? '') ? {} : { log: () => {} }

function baseOptions(o: MqttOptions, clientId: string): IClientOptions {
  const tls = o.tls
  return {
    clientId, username: o.username, password: o.password, keepalive: o.keepaliveS, clean: true,
    connectTimeout: 5000, resubscribe: true, ...mqttLog,
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
    // a broker in this process (the embedded one): a stream pair instead of loopback TCP, on every reconnect too
    const first = connectInProcess(o.url)
    const c = first
      ? new MqttClient((() => { let s: typeof first | null = first; return () => { const x = s ?? connectInProcess(o.url) ?? deadEnd(); s = null; return x } })(), opts)
      : mqtt.connect(o.url, opts)
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
export async function connectClient(o: MqttOptions, clientId: string, extra: IClientOptions): Promise<MqttClient> {
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

export const isHeartbeat = (frame: Uint8Array) => frame.length > 5 && frame[5] === MESSAGE_IDS.HEARTBEAT
/** SPEC 10.1: commands and replies at the configured QoS (0 or 1), heartbeats always at 0 (a lost one is replaced soon). */
export const qosOf = (frame: Uint8Array, qos: 0 | 1): 0 | 1 => (isHeartbeat(frame) ? 0 : qos)
export const toBuffer = (f: Uint8Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)
/** The publish options of a frame at QoS 0 or 1, made once (MQTT.js copies them; nothing to build per message). */
const PUB_OPTS = [{ qos: 0 as const }, { qos: 1 as const }] as const
export const pubOpts = (qos: 0 | 1) => PUB_OPTS[qos]
export const noop = (): void => {}
