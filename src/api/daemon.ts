// The daemon process: a store (the SQLite file in the data directory, or a shared PostgreSQL
// database), the services over it, the HTTP app. close() stops runs at a step boundary with a
// checkpoint, then the server, then the store.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { EqpError } from '../errors.ts'
import { PACKAGE_ROOT } from '../package-root.ts'
import { DatasetService } from '../services/datasets/service.ts'
import { DeviceService } from '../services/devices/service.ts'
import { MqttService } from '../services/mqtt/service.ts'
import { RunService } from '../services/runs/service.ts'
import { openStore, type Store } from '../services/store/index.ts'
import { Telemetry } from '../services/telemetry.ts'
import { describeKernels, initDenseBackend } from '../services/kernels.ts'
import { buildApp, type AppServices } from './app.ts'
import { holdIdentity, type DaemonIdentity } from './daemon-identity.ts'
import { watchOrphans, type OrphanWatch } from './orphans.ts'
import { DEFAULT_UI_DIR, uiBuilt } from './routes/ui.ts'
import { readsProtected, type ServeConfig } from './config.ts'

const require = createRequire(import.meta.url)
const versionOf = (pkg: string): string => {
  try { return (require(`${pkg}/package.json`) as { version: string }).version } catch { return 'unknown' }
}

/** Versions recorded in each run's provenance. */
export function softwareVersions(): Record<string, string> {
  return {
    'eqprop-hil': (require(join(PACKAGE_ROOT, 'package.json')) as { version: string }).version,
    node: process.version,
    fastify: versionOf('fastify'),
    zod: versionOf('zod'),
    'better-sqlite3': versionOf('better-sqlite3'),
    pg: versionOf('pg'),
  }
}

export interface Daemon {
  app: FastifyInstance
  services: AppServices
  store: Store
  /** this daemon's name on the store (written on the devices it attaches) */
  daemonId: string
  /** http://host:port as bound */
  url: string
  /** the daemon's MQTT broker (mqtt://host:port), null without one */
  mqttUrl: string | null
  close(): Promise<void>
}

const silent = { info() {}, warn() {}, error() {} }

/** Claims the data directory for this process (one process owns one SQLite file). */
function lockDataDir(dir: string): () => void {
  const path = join(dir, 'daemon.pid')
  try {
    const pid = Number(readFileSync(path, 'utf8').trim())
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      let alive = true
      try { process.kill(pid, 0) } catch (e) { alive = (e as NodeJS.ErrnoException).code === 'EPERM' }
      if (alive) throw new EqpError('EQP_ERR_BAD_INPUT', ['dataDir', `'${dir}' is in use by daemon pid ${pid}`])
    }
  } catch (e) {
    if (e instanceof EqpError) throw e
  }
  writeFileSync(path, `${process.pid}\n`)
  return () => { try { if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path) } catch { /* gone already */ } }
}

/** Opens the store, restores devices and runs, and starts listening. */
export async function startDaemon(cfg: ServeConfig & { dataDir: string }, logger?: Logger): Promise<Daemon> {
  mkdirSync(cfg.dataDir, { recursive: true })
  const unlock = lockDataDir(cfg.dataDir)
  const log = logger ? { info: logger.info.bind(logger), warn: logger.warn.bind(logger), error: logger.error.bind(logger) } : silent
  const daemonId = cfg.daemonId ?? hostname()
  let store: Store
  let identity: DaemonIdentity | null = null
  try {
    store = await openStore(cfg.store ?? join(cfg.dataDir, 'eqprop-hil.sqlite'))
  } catch (e) { unlock(); throw e }
  try {
    if (cfg.adoptOrphans && !store.shared) throw new EqpError('EQP_ERR_BAD_INPUT', ['adoptOrphans', 'needs a shared store (--store postgres://...): there is no other daemon to adopt from'])
    if (store.shared) identity = await holdIdentity(store, daemonId, cfg.leaseS, log)
  } catch (e) { await store.close(); unlock(); throw e }
  if (store.shared) log.info({ store: store.kind, daemonId }, `shared ${store.kind} store; this daemon is '${daemonId}'`)
  const versions = softwareVersions()
  const telemetry = new Telemetry()
  const datasets = new DatasetService(store)
  const devices = new DeviceService(store, telemetry, datasets, { simThreads: cfg.simThreads, simThreadNice: cfg.simThreadNice, owner: daemonId })
  const runs = new RunService(store, devices, datasets, {
    checkpointEvery: cfg.checkpointEvery, slice: cfg.slice, keepCheckpoints: cfg.keepCheckpoints, autoResume: cfg.autoResume, versions, log,
  })
  const services: AppServices = { devices, runs, datasets, telemetry }
  let mqtt: MqttService | null = null
  let orphans: OrphanWatch | null = null
  try {
    if (cfg.mqtt || cfg.mqttEmbedded) {
      // before devices are restored: stored mqtt boards are reopened through this broker
      mqtt = await MqttService.start(cfg.mqtt ? { kind: 'external', mqtt: cfg.mqtt } : { kind: 'embedded', host: cfg.mqttHost, port: cfg.mqttPort })
      devices.mqtt = mqtt
      log.info({ broker: mqtt.url, embedded: mqtt.embedded !== null }, mqtt.embedded ? `embedded MQTT broker on ${mqtt.url}` : `boards on MQTT broker ${mqtt.url}`)
    }
    await devices.restore((id, e) => log.warn({ device: id, err: e.message }, 'device not restored (it stays stored; a later restart tries again)'))
    const { app } = await buildApp(services, {
      logger, tokens: cfg.tokens, protectReads: readsProtected(cfg), relaxRate: cfg.relaxRate, relaxBurst: cfg.relaxBurst, bodyLimit: cfg.bodyLimit, uploadLimit: cfg.uploadLimit, version: versions['eqprop-hil'], uiDir: cfg.uiDir,
    })
    await runs.init()
    if (cfg.adoptOrphans) {
      orphans = watchOrphans(store, devices, runs, { self: daemonId, leaseS: cfg.leaseS, log })
      await orphans.scan()
    }
    const kernels = await initDenseBackend()
    log.info({ kernels }, describeKernels(kernels, false))   // why faster backends were skipped stays in the kernels field
    await app.listen({ host: cfg.host, port: cfg.port })
    const addr = app.server.address()
    const port = typeof addr === 'object' && addr ? addr.port : cfg.port
    const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host
    const uiDir = cfg.uiDir ?? DEFAULT_UI_DIR
    log.info({ uiDir }, uiBuilt(uiDir) ? `dashboard at http://${host}:${port}/` : 'no dashboard bundle: run `npm run build:ui` to serve the dashboard at /')
    let closing: Promise<void> | null = null
    const close = () => (closing ??= (async () => {
      await orphans?.stop()
      await runs.shutdown()
      await app.close()
      await devices.closeAll()
      await mqtt?.close()
      await identity?.release()
      await store.close()
      unlock()
    })())
    return { app, services, store, daemonId, url: `http://${host}:${port}`, mqttUrl: mqtt?.url ?? null, close }
  } catch (e) {
    await orphans?.stop()
    await runs.shutdown().catch(() => {})
    await devices.closeAll().catch(() => {})
    await mqtt?.close().catch(() => {})
    await identity?.release()
    await store.close().catch(() => {})
    unlock()
    throw e
  }
}
