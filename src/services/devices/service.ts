// The devices the daemon owns: attach (a simulated XY substrate today; boards later through the same
// route), read and write parameters, relax on demand, and the lease a run holds on its device.
import type { RemoteSubstrate } from '../../../drivers/remote/index.ts'
import type { Params, RelaxRequest, RelaxResult, Substrate } from '../../../drivers/substrate.ts'
import { emptyResult, putResult, sliceRequest } from '../../../drivers/substrate.ts'
import { Network } from '../../core/network/network.ts'
import { buildNetwork, lclShapes, parseBuilderString, type BuilderSpec, type LayerShape } from '../../core/topology/index.ts'
import { openMqttBoard, openSerialBoard } from '../boards.ts'
import type { MqttService } from '../mqtt/service.ts'
import { asModel, openSimulator, withInputValues, withResistorGain } from '../substrates.ts'
import { replicateOutputs } from '../../core/topology/replicas.ts'
import { paramsToJson, yieldToLoop } from '../../engine/sliced-substrate.ts'
import { EqpError } from '../../errors.ts'
import type { DatasetService } from '../datasets/service.ts'
import type { DeviceRow, Store } from '../store/index.ts'
import { ThreadedSim } from './threaded-sim.ts'
import { identifyBoard, type IdentifyOptionsInput } from '../twin/identify.ts'
import type { IdentifyView } from '../twin/schemas.ts'
import type { Telemetry } from '../telemetry.ts'
import { DEVICE_LIMITS, type BoardList, type DeviceCreate, type DeviceDetail, type MqttDeviceCreate, type SerialDeviceCreate, type SimDeviceCreate, type DeviceView, type Lease, type ParamsBody, type ParamsView, type RelaxBody, type RelaxView } from './schemas.ts'

interface DeviceHandle {
  id: string
  kind: string
  name: string | null
  createdAt: string
  /** the network as attached */
  description: Network
  sub: Substrate
  /** a board's driver (the same object as sub), for its status; null for a simulator */
  board: RemoteSubstrate | null
  lease: Lease | null
  stats: { relaxCalls: number; relaxSamples: number; errors: number }
  /** serialises calls on the device: one relax or write at a time */
  chain: Promise<unknown>
  /** a simulator integrating fixed-T reference dynamics: its unsettled states are its equilibria */
  fixedTime: boolean
}

/** Couplings a builder spec will create, computed before anything is allocated. */
function builderSize(s: BuilderSpec): { nodes: number; couplings: number } {
  if (s.kind === 'all-to-all') return { nodes: s.nodes, couplings: (s.nodes * (s.nodes - 1)) / 2 }
  if (s.kind === 'layered') return { nodes: s.sizes.reduce((a, b) => a + b, 0), couplings: s.sizes.slice(1).reduce((a, b, k) => a + b * s.sizes[k], 0) }
  // paper scale: upper bounds for stacked lattices, LCL sizes without the (unknown here) outputs
  if (s.kind === 'stacked') { const nodes = s.layers * s.rows * s.cols; return { nodes, couplings: nodes * (4 + (2 * s.radius + 1) ** 2) } }
  if (s.kind === 'lcl') return lclSizeBound(s)
  const nodes = s.rows * s.cols
  return { nodes, couplings: nodes * (2 + (s.neighbours === 8 ? 2 : 0) + 2 * s.skips.length) }
}

/** LCL nodes and local couplings before building; a spec the builder will refuse counts as empty. */
function lclSizeBound(s: Extract<BuilderSpec, { kind: 'lcl' }>): { nodes: number; couplings: number } {
  let shapes: LayerShape[]
  try { shapes = lclShapes(s) } catch { return { nodes: 0, couplings: 0 } }
  const size = (l: LayerShape) => l.channels * l.height * l.width
  return {
    nodes: shapes.reduce((a, l) => a + size(l), 0),
    couplings: s.layers.reduce((a, l, k) => a + size(shapes[k + 1]) * shapes[k].channels * l.kernel * l.kernel, 0) + size(shapes[shapes.length - 1]),
  }
}

function checkSize(field: string, size: { nodes: number; couplings: number }): void {
  if (size.nodes > DEVICE_LIMITS.nodes) throw new EqpError('EQP_ERR_BAD_INPUT', [field, `${size.nodes} nodes is above the daemon's limit of ${DEVICE_LIMITS.nodes}`])
  if (size.couplings > DEVICE_LIMITS.couplings) throw new EqpError('EQP_ERR_BAD_INPUT', [field, `${size.couplings} couplings is above the daemon's limit of ${DEVICE_LIMITS.couplings}`])
}

/** Samples per device call on the relax route; the event loop turns between slices. */
const ROUTE_SLICE = 32

/** Relaxes a batch in slices of ROUTE_SLICE samples with a turn of the event loop between them. Per-sample
 *  start seeds make this exact; `previous` starts stay one call (the device keeps one previous batch). */
async function relaxInSlices(sub: Substrate, req: RelaxRequest): Promise<RelaxResult> {
  const B = req.batch
  if (B <= ROUTE_SLICE || req.start.kind === 'previous') return sub.relax(req)
  const n = sub.info.nodes
  const out = emptyResult(B, n)
  for (let a = 0; a < B; a += ROUTE_SLICE) {
    await yieldToLoop()
    putResult(out, await sub.relax(sliceRequest(req, a, Math.min(B, a + ROUTE_SLICE), n)), a, n)
  }
  return out
}

const holderText = (l: Lease) => `run '${l.run}' (client '${l.client}')`

/** A board lease lasts until its daemon detaches the board (a daemon restarted under the same id takes it back). */
const BOARD_LEASE_S = 100 * 365 * 86400

export class DeviceService {
  private readonly devices = new Map<string, DeviceHandle>()
  /** run ids waiting for a device; the run service supplies it */
  queuedFor: (deviceId: string) => Promise<string[]> = async () => []

  /** the daemon's broker, for mqtt devices that name none and for GET /boards */
  mqtt: MqttService | null = null

  /**
   * @param opts.simThreads run simulators in the daemon's simulator threads (default), not the main thread
   * @param opts.simThreadNice how far below the main thread's priority simulator threads run (nice steps, 0-19)
   * @param opts.owner this daemon's id, written on the devices it attaches (a shared store restores each daemon's own)
   */
  constructor(private readonly store: Store, private readonly telemetry: Telemetry, private readonly datasets: DatasetService, private readonly opts: { simThreads?: boolean; simThreadNice?: number; owner?: string } = {}) {}

  /** the daemon id written on attached devices */
  get owner(): string { return this.opts.owner ?? 'local' }

  /** Re-attaches the devices stored in the database, with the parameters they last had. A serial board
   *  is reopened by its path; one that cannot be opened is reported to onFail and stays stored (not
   *  attached) until a later restart finds it. */
  async restore(onFail: (id: string, e: Error) => void = () => {}): Promise<void> {
    // on a shared store, only the devices this daemon attached (another host's serial port is not ours to open)
    for (const row of await this.store.devices.attached(this.store.shared ? this.owner : undefined)) {
      try {
        await this.reopen(row)
      } catch (e) {
        onFail(row.id, e as Error)
      }
    }
  }

  /**
   * Takes over the attached devices of daemon `from`, which died (its id's lease ran out on the shared
   * store): each becomes this daemon's, its MQTT board lease too, and is opened here with the
   * parameters it last had. A serial board stays with `from` (its port is on that daemon's host), and
   * so does a device another adopter took first. Resolves with the ids opened here.
   */
  async adopt(from: string, onFail: (id: string, e: Error) => void = () => {}): Promise<string[]> {
    const out: string[] = []
    for (const row of await this.store.devices.attached(from)) {
      const spec = row.spec as DeviceCreate
      if (spec.kind === 'serial') continue
      if (!await this.store.devices.setOwner(row.id, from, this.owner)) continue
      if (spec.kind === 'mqtt') await this.store.leases.transfer(`board:mqtt:${spec.uid}`, from, this.owner)
      try {
        await this.reopen({ ...row, owner: this.owner })
        out.push(row.id)
      } catch (e) {
        onFail(row.id, e as Error)
      }
    }
    return out
  }

  /** Opens a stored device here (a board through its driver), with the parameters it last had. */
  private async reopen(row: DeviceRow): Promise<void> {
    const spec = row.spec as DeviceCreate
    let h: DeviceHandle
    if (spec.kind === 'serial' || spec.kind === 'mqtt') {
      await this.claimBoard(spec)
      const board = await this.openBoard(spec)
      try {
        await this.claimBoard(spec, board.info.uid)
      } catch (e) {
        await board.close().catch(() => {})
        throw e
      }
      h = this.register(row.id, spec.kind, row.network as Network, row.name, row.createdAt, board, board)
    } else h = this.open(row.id, spec, row.network as Network, row.name, row.createdAt)
    if (row.params) await h.sub.setParams({ weights: Float64Array.from(row.params.weights), h: Float64Array.from(row.params.h), psi: Float64Array.from(row.params.psi), ...(row.params.s ? { s: Float64Array.from(row.params.s) } : {}) })
  }

  private open(id: string, spec: SimDeviceCreate, description: Network, name: string | null, createdAt: string): DeviceHandle {
    const anneal = spec.kind === 'sim-ising' ? spec.anneal : undefined
    // boards stay here: their I/O is asynchronous and their compute is on the board
    const sub = this.opts.simThreads === false ? openSimulator(description, spec.sim, anneal) : new ThreadedSim(description, spec.sim, anneal, { nice: this.opts.simThreadNice })
    const h = this.register(id, spec.kind, description, name, createdAt, sub, null)
    h.fixedTime = 'sim' in spec && (spec.sim as { dynamics?: string } | undefined)?.dynamics === 'reference'
    return h
  }

  private register(id: string, kind: string, description: Network, name: string | null, createdAt: string, sub: Substrate, board: RemoteSubstrate | null): DeviceHandle {
    const h: DeviceHandle = { id, kind, name, createdAt, description, sub, board, lease: null, stats: { relaxCalls: 0, relaxSamples: 0, errors: 0 }, chain: Promise.resolve(), fixedTime: false }
    this.devices.set(id, h)
    return h
  }

  /** Opens a serial board; a coded error (port missing or busy, no HELLO, protocol version, uid, a
   *  model this host does not train) when it cannot be used. Nothing stays open on failure. */
  private async openBoard(spec: SerialDeviceCreate | MqttDeviceCreate): Promise<RemoteSubstrate> {
    let board: RemoteSubstrate
    if (spec.kind === 'mqtt') board = await openMqttBoard(this.mqttTarget(spec))
    else {
      const { kind: _k, name: _n, ...opts } = spec
      board = await openSerialBoard(opts)
    }
    try {
      void board.info   // throws for a model this host does not train
      return board
    } catch (e) {
      await board.close().catch(() => {})
      throw e
    }
  }

  /** How to reach an mqtt device: its own broker fields, else the daemon's broker. */
  private mqttTarget(spec: MqttDeviceCreate): Parameters<typeof openMqttBoard>[0] {
    const base = this.mqtt?.options
    if (!spec.url && !base) throw new EqpError('EQP_ERR_BAD_INPUT', ['url', 'this daemon has no broker (serve --mqtt URL or --mqtt-embedded): give the board\'s broker url'])
    const mqtt = spec.url
      ? { url: spec.url, username: spec.username, password: spec.password, tls: spec.tls, protocolVersion: spec.protocolVersion, prefix: spec.prefix, qos: spec.qos }
      : { ...base!, ...(spec.username !== undefined ? { username: spec.username, password: spec.password } : {}), ...(spec.prefix ? { prefix: spec.prefix } : {}), ...(spec.qos !== undefined ? { qos: spec.qos } : {}) }
    return { uid: spec.uid, mqtt, replyTimeoutS: spec.replyTimeoutS, maxOutageS: spec.maxOutageS, watchdogMs: spec.watchdogMs, maxFrame: spec.maxFrame }
  }

  /** The daemon's broker and the boards that announce themselves on it, with the device each is attached as. */
  boards(): BoardList {
    if (!this.mqtt) return { broker: null, boards: [] }
    const byUid = new Map<string, string>()
    // a board's info.uid is the uid it announced: the driver refuses a board reporting another
    for (const h of this.devices.values()) if (h.kind === 'mqtt') byUid.set(h.sub.info.uid, h.id)
    return { broker: { url: this.mqtt.url, embedded: this.mqtt.embedded !== null }, boards: this.mqtt.boards((uid) => byUid.get(uid) ?? null) }
  }

  /** The network a board describes: its topology from the handshake, its parameters as applied. */
  private async boardNetwork(board: RemoteSubstrate): Promise<Network> {
    const info = board.info
    checkSize('path', { nodes: info.nodes, couplings: info.edges.length })
    const p = paramsToJson(await board.getParams())
    const net = Network.safeParse({
      model: info.model, nodes: info.nodes, edges: info.edges, weights: p.weights,
      ...(info.hasBias ? { bias: { h: p.h, psi: p.psi } } : {}),
      inputs: info.clampable, outputs: info.nudgeable,
    })
    if (!net.success) throw new EqpError('EQP_ERR_DEVICE_UNSUPPORTED', [info.uid, `its reported topology as a network (${net.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`])
    return net.data
  }

  /** The network a create request describes; 400 naming the field when it does not build. */
  private async networkOf(spec: SimDeviceCreate): Promise<Network> {
    return withInputValues(await this.modelledNetwork(spec), spec.inputValues)
  }

  private async modelledNetwork(spec: SimDeviceCreate): Promise<Network> {
    if (spec.kind === 'sim-ising') {
      const net = asModel(await this.describedNetwork(spec), 'ising')
      let out: Network
      try {
        out = replicateOutputs(net, spec.copies, spec.seed)
      } catch (e) {
        if (e instanceof RangeError) throw new EqpError('EQP_ERR_BAD_INPUT', ['copies', e.message])
        throw e
      }
      checkSize('copies', { nodes: out.nodes, couplings: out.edges.length })
      return out
    }
    if (spec.kind === 'sim-resistor') return withResistorGain(asModel(await this.describedNetwork(spec), 'resistor'), spec.gain ?? {})
    return asModel(await this.describedNetwork(spec), spec.kind === 'sim-oim' ? 'oim' : 'xy')
  }

  private async describedNetwork(spec: SimDeviceCreate): Promise<Network> {
    if (spec.network) {
      checkSize('network', { nodes: spec.network.nodes, couplings: spec.network.edges.length })
      return spec.network
    }
    let b: BuilderSpec
    try {
      b = typeof spec.builder === 'string' ? parseBuilderString(spec.builder) : spec.builder!
    } catch (e) {
      throw new EqpError('EQP_ERR_BAD_INPUT', ['builder', (e as Error).message])
    }
    checkSize('builder', builderSize(b))
    const io = spec.io ?? await (async () => { const d = await this.datasets.load(spec.task!, 0, 'task'); return { inputs: d.nIn, outputs: d.nOut } })()
    try {
      return buildNetwork(b, io, spec.seed)
    } catch (e) {
      if (e instanceof RangeError) throw new EqpError('EQP_ERR_BAD_INPUT', ['builder', e.message])
      throw e
    }
  }

  /** Attaches a simulated device; returns its view (a serial board needs attachAny, which awaits the board). */
  async attach(spec: DeviceCreate): Promise<DeviceDetail> {
    if (spec.kind === 'serial' || spec.kind === 'mqtt') throw new EqpError('EQP_ERR_BAD_INPUT', ['kind', 'a board is attached with attachAny (it is opened first)'])
    const description = await this.networkOf(spec)
    const createdAt = new Date().toISOString()
    const id = await this.insertRow(spec, description, createdAt)
    return this.detail(this.open(id, spec, description, spec.name ?? null, createdAt))
  }

  /** Stores a new device under the next free number (drawn in the insert's transaction); resolves with its id. */
  private async insertRow(spec: DeviceCreate, network: Network, createdAt: string): Promise<string> {
    return this.store.tx(async (t) => {
      const n = await t.devices.nextN()
      const id = `dev-${n}`
      await t.devices.insert({ id, n, kind: spec.kind, name: spec.name ?? null, createdAt, spec, network, params: null, owner: this.owner })
      return id
    })
  }

  /** Attaches a device of any kind (a serial board is opened first); returns its view. */
  async attachAny(spec: DeviceCreate): Promise<DeviceDetail> {
    if (spec.kind !== 'serial' && spec.kind !== 'mqtt') return this.attach(spec)
    await this.claimBoard(spec)
    let board: Awaited<ReturnType<DeviceService['openBoard']>>
    try {
      board = await this.openBoard(spec)
    } catch (e) {
      await this.freeBoard(spec)
      throw e
    }
    try {
      // a serial board's uid is known from its HELLO only: claimed once the port is open
      await this.claimBoard(spec, board.info.uid)
    } catch (e) {
      await board.close().catch(() => {})
      throw e
    }
    const uid = board.info.uid
    let description: Network
    try {
      description = await this.boardNetwork(board)
    } catch (e) {
      await board.close().catch(() => {})
      await this.freeBoard(spec, uid)
      throw e
    }
    const createdAt = new Date().toISOString()
    let id: string
    try {
      id = await this.insertRow(spec, description, createdAt)
    } catch (e) {
      await board.close().catch(() => {})
      await this.freeBoard(spec, uid)
      throw e
    }
    return this.detail(this.register(id, spec.kind, description, spec.name ?? null, createdAt, board, board))
  }

  private handle(id: string): DeviceHandle {
    const h = this.devices.get(id)
    if (!h) throw new EqpError('EQP_ERR_DEVICE_NOT_FOUND', [id])
    return h
  }

  /** Whether a device is attached. */
  has(id: string): boolean { return this.devices.has(id) }

  private async view(h: DeviceHandle): Promise<DeviceView> {
    const d = h.description
    const queued = await this.queuedFor(h.id)
    return {
      id: h.id, kind: h.kind, name: h.name, createdAt: h.createdAt, info: h.sub.info,
      network: { nodes: d.nodes, couplings: d.edges.length, inputs: d.inputs, outputs: d.outputs, layout: d.layout ?? null },
      lease: h.lease, queued, stats: { ...h.stats },
      // DeviceStatus is plain JSON; the view schema passes its fields through
      ...(h.board ? { status: h.board.status() as unknown as DeviceView['status'] } : {}),
    }
  }

  private async detail(h: DeviceHandle): Promise<DeviceDetail> {
    return { ...await this.view(h), description: h.description }
  }

  async list(): Promise<DeviceView[]> { return Promise.all([...this.devices.values()].map((h) => this.view(h))) }

  /** How many devices are attached here. */
  count(): number { return this.devices.size }

  /** Ids of the devices attached here, oldest first. */
  ids(): string[] { return [...this.devices.keys()] }

  /** What a run needs of an attached device, without the stored queue (404 when unknown). */
  local(id: string): { id: string; kind: string; info: DeviceDetail['info']; description: Network; fixedTime: boolean } {
    const h = this.handle(id)
    return { id: h.id, kind: h.kind, info: h.sub.info, description: h.description, fixedTime: h.fixedTime }
  }

  async get(id: string): Promise<DeviceDetail> { return this.detail(this.handle(id)) }

  /** Throws 409 naming the holder when a run holds the device. */
  private checkFree(h: DeviceHandle): void {
    if (h.lease) throw new EqpError('EQP_ERR_DEVICE_LEASED', [h.id, holderText(h.lease)])
  }

  /** Runs fn when the device's earlier calls are done; counts failures as device errors. */
  private exclusive<T>(h: DeviceHandle, fn: () => Promise<T>): Promise<T> {
    const run = h.chain.then(fn).catch((e: unknown) => {
      if (!(e instanceof EqpError && e.statusCode < 500 && e.code !== 'EQP_ERR_DEVICE_CLOSED')) {
        h.stats.errors++
        this.telemetry.deviceError(h.id)
      }
      throw e
    })
    h.chain = run.catch(() => {})
    return run
  }

  async detach(id: string): Promise<void> {
    const h = this.handle(id)
    this.checkFree(h)
    const queued = await this.queuedFor(id)
    if (queued.length) throw new EqpError('EQP_ERR_DEVICE_LEASED', [id, `queued run '${queued[0]}' (cancel it first)`])
    this.devices.delete(id)
    await this.store.devices.detach(id, new Date().toISOString())
    const uid = h.sub.info.uid
    await this.exclusive(h, () => h.sub.close())
    const row = await this.store.devices.get(id)
    if (row) await this.freeBoard(row.spec as DeviceCreate, uid)
  }

  /** The lease that holds a board on a shared store: an MQTT board by the uid it is attached by, a serial
   *  board by the uid its HELLO reports (null while that is not known yet, and for simulators). */
  private boardLease(spec: DeviceCreate, uid?: string): { name: string; uid: string } | null {
    if (!this.store.shared) return null
    if (spec.kind === 'mqtt') return uid === undefined ? { name: `board:mqtt:${spec.uid}`, uid: spec.uid } : null
    if (spec.kind === 'serial' && uid !== undefined) return { name: `board:serial:${uid}`, uid }
    return null
  }

  /** On a shared store, a board is held by one daemon at a time: a lease named by its uid, held by the
   *  daemon's id until it detaches the board, taken in one conditional upsert so two daemons attaching
   *  at once cannot both win. An MQTT board (any daemon can reach it over the broker) is claimed before
   *  it is opened (uid undefined); a serial board once it is open and has said its uid. */
  private async claimBoard(spec: DeviceCreate, uid?: string): Promise<void> {
    const lease = this.boardLease(spec, uid)
    if (!lease) return
    if (await this.store.leases.take(lease.name, this.owner, BOARD_LEASE_S, { since: new Date().toISOString() })) return
    const holder = (await this.store.leases.get(lease.name))?.holder ?? 'another daemon'
    throw new EqpError('EQP_ERR_BOARD_HELD', [lease.uid, holder])
  }

  /** Releases a board's lease (the uid a serial board reported; none for an MQTT board). */
  private async freeBoard(spec: DeviceCreate, uid?: string): Promise<void> {
    const lease = this.boardLease(spec, spec.kind === 'serial' ? uid : undefined)
    if (lease) await this.store.leases.release(lease.name, this.owner).catch(() => {})
  }

  private paramsView(h: DeviceHandle, p: Params): ParamsView {
    return { ...paramsToJson(p), edges: h.sub.info.edges }
  }

  /** Parameters as applied; always allowed, leased or not. */
  async params(id: string): Promise<ParamsView> {
    const h = this.handle(id)
    return this.paramsView(h, await this.exclusive(h, () => h.sub.getParams()))
  }

  /** Writes parameters (409 while a run holds the device); returns them as applied. */
  async setParams(id: string, body: ParamsBody): Promise<ParamsView> {
    const h = this.handle(id)
    const { nodes, edges } = h.sub.info
    if (body.weights.length !== edges.length) throw new EqpError('EQP_ERR_BAD_INPUT', ['weights', `expected ${edges.length} values (one per coupling), got ${body.weights.length}`])
    for (const k of ['h', 'psi', 's'] as const) {
      const v = body[k]
      if (v && v.length !== nodes) throw new EqpError('EQP_ERR_BAD_INPUT', [k, `expected ${nodes} values (one per node), got ${v.length}`])
    }
    this.checkFree(h)
    const applied = await this.exclusive(h, async () => {
      this.checkFree(h)
      return h.sub.setParams({ weights: Float64Array.from(body.weights), h: body.h && Float64Array.from(body.h), psi: body.psi && Float64Array.from(body.psi), ...(body.s ? { s: Float64Array.from(body.s) } : {}) })
    })
    await this.store.devices.setParams(id, paramsToJson(applied))
    return this.paramsView(h, applied)
  }

  /** One relaxation on given inputs (409 while a run holds the device). */
  async relax(id: string, body: RelaxBody): Promise<RelaxView> {
    const h = this.handle(id)
    const { nodes: n, clampable, nudgeable } = h.sub.info
    const B = body.inputs.length
    const flat = (rows: number[][], width: number, field: string, what: string): Float64Array => {
      if (rows.length !== B) throw new EqpError('EQP_ERR_BAD_INPUT', [field, `has ${rows.length} rows, inputs has ${B} (one row per sample)`])
      const out = new Float64Array(B * width)
      rows.forEach((r, b) => {
        if (r.length !== width) throw new EqpError('EQP_ERR_BAD_INPUT', [`${field}.${b}`, `expected ${width} values (${what}), got ${r.length}`])
        out.set(r, b * width)
      })
      return out
    }
    const req: RelaxRequest = {
      batch: B,
      inputs: flat(body.inputs, clampable.length, 'inputs', 'one per clampable node'),
      phase: body.phase,
      start: body.start.kind === 'given' ? { kind: 'given', states: flat(body.start.states, n, 'start.states', 'one phase per node') } : body.start,
      budget: body.maxEvals ? { maxEvals: body.maxEvals } : undefined,
    }
    if (body.phase === 'nudged' && !body.nudge) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge', 'the nudged phase needs a nudge'])
    if (body.phase === 'free' && body.nudge) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge', "only with phase 'nudged'"])
    if (body.nudge?.kind === 'cost') req.nudge = { kind: 'cost', cost: 'log-cos', beta: body.nudge.beta, targets: flat(body.nudge.targets, nudgeable.length, 'nudge.targets', 'one per nudgeable node') }
    else if (body.nudge?.kind === 'force') req.nudge = { kind: 'force', force: flat(body.nudge.force, n, 'nudge.force', 'one per node') }
    this.checkFree(h)
    const r = await this.exclusive(h, async () => {
      this.checkFree(h)
      return this.counted(h, () => relaxInSlices(h.sub, req), B)
    })
    const phases: number[][] = []
    for (let b = 0; b < B; b++) phases.push(Array.from(r.states.subarray(b * n, (b + 1) * n)))
    return { phases, energy: Array.from(r.energy), settled: Array.from(r.settled, (s) => s === 1), steps: Array.from(r.steps), timeS: r.timeS }
  }

  private async counted(h: DeviceHandle, fn: () => Promise<RelaxResult>, samples: number): Promise<RelaxResult> {
    const r = await fn()
    h.stats.relaxCalls++
    h.stats.relaxSamples += samples
    this.telemetry.relaxed(samples)
    return r
  }

  /**
   * Identifies an XY device (409 while a run holds it): probes it around its current parameters, which
   * it is left at, and returns the fit and the twin network (docs/how-to/digital-twin.md).
   */
  async identify(id: string, opts: IdentifyOptionsInput): Promise<IdentifyView> {
    const h = this.handle(id)
    if (h.sub.info.model !== 'xy') throw new EqpError('EQP_ERR_BAD_INPUT', ['id', `identification fits XY boards; device '${id}' is ${h.sub.info.model}`])
    this.checkFree(h)
    const network = await this.currentNetwork(id)
    const guarded = <T>(fn: () => Promise<T>) => this.exclusive(h, async () => { this.checkFree(h); return fn() })
    const sub: Substrate = {
      info: h.sub.info,
      setParams: (p) => guarded(() => h.sub.setParams(p)),
      updateParams: (d) => guarded(() => h.sub.updateParams(d)),
      getParams: () => this.exclusive(h, () => h.sub.getParams()),
      relax: (req) => guarded(() => this.counted(h, () => h.sub.relax(req), req.batch)),
      close: async () => {},
    }
    const r = await identifyBoard(sub, network, opts)
    return { report: r.report, twin: r.twin }
  }

  /** Gives the device to a run; 409 naming the holder when another run has it. */
  lease(id: string, lease: Lease): void {
    const h = this.handle(id)
    if (h.lease && h.lease.run !== lease.run) throw new EqpError('EQP_ERR_DEVICE_LEASED', [id, holderText(h.lease)])
    h.lease = lease
  }

  leaseOf(id: string): Lease | null { return this.devices.get(id)?.lease ?? null }

  /** Ends a run's lease (no-op when the run does not hold it). */
  release(id: string, runId: string): void {
    const h = this.devices.get(id)
    if (h?.lease?.run === runId) h.lease = null
  }

  /** The network with the device's parameters as applied now (a run's starting point). */
  async currentNetwork(id: string): Promise<Network> {
    const h = this.handle(id)
    const p = paramsToJson(await this.exclusive(h, () => h.sub.getParams()))
    // an OIM has no psi: keep the description's (zeros)
    const psi = p.psi.length ? p.psi : h.description.bias?.psi ?? new Array<number>(h.description.nodes).fill(0)
    return { ...h.description, weights: p.weights, bias: { h: p.h, psi }, ...(p.s ? { shil: p.s } : {}) }
  }

  /** Stores the parameters a run left on the device, so a restart restores them. */
  async persistParams(id: string): Promise<void> {
    const h = this.devices.get(id)
    if (!h) return
    await this.store.devices.setParams(id, paramsToJson(await this.exclusive(h, () => h.sub.getParams())))
  }

  /** The device as a run sees it: calls serialised with route calls, relaxations counted. */
  substrateFor(id: string, runId: string): Substrate {
    const h = this.handle(id)
    const guard = () => { if (h.lease?.run !== runId) throw new EqpError('EQP_ERR_DEVICE_LEASED', [id, h.lease ? holderText(h.lease) : 'nobody (the run lost its lease)']) }
    return {
      info: h.sub.info,
      setParams: (p) => this.exclusive(h, async () => { guard(); return h.sub.setParams(p) }),
      updateParams: (d) => this.exclusive(h, async () => { guard(); return h.sub.updateParams(d) }),
      getParams: () => this.exclusive(h, () => h.sub.getParams()),
      relax: (req) => this.exclusive(h, async () => { guard(); return this.counted(h, () => h.sub.relax(req), req.batch) }),
      close: async () => {},
    }
  }

  async closeAll(): Promise<void> {
    for (const h of this.devices.values()) await this.exclusive(h, () => h.sub.close()).catch(() => {})
    this.devices.clear()
  }
}
