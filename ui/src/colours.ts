// Colour scales of the maps: cyclic for phases (an angle and its wrap look alike), diverging for
// signed quantities (couplings, biases, responses) with white at zero.

/** CSS colour of a phase (rad) on a hue circle; -pi and pi are the same colour. */
export function phaseColour(phi: number): string {
  const turn = ((phi / (2 * Math.PI)) % 1 + 1) % 1
  return `hsl(${Math.round(turn * 360)}, 75%, 50%)`
}

/** CSS colour of v in [-max, max]: blue (negative), white (0), red (positive); grey for NaN. */
export function signedColour(v: number, max: number): string {
  if (!Number.isFinite(v)) return '#bbb'
  const x = max > 0 ? Math.max(-1, Math.min(1, v / max)) : 0
  const k = Math.round(255 * (1 - Math.abs(x)))
  return x >= 0 ? `rgb(255, ${k}, ${k})` : `rgb(${k}, ${k}, 255)`
}

/** The largest |v| of the finite values (1 when there are none or all are 0), the scale of signedColour. */
export function absMax(values: Iterable<number>): number {
  let m = 0
  for (const v of values) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v))
  return m > 0 ? m : 1
}

/** Line colours of the curves: run A, run B, and the second series of each. */
export const SERIES = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'] as const
