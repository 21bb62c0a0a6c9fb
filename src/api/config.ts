// The daemon's settings: one schema for the config file, environment variables and flags (in that
// order of precedence, flags winning).
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { EqpError } from '../errors.ts'
import { parseInput } from '../services/issues.ts'
import { MqttTls } from '../services/mqtt/service.ts'

export const ServeConfig = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 = any free port (the bound address is printed on stdout) */
  port: z.int().min(0).max(65535).default(8765),
  /** holds eqprop-hil.sqlite; default: the user's data directory */
  dataDir: z.string().min(1).optional(),
  /** bearer tokens; scope 'write' (default) reads and writes, 'read' only reads */
  tokens: z.array(z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.@:-]{1,64}$/, 'not a client name'),
    token: z.string().min(8).max(512),
    scope: z.enum(['write', 'read']).default('write'),
  })).default([]),
  /**
   * whether GET requests need a token too (any scope; /health stays open): auto = when a read token
   * exists. Beyond loopback, give a read token or `protectReads: true` to keep reads private.
   */
  protectReads: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  /** resume interrupted runs at start-up */
  autoResume: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** pretty in a terminal, JSON otherwise (auto) */
  logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** relax requests per second per client (0 = unlimited) and the burst allowed */
  relaxRate: z.number().min(0).max(1e6).default(50),
  relaxBurst: z.int().min(1).max(1e6).default(20),
  bodyLimit: z.int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  uploadLimit: z.int().min(1024).max(64 * 1024 * 1024).default(8 * 1024 * 1024),
  /** default checkpoint cadence in steps (runs may set their own) */
  checkpointEvery: z.int().min(0).max(1_000_000).default(20),
  keepCheckpoints: z.int().min(1).max(1000).default(3),
  /** samples per relax call between yields to the event loop */
  slice: z.int().min(1).max(4096).default(8),
  /** run simulated devices in simulator threads, off the event loop that serves HTTP (false: in the main thread, as a reference) */
  simThreads: z.boolean().default(true),
  /** nice steps below the main thread at which simulator threads compute (0 = same priority; Linux only) */
  simThreadNice: z.int().min(0).max(19).default(0),
  /** an MQTT broker where boards announce themselves (mqtt://, mqtts://, ws://; credentials and TLS in the fields) */
  mqtt: z.strictObject({
    url: z.string().regex(/^(mqtts?|wss?):\/\/[^/]+/, 'mqtt://, mqtts://, ws:// or wss:// followed by a host'),
    username: z.string().optional(),
    password: z.string().optional(),
    prefix: z.string().optional(),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).optional(),
    /** QoS of command and reply frames (SPEC 10.1): 0 by default, 1 for a broker that drops QoS 0 */
    qos: z.union([z.literal(0), z.literal(1)]).optional(),
    /** for mqtts:// and wss://: CA, client certificate and key (PEM files), rejectUnauthorized; mqtt devices without their own url inherit it */
    tls: MqttTls.optional(),
  }).optional(),
  /** start a broker in this process (aedes, MQTT 3.1.1) on mqttHost:mqttPort, when no mqtt url is given */
  mqttEmbedded: z.boolean().default(false),
  mqttHost: z.string().min(1).default('127.0.0.1'),
  /** port of the embedded broker (0 = any free one; default 1883, MQTT's) */
  mqttPort: z.int().min(0).max(65535).default(1883),
  /** folder of the dashboard bundle served at / (default: dist/ui in the package, written by npm run build:ui) */
  uiDir: z.string().min(1).optional(),
  /** where runs, checkpoints, metrics, devices and datasets live: postgres://user@host/db (shared by
   *  several daemons) or a SQLite file path (default: eqprop-hil.sqlite in the data directory) */
  store: z.string().min(1).optional(),
  /** this daemon's name on a shared store (default: the host name); each daemon sharing one needs its own */
  daemonId: z.string().regex(/^[A-Za-z0-9_.@:-]{1,64}$/, 'letters, digits and _ . @ : - (at most 64)').optional(),
  /** on a shared store: seconds the daemon id stays held after the daemon stops renewing it (killed) */
  leaseS: z.number().min(1).max(3600).default(15),
  /** on a shared store: adopt the devices and interrupted runs of a daemon whose id lease ran out (it died and was not restarted) */
  adoptOrphans: z.boolean().default(false),
})
export type ServeConfig = z.infer<typeof ServeConfig>
export type ServeConfigInput = z.input<typeof ServeConfig>

/** Where user data lives by platform convention (XDG on Linux). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'eqprop-hil')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'eqprop-hil')
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'eqprop-hil')
}

/** Whether a host name binds only to this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** "name=secret,name2=secret2" (EQP_TOKENS, --token; EQP_READ_TOKENS, --read-token); a bare secret is named '<scope>token<k>'. */
export function parseTokens(text: string, where: string, scope: 'write' | 'read' = 'write'): { name: string; token: string; scope: 'write' | 'read' }[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s, k) => {
    const eq = s.indexOf('=')
    if (eq === 0) throw new EqpError('EQP_ERR_BAD_INPUT', [where, `token ${k + 1} has an empty name`])
    const bare = scope === 'read' ? `readtoken${k + 1}` : `token${k + 1}`
    return eq < 0 ? { name: bare, token: s, scope } : { name: s.slice(0, eq), token: s.slice(eq + 1), scope }
  })
}

/** Whether reads need a token: protectReads, where auto means "when a read token exists". */
export function readsProtected(cfg: Pick<ServeConfig, 'tokens' | 'protectReads'>): boolean {
  return cfg.protectReads === 'auto' ? cfg.tokens.some((t) => t.scope === 'read') : cfg.protectReads
}

/** Settings from the environment (EQP_*), as config-file fields. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (env.EQP_HOST) out.host = env.EQP_HOST
  if (env.EQP_PORT) out.port = /^\d+$/.test(env.EQP_PORT) ? Number(env.EQP_PORT) : env.EQP_PORT
  if (env.EQP_DATA_DIR) out.dataDir = env.EQP_DATA_DIR
  if (env.EQP_STORE) out.store = env.EQP_STORE
  if (env.EQP_DAEMON_ID) out.daemonId = env.EQP_DAEMON_ID
  if (env.EQP_TOKENS || env.EQP_READ_TOKENS) {
    out.tokens = [...parseTokens(env.EQP_TOKENS ?? '', 'EQP_TOKENS'), ...parseTokens(env.EQP_READ_TOKENS ?? '', 'EQP_READ_TOKENS', 'read')]
  }
  if (env.EQP_PROTECT_READS) out.protectReads = ['1', 'true', 'yes'].includes(env.EQP_PROTECT_READS.toLowerCase())
  if (env.EQP_ADOPT_ORPHANS) out.adoptOrphans = ['1', 'true', 'yes'].includes(env.EQP_ADOPT_ORPHANS.toLowerCase())
  if (env.EQP_AUTO_RESUME) out.autoResume = ['1', 'true', 'yes'].includes(env.EQP_AUTO_RESUME.toLowerCase())
  if (env.EQP_LOG_LEVEL) out.logLevel = env.EQP_LOG_LEVEL
  if (env.EQP_MQTT_URL) out.mqtt = { url: env.EQP_MQTT_URL, ...(env.EQP_MQTT_USERNAME ? { username: env.EQP_MQTT_USERNAME, password: env.EQP_MQTT_PASSWORD } : {}) }
  return out
}

/** Reads a JSON config file; errors name the file and the field. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string
  try { text = readFileSync(path, 'utf8') } catch (e) { throw new EqpError('EQP_ERR_FILE_READ', [path, (e as NodeJS.ErrnoException).code ?? String(e)]) }
  let raw: unknown
  try { raw = JSON.parse(text) } catch (e) { throw new EqpError('EQP_ERR_BAD_INPUT', [path, `not valid JSON (${(e as Error).message})`]) }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new EqpError('EQP_ERR_BAD_INPUT', [path, 'expected a JSON object'])
  return raw as Record<string, unknown>
}

/** File < env < flags; the merged result is validated once, naming the field that is wrong. */
export function resolveConfig(file: Record<string, unknown>, env: Record<string, unknown>, flags: Record<string, unknown>): ServeConfig & { dataDir: string } {
  const merged = { ...file, ...env, ...flags }
  const cfg = parseInput(ServeConfig, merged, 'config')
  // a read token alone cannot guard writes: beyond loopback a write token is needed
  if (!isLoopback(cfg.host) && !cfg.tokens.some((t) => t.scope === 'write')) throw new EqpError('EQP_ERR_INSECURE_BIND', [cfg.host])
  if (cfg.tokens.some((t) => t.scope === 'read') && !cfg.tokens.some((t) => t.scope === 'write')) {
    throw new EqpError('EQP_ERR_BAD_INPUT', ['tokens', 'a read token needs a write token beside it (--token), or nobody could write'])
  }
  if (cfg.protectReads === true && cfg.tokens.length === 0) throw new EqpError('EQP_ERR_BAD_INPUT', ['protectReads', 'needs at least one token (--token or --read-token)'])
  // the embedded broker lets anyone in: it must not listen beyond this machine
  if (cfg.mqttEmbedded && !isLoopback(cfg.mqttHost)) throw new EqpError('EQP_ERR_BAD_INPUT', ['mqttHost', `the embedded broker takes anonymous clients and listens on loopback only, not '${cfg.mqttHost}'; run mosquitto with authentication and give --mqtt URL`])
  if (cfg.mqttEmbedded && cfg.mqtt) throw new EqpError('EQP_ERR_BAD_INPUT', ['mqttEmbedded', 'give an mqtt url or mqttEmbedded, not both'])
  return { ...cfg, dataDir: cfg.dataDir ?? defaultDataDir() }
}
