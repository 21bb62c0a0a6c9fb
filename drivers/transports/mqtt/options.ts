// MQTT options, the topic layout and the retained status JSON of a board (SPEC section 10).
import { z } from 'zod'
import { EqpError } from '../../../src/errors.ts'

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
  /** QoS of command and reply frames (SPEC 10.1): 0 by default, since the protocol's seq, reply cache and
   *  resend already recover a lost frame and QoS 1 adds a PUBACK per hop; 1 for a broker that drops QoS 0 */
  qos: z.union([z.literal(0), z.literal(1)]).default(0),
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

/** Refuses a uid that is not one topic level. */
export function checkUid(uid: string): void {
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
  /** since protocol 1.2: the board's link splits MQTT payloads of several frames and packs its replies for a host that does (SPEC 10.5) */
  pack: z.boolean().optional(),
})
export type BoardStatus = z.infer<typeof BoardStatus>
/** What a board says about itself in its status, besides state, uid and since. */
export type BoardIdentity = Omit<BoardStatus, 'state' | 'uid' | 'since' | 'pack'>

/** The status JSON of a message, or null when it is not ours. */
export function parseStatus(payload: Buffer): BoardStatus | null {
  if (payload.length === 0) return null
  try {
    const r = BoardStatus.safeParse(JSON.parse(payload.toString('utf8')))
    return r.success ? r.data : null
  } catch { return null }
}
