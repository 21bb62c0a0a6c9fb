// eqprop-hil serve: the daemon. Prints its address on stdout, logs (pino) on stderr.
import type { Logger } from 'pino'
import { configFromEnv, isLoopback, parseTokens, readConfigFile, readsProtected, resolveConfig, type ServeConfig } from '../../api/config.ts'
import { EqpError } from '../../errors.ts'
import { num, parseFlags } from '../usage.ts'

export const SERVE_HELP = `eqprop-hil serve [options]

  --host H              address to bind (default 127.0.0.1; a non-loopback address needs a token)
  --port P              port (default 8765; 0 = any free port)
  --data-dir DIR        where eqprop-hil.sqlite lives (default: $XDG_DATA_HOME/eqprop-hil or ~/.local/share/eqprop-hil)
  --store URL|FILE      where runs, metrics, checkpoints, devices and datasets live: postgres://user@host/db
                        (several daemons share one history) or a SQLite file (default: DIR/eqprop-hil.sqlite)
  --daemon-id NAME      this daemon's name on a shared store (default: the host name; one per daemon)
  --lease S             seconds a killed daemon's name stays held on a shared store (default 15)
  --adopt-orphans       on a shared store: when another daemon's name runs out (it died and nobody restarted
                        it), take over its devices and resume its interrupted runs here from their checkpoints
  --config FILE         JSON settings (any field below, camelCase: host, port, dataDir, tokens, autoResume, ...)
  --token NAME=SECRET   a bearer token (repeatable); mutating requests then need one
  --read-token NAME=SECRET  a token that may only read (repeatable); with one, every read but
                        /health needs a token too (docs/reference/security.md)
  --protect-reads       reads need a token (read or write) even without a read token
  --auto-resume         resume interrupted runs at start-up
  --relax-rate N        relax requests per second per client (default 50; 0 = unlimited)
  --checkpoint-every K  default checkpoint cadence in steps (default 20)
  --slice S             samples per relax call between event-loop turns (default 8)
  --log-level L         fatal | error | warn | info | debug | trace | silent (default info)
  --log-format F        auto | json | pretty (default auto: pretty in a terminal)
  --mqtt URL            an MQTT broker where boards announce themselves (GET /boards; attach with
                        POST /devices {"kind":"mqtt","uid":...}); --mqtt-user U --mqtt-password P
  --mqtt-embedded       no broker? start one in this process (aedes, MQTT 3.1.1, anonymous, loopback only)
  --mqtt-port P         port of the embedded broker (default 1883; 0 = any free one, printed on stdout)

Environment: EQP_HOST, EQP_PORT, EQP_DATA_DIR, EQP_STORE, EQP_DAEMON_ID, EQP_TOKENS (name=secret,...), EQP_READ_TOKENS, EQP_PROTECT_READS, EQP_AUTO_RESUME, EQP_LOG_LEVEL,
EQP_CONFIG, EQP_MQTT_URL (+ EQP_MQTT_USERNAME, EQP_MQTT_PASSWORD). Precedence: flags > environment > config file > defaults.
SIGINT / SIGTERM: running runs stop at a step boundary with a checkpoint and show as interrupted.`

async function makeLogger(cfg: ServeConfig): Promise<Logger> {
  const { pino } = await import('pino')
  const pretty = cfg.logFormat === 'pretty' || (cfg.logFormat === 'auto' && process.stderr.isTTY === true)
  if (pretty) {
    try {
      // a dev dependency: without it the daemon logs JSON
      const { default: prettyStream } = await import('pino-pretty')
      return pino({ level: cfg.logLevel }, prettyStream({ destination: 2, colorize: true, translateTime: 'HH:MM:ss' }))
    } catch { /* fall through to JSON */ }
  }
  return pino({ level: cfg.logLevel }, pino.destination({ dest: 2, sync: false }))
}

export async function serveCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    host: { type: 'string' }, port: { type: 'string' }, 'data-dir': { type: 'string' }, config: { type: 'string' },
    store: { type: 'string' }, 'daemon-id': { type: 'string' }, lease: { type: 'string' }, 'adopt-orphans': { type: 'boolean' },
    token: { type: 'string', multiple: true }, 'read-token': { type: 'string', multiple: true }, 'protect-reads': { type: 'boolean' }, 'auto-resume': { type: 'boolean' }, 'relax-rate': { type: 'string' },
    'checkpoint-every': { type: 'string' }, slice: { type: 'string' }, 'log-level': { type: 'string' }, 'log-format': { type: 'string' },
    mqtt: { type: 'string' }, 'mqtt-user': { type: 'string' }, 'mqtt-password': { type: 'string' }, 'mqtt-embedded': { type: 'boolean' }, 'mqtt-port': { type: 'string' },
  })
  const flags: Record<string, unknown> = {}
  if (f.host !== undefined) flags.host = f.host
  if (f.port !== undefined) flags.port = num(f.port, 'port', 0, { int: true, min: 0, max: 65535 })
  if (f['data-dir'] !== undefined) flags.dataDir = f['data-dir']
  if (f.store !== undefined) flags.store = f.store
  if (f['daemon-id'] !== undefined) flags.daemonId = f['daemon-id']
  if (f.lease !== undefined) flags.leaseS = num(f.lease, 'lease', 0, { min: 1, max: 3600 })
  if (f.token !== undefined || f['read-token'] !== undefined) {
    flags.tokens = [...(f.token ?? []).flatMap((t) => parseTokens(t, '--token')), ...(f['read-token'] ?? []).flatMap((t) => parseTokens(t, '--read-token', 'read'))]
  }
  if (f['protect-reads']) flags.protectReads = true
  if (f['auto-resume']) flags.autoResume = true
  if (f['adopt-orphans']) flags.adoptOrphans = true
  if (f['relax-rate'] !== undefined) flags.relaxRate = num(f['relax-rate'], 'relax-rate', 0, { min: 0 })
  if (f['checkpoint-every'] !== undefined) flags.checkpointEvery = num(f['checkpoint-every'], 'checkpoint-every', 0, { int: true, min: 0 })
  if (f.slice !== undefined) flags.slice = num(f.slice, 'slice', 0, { int: true, min: 1 })
  if (f['log-level'] !== undefined) flags.logLevel = f['log-level']
  if (f['log-format'] !== undefined) flags.logFormat = f['log-format']
  if (f.mqtt !== undefined) flags.mqtt = { url: f.mqtt, ...(f['mqtt-user'] !== undefined ? { username: f['mqtt-user'], password: f['mqtt-password'] } : {}) }
  if (f['mqtt-embedded']) flags.mqttEmbedded = true
  if (f['mqtt-port'] !== undefined) flags.mqttPort = num(f['mqtt-port'], 'mqtt-port', 0, { int: true, min: 0, max: 65535 })
  const configPath = f.config ?? process.env.EQP_CONFIG
  const cfg = resolveConfig(configPath ? readConfigFile(configPath) : {}, configFromEnv(process.env), flags)
  const logger = await makeLogger(cfg)
  // loaded here, so other commands do not pay for fastify and SQLite
  const { startDaemon } = await import('../../api/daemon.ts')
  let d: Awaited<ReturnType<typeof startDaemon>>
  try {
    d = await startDaemon(cfg, logger)
  } catch (e) {
    // a daemon that cannot start (port in use, broker unreachable) needs another setting, not a stack trace
    const why = e instanceof EqpError ? `${e.code}: ${e.message}` : (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `EQP_ERR_BAD_INPUT: port: ${cfg.host}:${cfg.port} is in use (give another --port, or 0 for any free one)` : null
    if (why === null) throw e
    const hint = cfg.mqttEmbedded && /in use/.test(why) && !why.includes('--port') ? ' (a broker already runs there? use it with --mqtt URL, or give --mqtt-port 0)' : ''
    process.stderr.write(`eqprop-hil serve: ${why}${hint}\n`)
    logger.flush?.()
    return 2
  }
  // handlers first: a supervisor may signal as soon as it reads the address
  const stopped = new Promise<void>((resolve) => {
    let stopping = false
    const stop = (sig: string) => {
      if (stopping) { logger.warn({ sig }, 'second signal: exiting without a clean shutdown'); process.exit(1) }
      stopping = true
      logger.info({ sig }, 'shutting down: checkpointing running runs')
      d.close().then(resolve, (e) => { logger.error({ err: e }, 'unclean shutdown'); resolve() })
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
  })
  process.stdout.write(`eqprop-hil daemon listening on ${d.url} (data dir ${cfg.dataDir})\n`)
  if (d.mqttUrl) process.stdout.write(`boards on MQTT broker ${d.mqttUrl}${cfg.mqttEmbedded ? ' (embedded)' : ''}\n`)
  logger.info({ url: d.url, dataDir: cfg.dataDir, tokens: cfg.tokens.length, protectReads: readsProtected(cfg) }, 'daemon started')
  if (!isLoopback(cfg.host) && !readsProtected(cfg)) {
    logger.warn({ host: cfg.host }, 'reads (runs, devices, parameters, /metrics) are open to anyone who can reach this address; give --read-token or --protect-reads to require a token')
  }
  await stopped
  logger.info('daemon stopped')
  logger.flush?.()
  return 0
}
