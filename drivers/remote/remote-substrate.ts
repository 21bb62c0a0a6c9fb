// A board behind the wire protocol, as an ordinary Substrate: the engine trains it unchanged. The
// host keeps the authoritative parameters (as applied) and re-writes them on every new session;
// a call interrupted by an unplug, a reboot or a watchdog trip starts over once the board is back,
// so it completes as if nothing happened (relaxations are deterministic, parameter writes are
// committed only when every chunk was applied).
import { arrayCapacity, CAPABILITY, COSTS, planChunks, PROTOCOL, type MessageName } from '../../firmware-protocol/ts/index.ts'
import { EqpError } from '../../src/errors.ts'
import {
  relaxPhases, type LearnRule, type LearnStepRequest, type LearnStepResult, type OnBoardLearner, type Params, type PhaseStepRequest, type PhaseStepResult,
  type RelaxRequest, type RelaxResult, type Start, type Substrate, type SubstrateInfo,
} from '../substrate.ts'
import type { Connector } from '../transports/transport.ts'
import { BoardConnection, type ConnectionOptions } from './connection.ts'
import type { DeviceStatus } from './diagnostics.ts'
import type { BoardDescription } from './handshake.ts'
import { ProtocolViolation, type Session } from './session.ts'
import { f32, isPhaseModel, stateFromWire, stateToWire } from './wire-values.ts'

export type RemoteOptions = ConnectionOptions

/** A RELAX start as the wire has it: the Substrate's, or (SPEC 6.5) the states the last free RELAX reported. */
type WireStart = Start | { kind: 'readout' }

/** What the board holds per sample slot, so unchanged clamps and targets are not sent again. */
interface SlotCache { clamps: Int16Array | null; targets: Int16Array | null }

/** Connects to a board and returns it as a Substrate once the first handshake is done. */
export async function openRemoteSubstrate(connector: Connector, where: string, opts: RemoteOptions = {}): Promise<RemoteSubstrate> {
  const conn = new BoardConnection(connector, where, opts)
  const sub = new RemoteSubstrate(conn)
  await conn.open()
  return sub
}

/** The remote driver: a Substrate over a BoardConnection. */
export class RemoteSubstrate implements Substrate {
  private auth: Float64Array | null = null
  private slots: SlotCache[] = []
  private slotSession: Session | null = null
  private last: { session: Session; batch: number; states: Float64Array } | null = null
  private infoCache: SubstrateInfo | null = null
  /** the board changed its parameters itself (LEARN_COMMIT) since auth was last read */
  private authStale = false
  /** the rule sent with LEARN_CONFIG, and the session it holds in (HELLO forgets it) */
  private learnRule: { session: Session; rule: LearnRule } | null = null
  /** a learning step began and did not commit: the board may hold part of its update */
  private learnOpen = false
  private readonly learnerImpl: OnBoardLearner = {
    learnStep: (req) => this.learnStep(req),
    discard: () => this.connection.run(async (s) => { await s.call('LEARN_DISCARD', {}); this.learnOpen = false }),
  }

  constructor(readonly connection: BoardConnection) {
    connection.restore = (s, how) => this.restore(s, how.initial)
  }

  get info(): SubstrateInfo {
    this.infoCache ??= toInfo(this.connection.description)
    return this.infoCache
  }

  /** On-board learning (SPEC 13), when the board announces it. */
  get learner(): OnBoardLearner | undefined {
    return this.info.onBoardLearning ? this.learnerImpl : undefined
  }

  /** Connection state, diagnostics and counters. */
  status(): DeviceStatus { return this.connection.status() }
  onStatus(cb: (s: DeviceStatus) => void): void { this.connection.onStatus(cb) }

  private get d(): BoardDescription { return this.connection.description }

  async setParams(p: Params): Promise<Params> {
    const ranges = this.paramRanges(p, 'setParams')
    return this.connection.run(async (s) => {
      await this.freshAuth(s)
      const applied = this.auth!.slice()
      const per = this.writeChunk(s, 'SET_PARAMS', ranges)
      await Promise.all(ranges.map((r) => this.writeRange(s, 'SET_PARAMS', r.offset, r.values, applied, per)))
      this.auth = applied
      return this.toParams(applied)
    })
  }

  async updateParams(delta: Params): Promise<Params> {
    const ranges = this.paramRanges(delta, 'updateParams')
    return this.connection.run(async (s) => {
      await this.freshAuth(s)
      const applied = this.auth!.slice()
      const per = this.writeChunk(s, 'UPDATE_PARAMS', ranges)
      await Promise.all(ranges.map((r) => this.writeRange(s, 'UPDATE_PARAMS', r.offset, r.values, applied, per)))
      this.auth = applied
      return this.toParams(applied)
    })
  }

  async getParams(): Promise<Params> {
    return this.connection.run(async (s) => {
      this.auth = await this.readParams(s)
      this.authStale = false
      return this.toParams(this.auth)
    })
  }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    const t0 = performance.now()
    this.checkRequest(req)
    const r = await this.connection.run((s) => this.relaxOn(s, req))
    return { ...r, timeS: (performance.now() - t0) / 1000 }
  }

  close(): Promise<void> { return this.connection.close() }

  // ---- parameters ----------------------------------------------------------------------------------

  /** Runs on every new session: reads the parameters the first time, re-writes them after that. */
  private async restore(s: Session, initial: boolean): Promise<void> {
    this.slots = []
    if (initial || this.auth === null) {
      this.auth = await this.readParams(s)
      return
    }
    if (this.authStale) {
      // the board learned since the host last read its parameters: they are the authority unless the
      // board lost them (boot and the safe state zero every parameter, SPEC 7.2); then the host's last
      // read copy is rewritten and the updates committed after that read are lost
      const onBoard = await this.readParams(s)
      this.authStale = false
      if (onBoard.some((v) => v !== 0)) { this.auth = onBoard; return }
    }
    const scratch = this.auth.slice()
    await this.writeRange(s, 'SET_PARAMS', 0, this.auth, scratch)
    this.connection.counters.paramRewrites++
  }

  /** Reads the parameters back when the board changed them itself, so writes start from its values. */
  private async freshAuth(s: Session): Promise<void> {
    if (!this.authStale) return
    this.auth = await this.readParams(s)
    this.authStale = false
  }

  private total(): number {
    const d = this.d.device
    return d.edgeCount + (d.capabilities & CAPABILITY.bias ? 2 * d.nodeCount : 0)
  }

  private async readParams(s: Session): Promise<Float64Array> {
    const total = this.total()
    const out = new Float64Array(total)
    // chunk counts are the host's own (SPEC 6.2 formula), so every chunk can go out before the first answer
    const calls = new Pipeline()
    for (const c of planChunks(total, arrayCapacity('PARAMS', this.d.device.maxFrame))) {
      calls.add(s.call('GET_PARAMS', { offset: c.offset, count: c.count }).then((r) => {
        if (r.offset !== c.offset || r.total !== total || r.values.length !== c.count) throw new ProtocolViolation(`PARAMS chunk at ${r.offset} (total ${r.total}, ${r.values.length} values) is not the [${c.offset}, +${c.count}) of ${total} asked for`)
        out.set(r.values, c.offset)
      }))
    }
    await calls.done()
    return out
  }

  /** Values per chunk that fit the command and its PARAMS reply in the session's frame limit. */
  private writeCapacity(cmd: 'SET_PARAMS' | 'UPDATE_PARAMS'): number {
    const mf = this.d.device.maxFrame
    return Math.min(arrayCapacity(cmd, mf), arrayCapacity('PARAMS', mf))
  }

  /**
   * Values per chunk of a parameter write. With a window, up to one window's worth of chunks: the
   * board answers each chunk as it arrives, so the write ends one chunk's reply after its last byte
   * is in, and smaller chunks shorten that tail (at 921600 baud a full 1 kB reply is 11 ms of a
   * training step); without a window every chunk costs a round trip, so they are as large as fit.
   */
  private writeChunk(s: Session, cmd: 'SET_PARAMS' | 'UPDATE_PARAMS', ranges: { values: ArrayLike<number> }[]): number {
    const cap = this.writeCapacity(cmd)
    // each range rounds its chunk count up, so w - ranges chunks of this size keep the whole write
    // within the window (one more would wait for the first reply)
    const room = s.pipelineWindow - ranges.length
    if (room < 1) return cap
    let total = 0
    for (const r of ranges) total += r.values.length
    // below a quarter of a full frame the frames' own overhead outweighs the shorter tail
    return Math.min(cap, Math.max(Math.ceil(cap / 4), Math.ceil(total / room)))
  }

  private async writeRange(s: Session, cmd: 'SET_PARAMS' | 'UPDATE_PARAMS', offset: number, values: ArrayLike<number>, applied: Float64Array, per = this.writeCapacity(cmd)): Promise<void> {
    // equal chunks, so no range ends in a sliver that costs a frame of its own
    const n = Math.max(1, Math.ceil(values.length / per))
    const calls = new Pipeline()
    for (const c of planChunks(values.length, Math.max(1, Math.ceil(values.length / n)))) {
      const chunk = Array.from({ length: c.count }, (_, k) => values[c.offset + k])
      const at = offset + c.offset
      const sent = cmd === 'SET_PARAMS' ? s.call(cmd, { offset: at, values: chunk }) : s.call(cmd, { offset: at, deltas: chunk })
      calls.add(sent.then((r) => {
        if (r.offset !== at || r.values.length !== c.count) throw new ProtocolViolation(`PARAMS reply covers [${r.offset}, +${r.values.length}) for a write of [${at}, +${c.count})`)
        applied.set(r.values, at)
      }))
    }
    await calls.done()
  }

  private paramRanges(p: Params, what: string): { offset: number; values: Float64Array }[] {
    const { edgeCount: m, nodeCount: n } = this.d.device
    const bias = this.info.hasBias
    if (p.weights.length !== m) throw new EqpError('EQP_ERR_BAD_INPUT', [`${what}.weights`, `expected ${m} values, got ${p.weights.length}`])
    if (p.s) throw new EqpError('EQP_ERR_DEVICE_UNSUPPORTED', [this.info.uid, 'second-harmonic injection (an oim parameter)'])
    const out = [{ offset: 0, values: p.weights }]
    for (const [k, v, off] of [['h', p.h, m], ['psi', p.psi, m + n]] as const) {
      if (!v) continue
      if (!bias) throw new EqpError('EQP_ERR_DEVICE_UNSUPPORTED', [this.info.uid, 'bias fields'])
      if (v.length !== n) throw new EqpError('EQP_ERR_BAD_INPUT', [`${what}.${k}`, `expected ${n} values, got ${v.length}`])
      out.push({ offset: off, values: v })
    }
    for (const r of out) {
      const bad = r.values.findIndex((x) => !Number.isFinite(x))
      if (bad >= 0) throw new EqpError('EQP_ERR_BAD_INPUT', [`${what}`, `parameter ${r.offset + bad} is not finite`])
    }
    return out
  }

  private toParams(a: Float64Array): Params {
    const { edgeCount: m, nodeCount: n } = this.d.device
    if (!this.info.hasBias) return { weights: a.slice(0, m) }
    return { weights: a.slice(0, m), h: a.slice(m, m + n), psi: a.slice(m + n, m + 2 * n) }
  }

  // ---- relaxation ----------------------------------------------------------------------------------

  private checkRequest(req: RelaxRequest): void {
    const info = this.info
    const B = req.batch, n = info.nodes, nIn = info.clampable.length, nOut = info.nudgeable.length
    const caps = this.d.device.capabilities
    if (!Number.isInteger(B) || B < 1) throw new EqpError('EQP_ERR_BAD_INPUT', ['batch', `expected a whole number >= 1, got ${B}`])
    if (B > info.maxBatch) throw new EqpError('EQP_ERR_DEVICE_BATCH', [info.uid, B, info.maxBatch])
    if (req.inputs.length !== B * nIn) throw new EqpError('EQP_ERR_BAD_INPUT', ['inputs', `expected batch x ${nIn} = ${B * nIn} values, got ${req.inputs.length}`])
    if (req.phase === 'nudged') {
      const nu = req.nudge
      if (!nu) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge', 'the nudged phase needs a nudge'])
      if (nu.kind === 'cost') {
        if (!(this.d.device.costs & COSTS[nu.cost])) throw new EqpError('EQP_ERR_DEVICE_UNSUPPORTED', [info.uid, `the ${nu.cost} cost`])
        if (nu.targets.length !== B * nOut) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge.targets', `expected batch x ${nOut} values, got ${nu.targets.length}`])
        if (!Number.isFinite(nu.beta)) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge.beta', 'not finite'])
      } else {
        if (!(caps & CAPABILITY.forceVector)) throw new EqpError('EQP_ERR_DEVICE_UNSUPPORTED', [info.uid, 'an explicit nudge force'])
        if (nu.force.length !== B * n) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge.force', `expected batch x ${n} values, got ${nu.force.length}`])
        if (nu.force.some((v) => !Number.isFinite(v))) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge.force', 'not finite'])
      }
    }
    if (req.start.kind === 'given') {
      if (!(caps & CAPABILITY.givenStart)) throw new EqpError('EQP_ERR_DEVICE_UNSUPPORTED', [info.uid, 'given start states'])
      if (req.start.states.length !== B * n) throw new EqpError('EQP_ERR_BAD_INPUT', ['start.states', `expected batch x ${n} values, got ${req.start.states.length}`])
    }
    if (req.start.kind === 'previous' && (!this.last || this.last.batch !== B)) throw new EqpError('EQP_ERR_DEVICE_NO_PREVIOUS', [info.uid])
    for (const v of req.inputs) if (!Number.isFinite(v)) throw new EqpError('EQP_ERR_BAD_INPUT', ['inputs', 'not finite'])
  }

  private async relaxOn(s: Session, req: RelaxRequest): Promise<Omit<RelaxResult, 'timeS'>> {
    if (this.slotSession !== s) { this.slots = []; this.slotSession = s }
    // 'previous' needs the board's own memory of the last batch; after a new session it is gone, and
    // the states read back last time stand in for it
    let start: WireStart = req.start
    if (start.kind === 'previous' && this.last && this.last.session !== s) start = { kind: 'given', states: this.last.states }
    // the whole sequence goes out without waiting for each reply: the session keeps up to its window
    // in flight and the board runs them strictly in order (SPEC 5.3)
    const calls = new Pipeline()
    const r = this.queueRelax(s, calls, req, start)
    await calls.done()
    this.last = { session: s, batch: req.batch, states: r.states.slice() }
    return r
  }

  /**
   * A step's phases at once (Substrate.relaxPhases). On a board with capability readoutStart (SPEC 6.5)
   * each nudged RELAX starts from the states the free RELAX reports, so it goes out behind the free
   * phase's GET_STATE without waiting for them: the board relaxes the nudged phase while the free
   * states are on the line, and no SET_START is sent. The board starts from exactly what a SET_START
   * of the reported states would give, so the results are those of relax() phase by phase.
   */
  async relaxPhases(req: PhaseStepRequest): Promise<PhaseStepResult> {
    if (!(this.d.device.capabilities & CAPABILITY.readoutStart)) return relaxPhases({ info: this.info, relax: (r: RelaxRequest) => this.relax(r) } as Substrate, req)
    const t0 = performance.now()
    const base = { batch: req.batch, inputs: req.inputs, budget: req.budget }
    this.checkRequest({ ...base, phase: 'free', start: req.start })
    for (const nudge of req.nudges) this.checkRequest({ ...base, phase: 'nudged', nudge, start: { kind: 'random', seed: 0 } })
    const r = await this.connection.run(async (s) => {
      if (this.slotSession !== s) { this.slots = []; this.slotSession = s }
      let start: WireStart = req.start
      if (start.kind === 'previous' && this.last && this.last.session !== s) start = { kind: 'given', states: this.last.states }
      const calls = new Pipeline()
      const free = this.queueRelax(s, calls, { ...base, phase: 'free', start: req.start }, start)
      const nudged = req.nudges.map((nudge) => this.queueRelax(s, calls, { ...base, phase: 'nudged', nudge, start: req.start }, { kind: 'readout' }))
      await calls.done()
      const lastPhase = nudged.length > 0 ? nudged[nudged.length - 1] : free
      this.last = { session: s, batch: req.batch, states: lastPhase.states.slice() }
      return { free, nudged }
    })
    const timeS = (performance.now() - t0) / 1000
    return { free: { ...r.free, timeS }, nudged: r.nudged.map((x) => ({ ...x, timeS })) }
  }

  /** Queues one RELAX and what it needs (clamps, targets, force, start states) and its GET_STATE; the result fills as replies come. */
  private queueRelax(s: Session, calls: Pipeline, req: RelaxRequest, start: WireStart): Omit<RelaxResult, 'timeS'> {
    const info = this.info, dev = this.d.device
    const lsb = dev.stateLsb, phase = isPhaseModel(info.model), mf = dev.maxFrame
    const B = req.batch, n = info.nodes, nIn = info.clampable.length, nOut = info.nudgeable.length
    const nudge = req.phase === 'nudged' ? req.nudge! : undefined
    for (let b = 0; b < B; b++) {
      const slot = (this.slots[b] ??= { clamps: null, targets: null })
      const clamps = new Int16Array(nIn)
      for (let k = 0; k < nIn; k++) clamps[k] = stateToWire(req.inputs[b * nIn + k], lsb, phase)
      if (!sameValues(slot.clamps, clamps)) {
        // counted as on the board at once, so a phase queued behind this one does not send them again;
        // forgotten if the write fails
        slot.clamps = clamps
        const cap = arrayCapacity('CLAMP', mf)
        const chunks = planChunks(nIn, cap)
        const sent: Promise<unknown>[] = []
        if (chunks.length === 0) sent.push(calls.add(s.call('CLAMP', { sample: b, replace: true, clamps: [] })))
        for (const c of chunks) {
          const list = Array.from({ length: c.count }, (_, k) => ({ node: info.clampable[c.offset + k], value: clamps[c.offset + k] }))
          sent.push(calls.add(s.call('CLAMP', { sample: b, replace: c.offset === 0, clamps: list })))
        }
        calls.add(Promise.all(sent).catch((e) => { if (slot.clamps === clamps) slot.clamps = null; throw e }))
      }
      if (nudge?.kind === 'cost') {
        const t = new Int16Array(nOut)
        for (let k = 0; k < nOut; k++) t[k] = stateToWire(nudge.targets[b * nOut + k], lsb, phase)
        if (!sameValues(slot.targets, t)) {
          slot.targets = t
          calls.add(Promise.all(this.sendChunks(s, calls, 'SET_TARGETS', b, Array.from(t))).catch((e) => { if (slot.targets === t) slot.targets = null; throw e }))
        }
      } else if (nudge?.kind === 'force') {
        this.sendChunks(s, calls, 'SET_FORCE', b, Array.from(nudge.force.subarray(b * n, (b + 1) * n)))
      }
      if (start.kind === 'given') {
        const st = Array.from({ length: n }, (_, i) => stateToWire(start.states[b * n + i], lsb, phase))
        this.sendChunks(s, calls, 'SET_START', b, st)
      }
    }
    const budgetS = req.budget?.maxTimeS ?? 0
    calls.add(s.call('RELAX', {
      batch: B, phase: req.phase, nudge: nudge?.kind ?? 'cost', cost: nudge?.kind === 'cost' ? nudge.cost : 'log-cos', start: start.kind,
      beta: nudge?.kind === 'cost' ? f32(nudge.beta) : 0, seed: start.kind === 'random' ? start.seed >>> 0 : 0,
      budgetUs: Math.min(0xffffffff, Math.round(budgetS * 1e6)), maxSteps: Math.min(0xffffffff, req.budget?.maxEvals ?? 0),
    }, { budgetS }))
    const states = new Float64Array(B * n), energy = new Float64Array(B), settled = new Uint8Array(B), steps = new Float64Array(B)
    const cap = arrayCapacity('STATE', mf)
    for (let b = 0; b < B; b++) {
      for (const c of planChunks(n, cap)) {
        calls.add(s.call('GET_STATE', { sample: b, kind: 'nodes', offset: c.offset, count: c.count }).then((r) => {
          if (r.sample !== b || r.offset !== c.offset || r.total !== n || r.values.length !== c.count) throw new ProtocolViolation(`STATE chunk for sample ${r.sample} at ${r.offset} (${r.values.length} values) is not sample ${b} [${c.offset}, +${c.count})`)
          for (let k = 0; k < r.values.length; k++) states[b * n + c.offset + k] = stateFromWire(r.values[k], lsb)
          settled[b] = r.settled ? 1 : 0
          steps[b] = r.steps
          energy[b] = r.energy
        }))
      }
    }
    return { states, energy, settled, steps }
  }

  // ---- on-board learning (SPEC 13) ---------------------------------------------------------------------

  /** Samples per LEARN_FREE: the board's batch, and what one LEARN_FREE and one LEARN_OUTPUTS frame carry. */
  learnChunk(): number {
    const mf = this.d.device.maxFrame, nOut = this.info.nudgeable.length, per = this.info.clampable.length + nOut
    const fit = Math.min(Math.floor(arrayCapacity('LEARN_FREE', mf) / Math.max(1, per)), Math.floor(arrayCapacity('LEARN_OUTPUTS', mf) / Math.max(1, nOut)))
    return Math.max(1, Math.min(this.info.maxBatch, fit))
  }

  private async learnStep(req: LearnStepRequest): Promise<LearnStepResult> {
    const t0 = performance.now()
    const info = this.info, B = req.batch, nIn = info.clampable.length, nOut = info.nudgeable.length
    if (!info.onBoardLearning) throw new EqpError('EQP_ERR_DEVICE_UNSUPPORTED', [info.uid, 'on-board learning'])
    if (!Number.isInteger(B) || B < 1) throw new EqpError('EQP_ERR_BAD_INPUT', ['batch', `expected a whole number >= 1, got ${B}`])
    if (req.inputs.length !== B * nIn) throw new EqpError('EQP_ERR_BAD_INPUT', ['inputs', `expected batch x ${nIn} = ${B * nIn} values, got ${req.inputs.length}`])
    if (req.targets.length !== B * nOut) throw new EqpError('EQP_ERR_BAD_INPUT', ['targets', `expected batch x ${nOut} = ${B * nOut} values, got ${req.targets.length}`])
    const r = req.rule
    for (const k of ['eta', 'biasEta', 'beta'] as const) if (!Number.isFinite(r[k])) throw new EqpError('EQP_ERR_BAD_INPUT', [`rule.${k}`, 'not finite'])
    const res = await this.connection.run(async (s) => {
      const dev = this.d.device, lsb = dev.stateLsb, phase = isPhaseModel(info.model)
      const rule = this.learnRule
      if (!rule || rule.session !== s || !sameRule(rule.rule, r)) {
        // LEARN_CONFIG also drops whatever an abandoned step left accumulated
        await s.call('LEARN_CONFIG', { eta: f32(r.eta), biasEta: f32(r.biasEta), beta: f32(r.beta), estimator: r.estimator, cost: r.cost })
        this.learnRule = { session: s, rule: { ...r } }
      } else if (this.learnOpen) {
        await s.call('LEARN_DISCARD', {})
      }
      this.learnOpen = true
      const outputs = new Float64Array(B * nOut)
      let settled = 0, accumulated = 0
      const chunk = this.learnChunk()
      const budgetS = req.budget?.maxTimeS ?? 0
      const budget = { budgetUs: Math.min(0xffffffff, Math.round(budgetS * 1e6)), maxSteps: Math.min(0xffffffff, req.budget?.maxEvals ?? 0) }
      for (let a = 0; a < B; a += chunk) {
        const e = Math.min(B, a + chunk)
        // inputs and targets travel in the LEARN_FREE frame itself, and replace what the slots held
        const samples: number[] = []
        if (this.slotSession !== s) { this.slots = []; this.slotSession = s }
        for (let b = a; b < e; b++) {
          const clamps = Int16Array.from(req.inputs.subarray(b * nIn, (b + 1) * nIn), (v) => stateToWire(v, lsb, phase))
          const targets = Int16Array.from(req.targets.subarray(b * nOut, (b + 1) * nOut), (v) => stateToWire(v, lsb, phase))
          samples.push(...clamps, ...targets)
          this.slots[b - a] = { clamps, targets }
        }
        const f = await s.call('LEARN_FREE', { batch: e - a, seed: (req.seed + a) >>> 0, ...budget, samples }, { budgetS })
        if (f.batch !== e - a || f.values.length !== (e - a) * nOut) throw new ProtocolViolation(`LEARN_OUTPUTS holds ${f.values.length} values of ${f.batch} samples for a LEARN_FREE of ${e - a}`)
        for (let k = 0; k < f.values.length; k++) outputs[a * nOut + k] = stateFromWire(f.values[k], lsb)
        settled += f.settled
        const nu = await s.call('LEARN_NUDGED', { batch: e - a, ...budget }, { budgetS })
        accumulated += nu.settled
      }
      await s.call('LEARN_COMMIT', {})
      this.learnOpen = false
      this.authStale = true
      return { outputs, settled, accumulated }
    })
    // the board's per-sample equilibria are now the learning relaxations': no 'previous' start from them
    this.last = null
    return { ...res, timeS: (performance.now() - t0) / 1000 }
  }

  /** Queues the chunks of one per-sample array; returns their calls. */
  private sendChunks(s: Session, calls: Pipeline, cmd: 'SET_TARGETS' | 'SET_FORCE' | 'SET_START', sample: number, values: number[]): Promise<unknown>[] {
    return planChunks(values.length, arrayCapacity(cmd as MessageName, this.d.device.maxFrame))
      .map((c) => calls.add(s.call(cmd, { sample, offset: c.offset, values: values.slice(c.offset, c.offset + c.count) })))
  }
}

function sameRule(a: LearnRule, b: LearnRule): boolean {
  return f32(a.eta) === f32(b.eta) && f32(a.biasEta) === f32(b.biasEta) && f32(a.beta) === f32(b.beta) && a.estimator === b.estimator && a.cost === b.cost
}

/** Calls issued without waiting for each reply; done() resolves when all are answered, rejects with the first failure. */
class Pipeline {
  private readonly calls: Promise<unknown>[] = []
  add<T>(p: Promise<T>): Promise<T> {
    // done() reports the failure; a call that fails after another already did must not go unhandled
    p.catch(() => {})
    this.calls.push(p)
    return p
  }
  async done(): Promise<void> { await Promise.all(this.calls) }
}

function sameValues(a: Int16Array | null, b: Int16Array): boolean {
  if (!a || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The SubstrateInfo a board's handshake describes. */
export function toInfo(d: BoardDescription): SubstrateInfo {
  const dev = d.device
  if (dev.model !== 'xy') throw new EqpError('EQP_ERR_DEVICE_UNSUPPORTED', [dev.uid, `the ${dev.model} model (this host trains xy boards)`])
  return {
    uid: dev.uid, model: dev.model, firmware: dev.firmware, protocol: `${PROTOCOL.name} ${PROTOCOL.major}.${dev.protoMinor}`,
    nodes: dev.nodeCount, edges: d.edges.map(([a, b]) => [a, b] as [number, number]), clampable: [...d.clampable], nudgeable: [...d.nudgeable],
    ranges: { coupling: { ...dev.coupling }, bias: { ...dev.bias } }, maxBatch: dev.maxBatch, reports: dev.reports,
    onBoardLearning: (dev.capabilities & CAPABILITY.onBoardLearning) !== 0, hasBias: (dev.capabilities & CAPABILITY.bias) !== 0,
  }
}
