// Real-board imperfections as simulator options, shared by every simulated phase substrate: readout
// quantisation, Langevin noise, fixed per-device coupling variation and slow coupling drift. All off
// by default, so a simulator without them behaves bit for bit as before.
import { z } from 'zod'
import { Rng } from '../../src/core/rng/rng.ts'
import { stateAtResolution } from '../remote/wire-values.ts'
import { applyRange, type Params, type Range } from '../substrate.ts'
import { EqpError } from '../../src/errors.ts'

export const Imperfections = z.strictObject({
  /** readout resolution: phases on 2^bits steps over (-pi, pi]; resistor voltages as 2^bits ADC codes over [-vMax, vMax) */
  readoutBits: z.int().min(1).max(16).optional(),
  /** Langevin noise: Euler-Maruyama at step dt for `time` model time units, sigma*sqrt(dt) per step */
  noise: z.strictObject({
    sigma: z.number().nonnegative(),
    dt: z.number().positive().default(0.05),
    time: z.number().positive().default(20),
  }).optional(),
  /** seeds the noise streams of relax calls that do not start from a random seed */
  noiseSeed: z.int().min(0).max(2 ** 32 - 1).default(0),
  /** relative std v of each coupling's fixed gain error: applied = set * (1 + v N(0, 1)) */
  variation: z.number().nonnegative().default(0),
  /** picks the device: the same seed gives the same gain errors */
  deviceSeed: z.int().min(0).max(2 ** 32 - 1).default(0),
  /** coupling drift per relax call: each coupling's offset takes a random-walk step of this std */
  drift: z.number().nonnegative().default(0),
})
export type Imperfections = z.infer<typeof Imperfections>

const DRIFT_STREAM = 0x9e3779b9

/**
 * The coupling path of one device: setpoint (after the board's clip/quantise) -> physical value
 * set * gain + offset, clipped to [min, max]. The gain errors are fixed at construction.
 */
export class CouplingPath {
  readonly gain: Float64Array
  readonly offset: Float64Array
  readonly active: boolean
  private readonly drift: number
  private readonly driftRng: Rng

  constructor(m: number, o: Pick<Imperfections, 'variation' | 'deviceSeed' | 'drift'>) {
    this.gain = new Float64Array(m).fill(1)
    this.offset = new Float64Array(m)
    this.drift = o.drift
    this.active = o.variation > 0 || o.drift > 0
    const rng = new Rng(o.deviceSeed)
    if (o.variation > 0) for (let k = 0; k < m; k++) this.gain[k] = 1 + o.variation * rng.normal()
    this.driftRng = new Rng((o.deviceSeed ^ DRIFT_STREAM) >>> 0)
  }

  /** Writes the physical couplings for the setpoints into out (identity when inactive). */
  apply(set: Float64Array, min: number, max: number, out: Float64Array): void {
    if (!this.active) { out.set(set); return }
    const g = this.gain, d = this.offset
    for (let k = 0; k < set.length; k++) {
      const v = set[k] * g[k] + d[k]
      out[k] = v < min ? min : v > max ? max : v
    }
  }

  /** One random-walk step of every offset; returns whether anything moved. */
  step(): boolean {
    if (this.drift === 0) return false
    for (let k = 0; k < this.offset.length; k++) this.offset[k] += this.drift * this.driftRng.normal()
    return true
  }
}

/** The readout step (rad) for a bit count: 2 pi / 2^bits. */
export const readoutLsb = (bits: number): number => (2 * Math.PI) / 2 ** bits

/** Rounds states in place to the readout grid, wrapped to (-pi, pi] (the wire's own rounding). */
export function quantiseReadout(states: Float64Array, bits: number): void {
  const lsb = readoutLsb(bits)
  for (let i = 0; i < states.length; i++) {
    const v = stateAtResolution(states[i], lsb, true)
    // -pi and pi are one phase; report it as pi so every value lies in (-pi, pi]
    states[i] = v < -Math.PI + 0.5 * lsb ? -v : v
  }
}

/** The voltage readout step (V) of a two's-complement ADC of `bits` bits over [-vMax, vMax): vMax / 2^(bits-1). */
export const voltageLsb = (bits: number, vMax: number): number => vMax / 2 ** (bits - 1)

/**
 * Rounds the unclamped entries of each n-node sample in place to the nearest ADC code (V), clipped to
 * the codes -2^(bits-1) .. 2^(bits-1) - 1; clamped entries are the host's source values, not readings.
 */
export function quantiseVoltages(states: Float64Array, n: number, clamped: Uint8Array, bits: number, vMax: number): void {
  const lsb = voltageLsb(bits, vMax), lo = -(2 ** (bits - 1)), hi = 2 ** (bits - 1) - 1
  for (let off = 0; off < states.length; off += n) {
    for (let i = 0; i < n; i++) {
      if (clamped[i]) continue
      const c = Math.round(states[off + i] / lsb)
      // + 0 turns code -0 (a small negative reading) into the 0 a board reports
      states[off + i] = (c < lo ? lo : c > hi ? hi : c) * lsb + 0
    }
  }
}

/** The noise stream of sample b: from the random-start seed when there is one, else from the call's seed. */
export function noiseStream(startSeed: number | null, callSeed: number, b: number): Rng {
  return new Rng(startSeed !== null ? (((startSeed + b) >>> 0) ^ 0x85ebca6b) >>> 0 : (callSeed + b) >>> 0)
}

/**
 * The full parameters a delta asks for: deltas move the coupling setpoints (what the host last asked
 * for; with variation or drift those differ from the physical couplings read back in `cur`), and add
 * to the node families. `setpoints` null: the couplings as read are the setpoints.
 */
export function addToSetpoints(cur: Params, setpoints: Float64Array | null, d: Params): Params {
  if (setpoints) cur.weights.set(setpoints)
  for (let k = 0; k < cur.weights.length; k++) cur.weights[k] += d.weights[k]
  for (const f of ['h', 'psi', 's'] as const) {
    const a = cur[f], b = d[f]
    if (a && b) for (let i = 0; i < a.length; i++) a[i] += b[i]
  }
  return cur
}

/** Refuses an update whose arrays do not match the network (m couplings, n nodes), naming the field, before anything changes. */
export function checkUpdateLengths(d: Params, m: number, n: number): void {
  if (d.weights.length !== m) throw new EqpError('EQP_ERR_BAD_INPUT', ['weights', `expected ${m} values, got ${d.weights.length}`])
  for (const f of ['h', 'psi', 's'] as const) {
    const v = d[f]
    if (v && v.length !== n) throw new EqpError('EQP_ERR_BAD_INPUT', [f, `expected ${n} values, got ${v.length}`])
  }
}

/** set[k] = the coupling range applied to set[k] + dw[k], in place: addToSetpoints without its copies, the same bits. */
export function addToSetpointsInPlace(set: Float64Array, dw: ArrayLike<number>, rc: Range): void {
  const m = set.length
  if (rc.levels < 2) {
    // applyRange without levels is a clip; inlined so no per-element call boxes its result
    const lo = rc.min, hi = rc.max
    for (let k = 0; k < m; k++) { const v = set[k] + dw[k]; set[k] = v < lo ? lo : v > hi ? hi : v }
  } else for (let k = 0; k < m; k++) set[k] = applyRange(set[k] + dw[k], rc)
}
