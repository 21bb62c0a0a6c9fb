// Request and reply shapes of the devices resource; the REST routes and the CLI validate with these.
import { z } from 'zod'
import { CONNECTION_STATES } from '../../../drivers/remote/diagnostics.ts'
import { IsingAnneal } from '../../../drivers/sim/ising.ts'
import { SimXyOptions } from '../../../drivers/sim/xy.ts'
import { SubstrateInfo } from '../../../drivers/substrate.ts'
import { MqttTls } from '../../../drivers/transports/mqtt.ts'
import { InputValues, Layout, Network, ResistorGain } from '../../core/network/network.ts'
import { BuilderSpec } from '../../core/topology/index.ts'

/** Limits that keep one request from stalling the daemon. */
export const DEVICE_LIMITS = { nodes: 10_000, couplings: 200_000, relaxBatch: 256 } as const

export const ResourceId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'not an id (1-64 letters, digits, _ . -)')
export const DeviceParams = z.strictObject({ id: ResourceId })

const Seed = z.int().min(0).max(2 ** 32 - 1)

/** The fields every simulated device kind takes. */
const simDeviceShape = <K extends 'sim-xy' | 'sim-oim' | 'sim-resistor' | 'sim-ising'>(kind: K) => ({
  kind: z.literal(kind),
  name: z.string().min(1).max(200).optional(),
  /** a full network description ... */
  network: Network.optional(),
  /** ... or a builder: a spec object, or its CLI string such as 'lattice:4x4' */
  builder: z.union([z.string().min(1).max(500), BuilderSpec]).optional(),
  /** input and output node counts for a builder; or name a task and take its counts */
  io: z.strictObject({ inputs: z.int().min(0).max(DEVICE_LIMITS.nodes), outputs: z.int().min(1).max(DEVICE_LIMITS.nodes) }).optional(),
  task: z.string().min(1).max(64).optional(),
  /** seed of a builder's random couplings */
  seed: Seed.default(0),
  sim: SimXyOptions.prefault({}),
  /** value models (sim-oim, sim-resistor, sim-ising): how dataset phases become clamped values (Network.inputValues) */
  inputValues: InputValues.optional(),
})

function checkSimDevice(v: { network?: unknown; builder?: unknown; io?: unknown; task?: unknown }, ctx: z.RefinementCtx): void {
  const bad = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message })
  if ((v.network === undefined) === (v.builder === undefined)) bad('network', 'give exactly one of network (a description) or builder (a spec)')
  if (v.builder !== undefined && v.io === undefined && v.task === undefined) bad('io', 'a builder needs io {inputs, outputs} or a task to take them from')
  if (v.io !== undefined && v.task !== undefined) bad('io', 'give io or task, not both')
  if (v.network !== undefined && (v.io !== undefined || v.task !== undefined)) bad(v.io ? 'io' : 'task', 'only with builder (a network description lists its own inputs and outputs)')
}

/** A simulated device of one kind; sim-xy, sim-oim and sim-resistor take the same fields. */
const simDeviceCreate = <K extends 'sim-xy' | 'sim-oim' | 'sim-resistor'>(kind: K) => z.strictObject(simDeviceShape(kind)).superRefine(checkSimDevice)
export const SimXyDeviceCreate = simDeviceCreate('sim-xy')
export type SimXyDeviceCreate = z.infer<typeof SimXyDeviceCreate>
/** A simulated oscillator Ising machine; a description or builder network becomes model 'oim' (docs/explanation/substrates.md). */
export const SimOimDeviceCreate = simDeviceCreate('sim-oim')
export type SimOimDeviceCreate = z.infer<typeof SimOimDeviceCreate>
/** A simulated resistor network (model 'resistor'; sim readoutBits are ADC bits over +-sim.readoutRange V, noise is thermal noise on the voltages).
 *  `gain` sets the network's amplifiers (Network.gain; `layers` may be one value for every boundary). */
export const SimResistorDeviceCreate = z.strictObject({
  ...simDeviceShape('sim-resistor'),
  /** the shared simulator options plus the ADC full scale (V; default max(1, G prod A), drivers/sim/resistor.ts) */
  sim: SimXyOptions.extend({ readoutRange: z.number().positive().optional() }).prefault({}),
  gain: ResistorGain.optional(),
}).superRefine(checkSimDevice)
/** A simulated Ising annealer (model 'ising'): `anneal` sets its schedule, `copies` the spins per output
 *  (a builder's outputs are replicated); readoutBits and noise are refused (docs/explanation/substrates.md, Ising annealer). */
export const SimIsingDeviceCreate = z.strictObject({
  ...simDeviceShape('sim-ising'),
  anneal: IsingAnneal.partial().optional(),
  copies: z.int().min(1).max(64).default(1),
}).superRefine(checkSimDevice)

/** A board on a serial port (a USB CDC device or a pty); the board reports its own topology. The
 *  fields are those of SerialDevice in services/boards.ts, plus a name. */
export const SerialDeviceCreate = z.strictObject({
  kind: z.literal('serial'),
  name: z.string().min(1).max(200).optional(),
  path: z.string().min(1).max(4096),
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
  expectUid: z.string().min(1).max(200).optional(),
  /** host frame limit (bytes) */
  maxFrame: z.int().min(256).max(65535).default(4096),
})
export type SerialDeviceCreate = z.infer<typeof SerialDeviceCreate>

/** A board on an MQTT broker, by the uid it announces (GET /boards lists them). Without url the
 *  daemon's own broker (serve --mqtt URL or --mqtt-embedded) is used. */
export const MqttDeviceCreate = z.strictObject({
  kind: z.literal('mqtt'),
  name: z.string().min(1).max(200).optional(),
  uid: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'not a board uid (1-32 of A-Z a-z 0-9 . _ -; it is one topic level)'),
  /** mqtt://host:port, mqtts:// (TLS), ws:// or wss://; default: the daemon's broker */
  url: z.string().regex(/^(mqtts?|wss?):\/\/[^/]+/, 'mqtt://, mqtts://, ws:// or wss:// followed by a host').optional(),
  username: z.string().max(200).optional(),
  password: z.string().max(200).optional(),
  tls: MqttTls.optional(),
  /** 5 or 4 (3.1.1); absent = try 5, fall back to 3.1.1 */
  protocolVersion: z.union([z.literal(4), z.literal(5)]).optional(),
  /** QoS of command and reply frames (SPEC 10.1); default: the daemon broker's, else 0 */
  qos: z.union([z.literal(0), z.literal(1)]).optional(),
  /** topics are <prefix>/<uid>/{cmd,reply,status} */
  prefix: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'topic levels of A-Z a-z 0-9 . _ -, no wildcards').optional(),
  replyTimeoutS: z.number().positive().max(60).optional(),
  /** a call fails with EQP_ERR_DEVICE_LOST after the board has been gone this long */
  maxOutageS: z.number().positive().optional(),
  watchdogMs: z.int().min(0).max(60_000).default(0),
  maxFrame: z.int().min(256).max(65535).default(4096),
})
export type MqttDeviceCreate = z.infer<typeof MqttDeviceCreate>

/** The simulated kinds: attached synchronously from a description or a builder. */
export type SimDeviceCreate = z.infer<typeof SimXyDeviceCreate> | z.infer<typeof SimOimDeviceCreate> | z.infer<typeof SimResistorDeviceCreate> | z.infer<typeof SimIsingDeviceCreate>

/** What POST /devices takes. */
export const DeviceCreate = z.discriminatedUnion('kind', [SimXyDeviceCreate, SimOimDeviceCreate, SimResistorDeviceCreate, SimIsingDeviceCreate, SerialDeviceCreate, MqttDeviceCreate])
export type DeviceCreate = z.infer<typeof DeviceCreate>
export type DeviceCreateInput = z.input<typeof DeviceCreate>

export const Lease = z.object({ run: z.string(), client: z.string() })
export type Lease = z.infer<typeof Lease>

/** A board's status as the remote driver reports it; every field is passed through. */
export const DeviceStatusView = z.looseObject({
  state: z.enum(CONNECTION_STATES),
  where: z.string(),
  uid: z.string().nullable(),
  diagnostics: z.record(z.string(), z.unknown()),
  counters: z.record(z.string(), z.unknown()),
})

export const DeviceView = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string().nullable(),
  createdAt: z.string(),
  info: SubstrateInfo,
  network: z.object({ nodes: z.int(), couplings: z.int(), inputs: z.array(z.int()), outputs: z.array(z.int()), layout: Layout.nullable() }),
  /** the run holding the device, if any: while it does, writes get 409 */
  lease: Lease.nullable(),
  /** runs waiting for the device, oldest first */
  queued: z.array(z.string()),
  stats: z.object({ relaxCalls: z.int(), relaxSamples: z.int(), errors: z.int() }),
  /** boards only: connection state, diagnostics and link counters (drivers/remote/diagnostics.ts) */
  status: DeviceStatusView.optional(),
})
export type DeviceView = z.infer<typeof DeviceView>
export const DeviceDetail = DeviceView.extend({ description: Network })
export type DeviceDetail = z.infer<typeof DeviceDetail>
export const DeviceList = z.object({ devices: z.array(DeviceView) })

const Values = (max: number) => z.array(z.number()).max(max)

/** Parameters as written (PUT) and as applied (GET, and the PUT reply): couplings per edge, bias per node. */
export const ParamsBody = z.strictObject({
  weights: Values(DEVICE_LIMITS.couplings),
  h: Values(DEVICE_LIMITS.nodes).optional(),
  psi: Values(DEVICE_LIMITS.nodes).optional(),
  /** OIM: second-harmonic injection S per node */
  s: Values(DEVICE_LIMITS.nodes).optional(),
})
export type ParamsBody = z.infer<typeof ParamsBody>
export const ParamsView = z.object({ weights: z.array(z.number()), h: z.array(z.number()), psi: z.array(z.number()), s: z.array(z.number()).optional(), edges: z.array(z.tuple([z.int(), z.int()])) })
export type ParamsView = z.infer<typeof ParamsView>

const Rows = z.array(z.array(z.number()).max(DEVICE_LIMITS.nodes)).max(DEVICE_LIMITS.relaxBatch)

export const RelaxBody = z.strictObject({
  /** one row per sample: the clamped values (rad), in the device's clampable order */
  inputs: Rows.min(1),
  phase: z.enum(['free', 'nudged']).default('free'),
  nudge: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('cost'), beta: z.number().positive().max(10), /** one row per sample, nudgeable order (rad) */ targets: Rows }),
    z.strictObject({ kind: z.literal('force'), /** one row per sample, one value per node */ force: Rows }),
  ]).optional(),
  start: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('random'), seed: Seed.default(0) }),
    z.strictObject({ kind: z.literal('previous') }),
    z.strictObject({ kind: z.literal('given'), /** one row per sample, one phase per node (rad) */ states: Rows }),
  ]).default({ kind: 'random', seed: 0 }),
  /** force-evaluation budget per sample */
  maxEvals: z.int().positive().max(200_000).optional(),
})
export type RelaxBody = z.infer<typeof RelaxBody>
export type RelaxBodyInput = z.input<typeof RelaxBody>

export const RelaxView = z.object({
  /** equilibrium phases (rad), one row per sample */
  phases: z.array(z.array(z.number())),
  /** internal energy per sample (without the nudge) */
  energy: z.array(z.number()),
  settled: z.array(z.boolean()),
  /** force evaluations (simulator) or board steps per sample */
  steps: z.array(z.number()),
  timeS: z.number(),
})
export type RelaxView = z.infer<typeof RelaxView>

/** GET /boards: the daemon's broker and the boards announcing themselves on it. */
export const BoardList = z.object({
  /** the broker's URL (no credentials) and whether this process runs it; null when none is configured */
  broker: z.object({ url: z.string(), embedded: z.boolean() }).nullable(),
  boards: z.array(z.looseObject({
    uid: z.string(),
    state: z.enum(['online', 'offline']),
    model: z.string().optional(),
    firmware: z.string().optional(),
    nodes: z.number().optional(),
    edges: z.number().optional(),
    since: z.string().optional(),
    /** ms since 1970 */
    receivedAt: z.number(),
    /** the device id it is attached as, or null */
    device: z.string().nullable(),
  })),
})
export type BoardList = z.infer<typeof BoardList>
