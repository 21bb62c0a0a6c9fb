// The substrate behind a board, as its firmware sees it: parameters stored as f32 after the board's
// clip and quantise (psi wrapped), node states in and out as the wire carries them. The TS virtual
// board runs it behind the protocol; QuantisedXySubstrate runs the same core in-process, which is the
// reference "in-process simulator at the board's readout resolution".
import { wrapPhase } from '../../firmware-protocol/ts/index.ts'
import { Network } from '../../src/core/network/network.ts'
import { SOLVER_NAMES, type SolverName } from '../../src/core/solvers/system.ts'
import { SimXySubstrate } from '../sim/xy.ts'
import { applyRange, type Range } from '../substrate.ts'

/** A range as a board announces it on the wire: bounds rounded to f32. */
export function f32Range(r: Range): Range {
  return { min: Math.fround(r.min), max: Math.fround(r.max), levels: r.levels }
}

/** The virtual board's relaxation solver unless told otherwise; `train --device sim-wire` relaxes with it too. */
export const BOARD_SOLVER: SolverName = 'flow-newton'

export interface XyBoardCoreOptions {
  coupling?: Range
  bias?: Range
  solver?: SolverName
  /** settle when max |force| < tol */
  tol?: number
  /** default force-evaluation budget per sample */
  maxEvals?: number
}

export interface SampleJob {
  /** clamp value (rad) per clampable node, in clampable order; NaN = this node is not clamped */
  clamps: Float64Array
  start: { kind: 'random'; seed: number } | { kind: 'given'; states: Float64Array }
  nudge?: { kind: 'cost'; beta: number; targets: Float64Array } | { kind: 'force'; force: Float64Array }
  /** step budget for the sample (force evaluations); default the core's maxEvals */
  maxEvals?: number
  /** wall-time deadline (performance.now() ms); checked before each slice */
  deadline?: number
  /**
   * Runs between slices, so a board can service its link; resolves false to abandon the sample
   * (HELLO or STOP arrived). Without it the slices run back to back.
   */
  between?: () => Promise<boolean>
}

export interface SampleResult {
  /** equilibrium (rad), not wrapped */
  state: Float64Array
  settled: boolean
  /** force evaluations */
  steps: number
  /** internal energy E (without the nudge) */
  energy: number
}

// the board applies its own ranges; the simulator inside must not clip a second time
const OPEN: Range = { min: -Number.MAX_VALUE, max: Number.MAX_VALUE, levels: 0 }

/** An XY board's substrate: f32 parameter store with ranges, and one-sample relaxations. */
export class XyBoardCore {
  readonly n: number
  readonly m: number
  /** parameter count: E couplings, N bias strengths h, N bias directions psi (SPEC 6.3) */
  readonly total: number
  readonly edges: readonly (readonly [number, number])[]
  readonly clampable: readonly number[]
  readonly nudgeable: readonly number[]
  readonly coupling: Range
  readonly bias: Range
  /** parameters as applied (every value an f32) */
  readonly params: Float64Array
  readonly solver: SolverName
  readonly tol: number
  readonly maxEvals: number
  private readonly network: Network
  private readonly sims = new Map<string, { sim: SimXySubstrate; version: number }>()
  private version = 0

  constructor(network: Network, opts: XyBoardCoreOptions = {}) {
    this.network = Network.parse(network)
    this.n = this.network.nodes
    this.m = this.network.edges.length
    this.total = this.m + 2 * this.n
    this.edges = this.network.edges.map(([i, j]) => [i, j] as const)
    this.clampable = [...this.network.inputs]
    this.nudgeable = [...this.network.outputs]
    this.coupling = f32Range(opts.coupling ?? { min: -8, max: 8, levels: 0 })
    this.bias = f32Range(opts.bias ?? { min: -8, max: 8, levels: 0 })
    this.solver = opts.solver ?? BOARD_SOLVER
    if (!SOLVER_NAMES.includes(this.solver)) throw new RangeError(`unknown solver '${this.solver}'`)
    this.tol = opts.tol ?? 1e-6
    this.maxEvals = opts.maxEvals ?? 20_000
    this.params = new Float64Array(this.total)
  }

  /** The value parameter `index` takes when written as v (finite): clipped, quantised, psi wrapped, f32. */
  boardValue(index: number, v: number): number {
    const x = index < this.m ? applyRange(v, this.coupling) : index < this.m + this.n ? applyRange(v, this.bias) : wrapPhase(v)
    return Math.fround(x)
  }

  /** SET_PARAMS: writes values (already f32) at offset; the caller has checked range and finiteness. */
  write(offset: number, values: ArrayLike<number>): void {
    for (let k = 0; k < values.length; k++) this.params[offset + k] = this.boardValue(offset + k, values[k])
    this.version++
  }

  /** UPDATE_PARAMS: adds deltas (already f32) to the stored values, then applies the ranges. */
  update(offset: number, deltas: ArrayLike<number>): void {
    for (let k = 0; k < deltas.length; k++) this.params[offset + k] = this.boardValue(offset + k, this.params[offset + k] + deltas[k])
    this.version++
  }

  /** The safe state and boot: every parameter 0. */
  zero(): void {
    this.params.fill(0)
    this.version++
  }

  /**
   * Relaxes one sample in slices of at most maxEvals force evaluations (the default budget), each
   * continuing from where the last stopped, until it settles, its step budget or deadline is spent,
   * or `between` says stop (then null). A relaxation within the default budget is one slice, so the
   * slicing changes no result that an unsliced run would give; the C firmware slices the same way.
   */
  async relaxSample(job: SampleJob): Promise<SampleResult | null> {
    const budget = job.maxEvals ?? this.maxEvals
    let start = job.start, steps = 0
    for (;;) {
      const allow = Math.min(this.maxEvals, budget - steps)
      const r = await this.relaxSlice(job, start, allow, job.deadline)
      steps += r.steps
      // settled, stopped short of its allowance (a singularity, or a deadline already past), or out of steps
      if (r.settled || r.steps < allow || steps >= budget) return { ...r, steps }
      if (job.between && !(await job.between())) return null
      if (job.deadline !== undefined && performance.now() >= job.deadline) return { ...r, steps }
      start = { kind: 'given', states: r.state }
    }
  }

  private async relaxSlice(job: SampleJob, start: SampleJob['start'], maxEvals: number, deadline: number | undefined): Promise<SampleResult> {
    const clamped: number[] = [], inputs: number[] = []
    this.clampable.forEach((node, k) => {
      if (!Number.isNaN(job.clamps[k])) { clamped.push(node); inputs.push(job.clamps[k]) }
    })
    const sim = await this.simFor(clamped)
    const nudge = job.nudge?.kind === 'cost' ? { kind: 'cost' as const, cost: 'log-cos' as const, beta: job.nudge.beta, targets: job.nudge.targets } : job.nudge
    const maxTimeS = deadline === undefined ? undefined : Math.max(0, (deadline - performance.now()) / 1000)
    const r = await sim.relax({
      batch: 1, inputs: Float64Array.from(inputs), phase: nudge ? 'nudged' : 'free', nudge, start,
      budget: { maxEvals, maxTimeS },
    })
    return { state: r.states, settled: r.settled[0] === 1, steps: r.steps[0], energy: r.energy[0] }
  }

  private async simFor(clamped: number[]): Promise<SimXySubstrate> {
    const key = clamped.join(',')
    let e = this.sims.get(key)
    if (!e) {
      const sim = new SimXySubstrate({ ...this.network, inputs: clamped }, { solver: this.solver, tol: this.tol, maxEvals: this.maxEvals, maxBatch: 1, coupling: OPEN, bias: OPEN })
      e = { sim, version: -1 }
      this.sims.set(key, e)
    }
    if (e.version !== this.version) {
      const { m, n, params: p } = this
      await e.sim.setParams({ weights: p.slice(0, m), h: p.slice(m, m + n), psi: p.slice(m + n, m + 2 * n) })
      e.version = this.version
    }
    return e.sim
  }
}
