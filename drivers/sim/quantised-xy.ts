// The in-process XY simulator at a board's resolution: what "the same physics, same results" is
// measured against. It runs the very core the TS virtual board runs (XyBoardCore: f32 parameters
// after the board's clip/quantise, psi wrapped) and converts every value the way the wire does
// (states and clamps as i16 counts of stateLsb, phases wrapped; beta and forces as f32). So a run on
// a board over a link, faults and all, must end with exactly this substrate's parameters.
import { PHASE_LSB } from '../../firmware-protocol/ts/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { EqpError } from '../../src/errors.ts'
import { XyBoardCore, type XyBoardCoreOptions } from '../board/xy-board-core.ts'
import { f32, stateAtResolution } from '../remote/wire-values.ts'
import type { Params, RelaxRequest, RelaxResult, Substrate, SubstrateInfo } from '../substrate.ts'

export interface QuantisedXyOptions extends XyBoardCoreOptions {
  uid?: string
  maxBatch?: number
  /** state resolution (rad per i16 count); default 2^-13 like every phase board */
  stateLsb?: number
}

/** SimXy behind the wire's number formats; the reference for boards trained over a link. */
export class QuantisedXySubstrate implements Substrate {
  readonly info: SubstrateInfo
  readonly core: XyBoardCore
  private readonly lsb: number
  private prev: { batch: number; states: Float64Array } | null = null
  private closed = false

  constructor(network: Network, opts: QuantisedXyOptions = {}) {
    this.core = new XyBoardCore(network, opts)
    this.lsb = opts.stateLsb ?? PHASE_LSB
    const c = this.core
    this.info = {
      uid: opts.uid ?? `sim-xy-q-${c.n}n-${c.m}e`, model: 'xy', firmware: 'sim-xy at board resolution', protocol: 'in-process',
      nodes: c.n, edges: c.edges.map(([i, j]) => [i, j] as [number, number]), clampable: [...c.clampable], nudgeable: [...c.nudgeable],
      ranges: { coupling: c.coupling, bias: c.bias }, maxBatch: opts.maxBatch ?? 64, reports: 'states', onBoardLearning: false, hasBias: true,
    }
    const h = network.bias?.h ?? new Array<number>(c.n).fill(0), psi = network.bias?.psi ?? new Array<number>(c.n).fill(0)
    c.write(0, network.weights.map(f32))
    c.write(c.m, h.map(f32))
    c.write(c.m + c.n, psi.map(f32))
  }

  private check(): void {
    if (this.closed) throw new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid])
  }

  private apply(p: Params, what: string, op: 'write' | 'update'): Params {
    this.check()
    const { m, n } = this.core
    const parts: [Float64Array | undefined, number, number, string][] = [[p.weights, 0, m, 'weights'], [p.h, m, n, 'h'], [p.psi, m + n, n, 'psi']]
    for (const [v, , len, name] of parts) {
      if (v && v.length !== len) throw new EqpError('EQP_ERR_BAD_INPUT', [`${what}.${name}`, `expected ${len} values, got ${v.length}`])
      if (v?.some((x) => !Number.isFinite(x))) throw new EqpError('EQP_ERR_BAD_INPUT', [`${what}.${name}`, 'not finite'])
    }
    for (const [v, off] of parts) if (v) this.core[op](off, Array.from(v, f32))
    return this.read()
  }

  private read(): Params {
    const { m, n, params } = this.core
    return { weights: params.slice(0, m), h: params.slice(m, m + n), psi: params.slice(m + n, m + 2 * n) }
  }

  async setParams(p: Params): Promise<Params> { return this.apply(p, 'setParams', 'write') }
  async updateParams(d: Params): Promise<Params> { return this.apply(d, 'updateParams', 'update') }
  async getParams(): Promise<Params> { this.check(); return this.read() }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    this.check()
    const t0 = performance.now()
    const { n } = this.core
    const B = req.batch, nIn = this.info.clampable.length, nOut = this.info.nudgeable.length, lsb = this.lsb
    if (B > this.info.maxBatch) throw new EqpError('EQP_ERR_DEVICE_BATCH', [this.info.uid, B, this.info.maxBatch])
    if (req.inputs.length !== B * nIn) throw new EqpError('EQP_ERR_BAD_INPUT', ['inputs', `expected batch x ${nIn} = ${B * nIn} values, got ${req.inputs.length}`])
    if (req.start.kind === 'previous' && (!this.prev || this.prev.batch !== B)) throw new EqpError('EQP_ERR_DEVICE_NO_PREVIOUS', [this.info.uid])
    if (req.start.kind === 'given' && req.start.states.length !== B * n) throw new EqpError('EQP_ERR_BAD_INPUT', ['start.states', `expected batch x ${n} values, got ${req.start.states.length}`])
    const nudge = req.phase === 'nudged' ? req.nudge : undefined
    if (req.phase === 'nudged' && !nudge) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge', 'the nudged phase needs a nudge'])
    if (nudge?.kind === 'cost' && nudge.targets.length !== B * nOut) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge.targets', `expected batch x ${nOut} values, got ${nudge.targets.length}`])
    if (nudge?.kind === 'force' && nudge.force.length !== B * n) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge.force', `expected batch x ${n} values, got ${nudge.force.length}`])
    const q = (x: number) => stateAtResolution(x, lsb, true)
    // the budget is for the whole batch, as a board's budgetUs is
    const deadline = req.budget?.maxTimeS !== undefined ? t0 + req.budget.maxTimeS * 1000 : undefined
    const states = new Float64Array(B * n), exact = new Float64Array(B * n), energy = new Float64Array(B), settled = new Uint8Array(B), steps = new Float64Array(B)
    for (let b = 0; b < B; b++) {
      const clamps = Float64Array.from({ length: nIn }, (_, k) => q(req.inputs[b * nIn + k]))
      const start = req.start.kind === 'random' ? { kind: 'random' as const, seed: (req.start.seed + b) >>> 0 }
        : { kind: 'given' as const, states: req.start.kind === 'given' ? Float64Array.from({ length: n }, (_, i) => q((req.start as { states: Float64Array }).states[b * n + i])) : this.prev!.states.slice(b * n, (b + 1) * n) }
      const nu = nudge?.kind === 'cost' ? { kind: 'cost' as const, beta: f32(nudge.beta), targets: Float64Array.from({ length: nOut }, (_, k) => q(nudge.targets[b * nOut + k])) }
        : nudge?.kind === 'force' ? { kind: 'force' as const, force: Float64Array.from(nudge.force.subarray(b * n, (b + 1) * n), f32) } : undefined
      const r = (await this.core.relaxSample({ clamps, start, nudge: nu, maxEvals: req.budget?.maxEvals, deadline }))!
      for (let i = 0; i < n; i++) states[b * n + i] = q(r.state[i])
      exact.set(r.state, b * n)
      energy[b] = f32(r.energy)
      settled[b] = r.settled ? 1 : 0
      steps[b] = Math.min(r.steps, 0xffffffff)
    }
    // like the board, 'previous' continues from the exact physical state, not the readout
    this.prev = { batch: B, states: exact }
    return { states, energy, settled, steps, timeS: (performance.now() - t0) / 1000 }
  }

  async close(): Promise<void> { this.closed = true }
}
