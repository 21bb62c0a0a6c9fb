// Boards: attaching a serial board as a Substrate and training on it, and running a board without
// hardware (the TS virtual board, or the C reference firmware's host build) on a serial path, on a
// fresh pseudo-terminal pair made by socat, or on an MQTT broker (the C firmware through a bridge).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { firmwareTopology } from '../../drivers/board/firmware-topology.ts'
import { BOARD_SOLVER } from '../../drivers/board/xy-board-core.ts'
import { VirtualBoard, VirtualBoardOptions } from '../../drivers/board/virtual-board.ts'
import { openRemoteSubstrate, type DeviceStatus, type RemoteSubstrate } from '../../drivers/remote/index.ts'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import { Range, type Substrate } from '../../drivers/substrate.ts'
import { attachBoardToBroker, MqttOptions, mqttConnector, mqttWhere, type AttachedBoard } from '../../drivers/transports/mqtt.ts'
import { startMqttBridge, type Bridge, type BridgeOptions } from '../../drivers/transports/mqtt-bridge.ts'
import { openSerialStream, serialConnector } from '../../drivers/transports/serial.ts'
import type { ByteStream } from '../../drivers/transports/transport.ts'
import { formatIssues, Network } from '../core/network/network.ts'
import { EqpError } from '../errors.ts'
import { PACKAGE_ROOT } from '../package-root.ts'
import type { EngineEvent } from '../engine/events.ts'
import { jobData, loadTask, trainOnSubstrate, TrainJob, type TaskLoader, type TrainJobInput, type TrainOutcome } from './training.ts'

// ---- attaching a board -------------------------------------------------------------------------

export const SerialDevice = z.strictObject({
  kind: z.literal('serial'),
  path: z.string().min(1),
  /** line rate; a pty ignores it, but it sets the default reply timeout */
  baud: z.int().positive().default(115200),
  /** pace our writes to baud / 10 bytes per second (to emulate a UART on a pty) */
  pace: z.boolean().default(false),
  replyTimeoutS: z.number().positive().max(60).optional(),
  /** a call fails with EQP_ERR_DEVICE_LOST after the board has been gone this long */
  maxOutageS: z.number().positive().optional(),
  /** watchdog to ask the board for (ms); 0 = its default */
  watchdogMs: z.int().min(0).max(60_000).default(0),
  /** refuse a board reporting another uid */
  expectUid: z.string().min(1).optional(),
  /** host frame limit (bytes) */
  maxFrame: z.int().min(256).max(65535).default(4096),
  /** commands in flight at most (SPEC 5.3; the board's window caps it); 1 = stop-and-wait */
  window: z.int().min(1).max(255).default(8),
})
export type SerialDevice = z.infer<typeof SerialDevice>

/** The in-process simulator at board resolution: the reference a board's run is compared with. */
export const SimWireDevice = z.strictObject({
  kind: z.literal('sim-wire'),
  coupling: Range.optional(),
  bias: Range.optional(),
})


/** Opens a board on a serial port (a USB CDC device or a pty) as a Substrate. */
export async function openSerialBoard(d: Omit<z.input<typeof SerialDevice>, 'kind'>, onStatus?: (s: DeviceStatus) => void): Promise<RemoteSubstrate> {
  const dev = SerialDevice.parse({ ...d, kind: 'serial' })
  const sub = await openRemoteSubstrate(serialConnector(dev.path, { baudRate: dev.baud, pace: dev.pace, maxFrame: dev.maxFrame }), dev.path, {
    baudRate: dev.baud, replyTimeoutS: dev.replyTimeoutS, maxOutageS: dev.maxOutageS, watchdogMs: dev.watchdogMs, expectUid: dev.expectUid, maxFrame: dev.maxFrame,
    window: dev.window,
  })
  if (onStatus) sub.onStatus(onStatus)
  return sub
}

export { MqttOptions } from '../../drivers/transports/mqtt.ts'
export type { MqttOptionsInput } from '../../drivers/transports/mqtt.ts'

/** A board on an MQTT broker, by uid (SPEC 10): `train --mqtt URL --uid U`, or a daemon device. */
export const MqttDevice = z.strictObject({
  kind: z.literal('mqtt'),
  uid: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'uid: 1..32 of [A-Za-z0-9._-]'),
  mqtt: MqttOptions,
  /** SPEC 5.4 recommends 0.5 s on MQTT */
  replyTimeoutS: z.number().positive().max(60).default(0.5),
  maxOutageS: z.number().positive().optional(),
  watchdogMs: z.int().min(0).max(60_000).default(0),
  maxFrame: z.int().min(256).max(65535).default(4096),
  /** commands in flight at most (SPEC 5.3; the board's window caps it); 1 = stop-and-wait */
  window: z.int().min(1).max(255).default(8),
})
export type MqttDevice = z.infer<typeof MqttDevice>

/** What `train` can run on besides its own simulator: a serial board, a board on a broker, or sim-wire. */
export const DeviceTarget = z.discriminatedUnion('kind', [SerialDevice, SimWireDevice, MqttDevice])
export type DeviceTarget = z.infer<typeof DeviceTarget>
export type DeviceTargetInput = z.input<typeof DeviceTarget>

/** Opens a board on an MQTT broker as a Substrate (it must be online there: retained status). */
export async function openMqttBoard(d: Omit<z.input<typeof MqttDevice>, 'kind'>, onStatus?: (s: DeviceStatus) => void): Promise<RemoteSubstrate> {
  const dev = MqttDevice.parse({ ...d, kind: 'mqtt' })
  const connector = mqttConnector(dev.uid, dev.mqtt, { maxFrame: dev.maxFrame })
  const sub = await openRemoteSubstrate(connector, mqttWhere(dev.mqtt, dev.uid), {
    replyTimeoutS: dev.replyTimeoutS, maxOutageS: dev.maxOutageS, watchdogMs: dev.watchdogMs, expectUid: dev.uid, maxFrame: dev.maxFrame,
    window: dev.window,
  })
  if (onStatus) sub.onStatus(onStatus)
  return sub
}

/** Relays a serial board to a broker (frames both ways, status and last will on its behalf). */
export function startBridge(o: BridgeOptions): Promise<Bridge> {
  return startMqttBridge(o)
}

/** What a training run on a device ends with, including the device's final status. */
export interface DeviceTrainOutcome extends TrainOutcome {
  device: DeviceStatus | null
}

/** Trains a network on a board (or the simulator at board resolution) with the Trainer, unchanged. */
export async function trainOnDevice(network: Network, target: DeviceTargetInput, jobIn: TrainJobInput, onEvent?: (e: EngineEvent) => void,
  onStatus?: (s: DeviceStatus) => void, load: TaskLoader = loadTask): Promise<DeviceTrainOutcome> {
  const job = TrainJob.parse(jobIn)
  const data = jobData(job, load)
  const sub = await openDeviceTarget(network, target, job, onStatus)
  let device: DeviceStatus | null = null
  const status = () => { device = deviceStatus(sub); return 0 }
  const r = await trainOnSubstrate(sub, network, data, job, onEvent, status)
  return { ...r, device }
}

/** A board's connection status (null for sim-wire, which has no link). */
export function deviceStatus(sub: Substrate): DeviceStatus | null {
  return 'status' in sub ? (sub as RemoteSubstrate).status() : null
}

/** Opens what `train --serial/--mqtt/--device` names as a Substrate for an XY network (sim-wire: the job's solver at board resolution). */
export async function openDeviceTarget(network: Network, target: DeviceTargetInput, job: TrainJob, onStatus?: (s: DeviceStatus) => void): Promise<Substrate> {
  const parsed = DeviceTarget.safeParse(target)
  if (!parsed.success) throw new EqpError('EQP_ERR_BAD_INPUT', ['device', formatIssues(parsed.error)])
  const t = parsed.data
  // the wire protocol carries any model, but the boards and the reference here are XY
  if (network.model !== 'xy') throw new EqpError('EQP_ERR_TASK_MISMATCH', [`boards and sim-wire train xy networks, this one is ${network.model}`])
  return t.kind === 'serial' ? await openSerialBoard(t, onStatus)
    : t.kind === 'mqtt' ? await openMqttBoard(t, onStatus)
    // sim-wire stands in for the virtual board: its solver unless one is named
    : new QuantisedXySubstrate(Network.parse(network), { solver: job.sim.solver === 'auto' ? BOARD_SOLVER : job.sim.solver, tol: job.sim.tol, coupling: t.coupling, bias: t.bias })
}

/** A device argument: `serial:PATH` or `sim-wire`. */
export function parseDeviceArg(arg: string): { kind: 'serial'; path: string } | { kind: 'sim-wire' } {
  if (arg === 'sim-wire') return { kind: 'sim-wire' }
  if (arg.startsWith('serial:') && arg.length > 7) return { kind: 'serial', path: arg.slice(7) }
  throw new EqpError('EQP_ERR_BAD_INPUT', ['--device', `'${arg}' is not serial:PATH or sim-wire`])
}

// ---- boards without hardware ---------------------------------------------------------------------

/** A pseudo-terminal pair: what one end writes, the other reads; kill() is pulling the cable. */
export interface PtyPair {
  /** the host's end and the board's end (stable symlinks to /dev/pts/N) */
  hostPath: string
  boardPath: string
  close(): Promise<void>
}

/** Starts socat with two linked ptys (symlinks in dir) and waits until both exist. */
export async function createPtyPair(dir = mkdtempSync(join(tmpdir(), 'eqp-pty-'))): Promise<PtyPair & { process: ChildProcess }> {
  const hostPath = join(dir, 'host'), boardPath = join(dir, 'board')
  const p = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${boardPath}`], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  p.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const failed = new Promise<never>((_, reject) => {
    p.on('error', (e) => reject(new EqpError('EQP_ERR_DEVICE_PORT_OPEN', ['socat', `${e.message} (is socat installed?)`])))
    p.on('exit', (code) => reject(new EqpError('EQP_ERR_DEVICE_PORT_OPEN', ['socat', `exited with ${code}: ${err.trim()}`])))
  })
  failed.catch(() => {})
  for (let i = 0; !(existsSync(hostPath) && existsSync(boardPath)); i++) {
    if (i > 500) throw new EqpError('EQP_ERR_DEVICE_PORT_OPEN', ['socat', 'the pty links did not appear'])
    await Promise.race([new Promise((r) => setTimeout(r, 10)), failed])
  }
  return {
    hostPath, boardPath, process: p,
    close: async () => {
      if (p.exitCode === null && p.signalCode === null) {
        const gone = new Promise((r) => p.once('exit', r))
        p.kill('SIGTERM')
        await gone
      }
    },
  }
}

export const BoardImpl = z.enum(['ts', 'c'])

export const BoardJob = z.strictObject({
  network: Network,
  impl: BoardImpl.default('ts'),
  /** open this serial path (reopened after it goes away); or, when absent, make a pty pair */
  path: z.string().min(1).optional(),
  baud: z.int().positive().default(115200),
  /** pace the board's writes to baud / 10 bytes per second */
  pace: z.boolean().default(false),
  /** the TS board's options (the C firmware takes uid, maxBatch, maxFrame, coupling, bias, tol, the RELAX budget limits, faults.protocolMajor) */
  board: VirtualBoardOptions.prefault({}),
  /** boot counter file of the C firmware (its "non-volatile memory") */
  bootFile: z.string().optional(),
  /** put the board on this broker instead of a serial path (the C firmware: on a pty, plus a bridge) */
  mqtt: MqttOptions.optional(),
})
export type BoardJob = z.infer<typeof BoardJob>
export type BoardJobInput = z.input<typeof BoardJob>

/** A board running for the host to find at hostPath. */
export interface RunningBoard {
  /** where a host connects: a serial path, or mqtt://host:port/<prefix>/<uid> */
  hostPath: string
  uid: string
  /** the TS board itself (null for the C firmware, which runs in its own process) */
  board: VirtualBoard | null
  /** reboots the board (boot counter + 1) */
  reboot(): void
  close(): Promise<void>
}

const C_DIR = join(PACKAGE_ROOT, 'firmware-protocol', 'c')
/** The host build of the reference firmware. */
export const FIRMWARE_BINARY = join(C_DIR, 'build', 'eqp-board')

/** Builds the reference firmware with make (a no-op when it is up to date); returns its path. */
export function ensureFirmwareBuilt(): string {
  const r = spawnSync('make', ['-s', '-C', C_DIR, 'firmware'], { encoding: 'utf8', timeout: 120_000 })
  if (r.error && existsSync(FIRMWARE_BINARY)) return FIRMWARE_BINARY   // no make here: use the binary as it is
  if (r.status !== 0 || !existsSync(FIRMWARE_BINARY)) {
    throw new EqpError('EQP_ERR_FILE_READ', [FIRMWARE_BINARY, `make firmware failed: ${(r.stderr || r.error?.message || '').trim()}`])
  }
  return FIRMWARE_BINARY
}

/** Runs a board (TS or C) on a serial path, a new pty pair or a broker; log gets one line per link event. */
export async function startBoard(jobIn: BoardJobInput, log: (line: string) => void = () => {}): Promise<RunningBoard> {
  const job = BoardJob.parse(jobIn)
  if (job.mqtt && job.impl === 'ts') {
    if (job.path) throw new EqpError('EQP_ERR_BAD_INPUT', ['path', 'a TS board on a broker has no serial path'])
    return startTsBoardOnBroker(job, job.mqtt, log)
  }
  if (job.mqtt) return startFirmwareOnBroker(job, job.mqtt, log)
  const pty = job.path ? null : await createPtyPair()
  const boardPath = job.path ?? pty!.boardPath
  const hostPath = pty ? realpathSync(pty.hostPath) : boardPath
  try {
    const run = job.impl === 'ts' ? await startTsBoard(job, boardPath, log) : await startFirmware(job, boardPath, log)
    return {
      ...run, hostPath,
      close: async () => {
        await run.close()
        await pty?.close()
      },
    }
  } catch (e) {
    await pty?.close()
    throw e
  }
}

async function startTsBoard(job: BoardJob, path: string, log: (l: string) => void): Promise<Omit<RunningBoard, 'hostPath'>> {
  const board = new VirtualBoard(job.network, job.board)
  let stream: ByteStream | null = null
  let closed = false
  let retry: NodeJS.Timeout | null = null
  const open = async (): Promise<void> => {
    retry = null
    if (closed) return
    try {
      const s = await openSerialStream(path, { baudRate: job.baud, pace: job.pace })
      if (closed) { await s.close(); return }
      stream = s
      board.attach(s)
      log(`link up on ${path}`)
      s.onClose((err) => {
        stream = null
        if (closed) return
        log(`link down${err ? `: ${err.message}` : ''}`)
        retry = setTimeout(open, 50)
      })
    } catch {
      // the path is gone (cable out): look again shortly
      retry = setTimeout(open, 50)
    }
  }
  await open()
  if (!stream) {
    if (retry) clearTimeout(retry)
    board.close()
    throw new EqpError('EQP_ERR_DEVICE_PORT_OPEN', [path, 'the board cannot open its end of the link'])
  }
  return {
    uid: job.board.uid, board,
    reboot: () => { board.reboot(); log(`rebooted, boot counter ${board.bootCounter}`) },
    close: async () => {
      closed = true
      if (retry) clearTimeout(retry)
      board.close()
      await (stream as ByteStream | null)?.close()
    },
  }
}

async function startTsBoardOnBroker(job: BoardJob, mqtt: MqttOptions, log: (l: string) => void): Promise<RunningBoard> {
  const board = new VirtualBoard(job.network, job.board)
  let att: AttachedBoard
  try {
    att = await attachBoardToBroker(board, job.board.uid, mqtt, { log })
  } catch (e) {
    board.close()
    throw e
  }
  return {
    hostPath: att.where, uid: job.board.uid, board,
    reboot: () => { board.reboot(); void att.updateStatus(); log(`rebooted, boot counter ${board.bootCounter}`) },
    close: async () => {
      await att.close()
      board.close()
    },
  }
}

/**
 * The C firmware on a broker: it speaks serial only (as most lab boards do, behind a gateway), so it
 * runs on a pty and a bridge in this process relays its frames to the broker.
 */
async function startFirmwareOnBroker(job: BoardJob, mqtt: MqttOptions, log: (l: string) => void): Promise<RunningBoard> {
  // with a path the firmware would own it, and the bridge needs the other end, which only a pty gives
  if (job.path) throw new EqpError('EQP_ERR_BAD_INPUT', ['path', 'the C firmware on a broker runs on its own pty; leave out --path (or run eqprop-hil bridge on a real port)'])
  const pty = await createPtyPair()
  let fw: Omit<RunningBoard, 'hostPath'> | null = null
  try {
    fw = await startFirmware(job, pty.boardPath, log)
    const bridge = await startMqttBridge({ serialPath: realpathSync(pty.hostPath), mqtt, uid: job.board.uid, log })
    const f = fw
    return {
      hostPath: bridge.where, uid: bridge.uid, board: null, reboot: f.reboot,
      close: async () => {
        await bridge.close()
        await f.close()
        await pty.close()
      },
    }
  } catch (e) {
    await fw?.close()
    await pty.close()
    throw e
  }
}

async function startFirmware(job: BoardJob, path: string, log: (l: string) => void): Promise<Omit<RunningBoard, 'hostPath'>> {
  const bin = ensureFirmwareBuilt()
  const dir = mkdtempSync(join(tmpdir(), 'eqp-fw-'))
  const topo = join(dir, 'topology.txt')
  writeFileSync(topo, firmwareTopology(job.network))
  const b = job.board
  const f = b.faults
  if (f.corrupt || f.drop || f.delayS || f.rebootAfter || f.hangAfter) {
    throw new EqpError('EQP_ERR_BAD_INPUT', ['faults', 'the C firmware takes only --protocol-major; reboot it with SIGUSR1 (RunningBoard.reboot)'])
  }
  const r = (x: Range) => `${x.min},${x.max},${x.levels}`
  const args = ['--path', path, '--topology', topo, '--uid', b.uid, '--max-batch', String(Math.min(b.maxBatch, 16)), '--max-frame', String(Math.min(b.maxFrame, 1024)),
    '--coupling', r(b.coupling), '--bias', r(b.bias), '--boot-file', job.bootFile ?? join(dir, 'boot'), '--tol', String(b.tol),
    '--max-steps-limit', String(b.maxStepsLimit), '--default-budget-us', String(b.defaultBudgetUs), '--budget-limit-us', String(b.budgetLimitUs), '--window', String(Math.min(b.window, 8))]
  if (job.pace) args.push('--baud', String(job.baud), '--pace')
  if (b.onBoardLearning) args.push('--learn')
  if (f.protocolMajor !== undefined) args.push('--major', String(f.protocolMajor))
  const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const ready = new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      for (;;) {
        const nl = out.indexOf('\n')
        if (nl < 0) break
        const line = out.slice(0, nl)
        out = out.slice(nl + 1)
        log(line.replace(/^eqp-board: /, ''))
        if (line.includes(' ready ')) resolve()
      }
    })
    p.stderr!.on('data', (d: Buffer) => log(d.toString().trim()))
    p.on('exit', (code) => reject(new EqpError('EQP_ERR_DEVICE_PORT_OPEN', [path, `the firmware exited with ${code}`])))
    p.on('error', reject)
  })
  await ready
  return {
    uid: b.uid, board: null,
    reboot: () => { p.kill('SIGUSR1') },
    close: async () => {
      if (p.exitCode === null && p.signalCode === null) {
        const gone = new Promise((res) => p.once('exit', res))
        p.kill('SIGTERM')
        await gone
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
