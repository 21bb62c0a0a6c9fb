// Fixed-point node states: every state value on the wire is an i16 count of DEVICE_INFO.stateLsb
// (edge observables: of edgeLsb). Phase boards (xy, oim) use 2^-13 rad, so i16 spans +-4 rad.

/** The state unit of phase boards: 2^-13 rad (i16 range +-3.9999 rad covers (-pi, pi]). */
export const PHASE_LSB = 2 ** -13

/** Wraps an angle (rad) to (-pi, pi]. */
export function wrapPhase(x: number): number {
  const t = 2 * Math.PI
  let y = x - t * Math.floor(x / t)          // [0, 2pi)
  if (y > Math.PI) y -= t
  return y
}

/** A physical value (rad, V, ...) in i16 units of lsb: nearest, ties away from zero, clipped to int16. */
export function toFixed(x: number, lsb: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`cannot encode ${x} as fixed point`)
  if (!(lsb > 0)) throw new RangeError(`lsb must be positive, got ${lsb}`)
  const q = x / lsb
  const r = q < 0 ? -Math.round(-q) : Math.round(q)
  return r < -32768 ? -32768 : r > 32767 ? 32767 : r
}

/** An i16 wire value back in physical units. */
export function fromFixed(raw: number, lsb: number): number {
  return raw * lsb
}
