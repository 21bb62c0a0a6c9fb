// How host values become wire values and back (SPEC section 9): node states as i16 counts of the
// board's stateLsb (phases wrapped to (-pi, pi] first), everything else as f32. The remote driver and
// the in-process reference (QuantisedXySubstrate) both convert through these, so they agree bit for bit.
import { toFixed, wrapPhase } from '../../firmware-protocol/ts/index.ts'

/** Whether the model's node states are phases (wrapped before encoding). */
export function isPhaseModel(model: string): boolean {
  return model === 'xy' || model === 'oim'
}

/** A node state (rad or V) as the i16 the wire carries. */
export function stateToWire(x: number, lsb: number, phase: boolean): number {
  return toFixed(phase ? wrapPhase(x) : x, lsb)
}

/** An i16 wire state back in physical units. */
export function stateFromWire(raw: number, lsb: number): number {
  return raw * lsb
}

/** A node state as the host gets it back after a round trip through the wire. */
export function stateAtResolution(x: number, lsb: number, phase: boolean): number {
  return stateFromWire(stateToWire(x, lsb, phase), lsb)
}

/** A value as an f32 field carries it. */
export const f32 = Math.fround
