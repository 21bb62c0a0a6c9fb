// sin and cos of a whole phase vector in one pass. The relaxation loops are bound by trigonometry
// (two calls per node per force evaluation); one shared range reduction and two short Taylor
// polynomials are several times faster than Math.sin + Math.cos and as accurate (~1 ulp).

// pi/2 split so that k * PIO2_HI is exact for |k| < 2^20 (PIO2_HI keeps 33 significant bits)
const PIO2 = Math.PI / 2
const PIO2_HI = (() => {
  const f = new Float64Array([PIO2])
  const u = new BigUint64Array(f.buffer)
  u[0] &= ~((1n << 20n) - 1n)
  return f[0]
})()
const PIO2_MID = PIO2 - PIO2_HI // exact (Sterbenz), at most 20 significant bits
const PIO2_LO = 6.123233995736766e-17 // pi/2 - PIO2 (the double's rounding error)
const TWO_OVER_PI = 2 / Math.PI
const LIMIT = 1e5 // beyond this the cheap reduction loses digits: fall back to Math

// Taylor coefficients 1/(2k+1)! and 1/(2k)!; on |r| <= pi/4 the first omitted terms are < 1e-19
const S3 = -1 / 6, S5 = 1 / 120, S7 = -1 / 5040, S9 = 1 / 362880, S11 = -1 / 39916800
const S13 = 1 / 6227020800, S15 = -1 / 1307674368000, S17 = 1 / 355687428096000
const C2 = -1 / 2, C4 = 1 / 24, C6 = -1 / 720, C8 = 1 / 40320, C10 = -1 / 3628800
const C12 = 1 / 479001600, C14 = -1 / 87178291200, C16 = 1 / 20922789888000, C18 = -1 / 6402373705728000

/** The reduction constants and polynomial coefficients (lowest order first), for kernels that restate this pass. */
export const SINCOS_CONSTANTS = {
  LIMIT, TWO_OVER_PI, PIO2_HI, PIO2_MID, PIO2_LO,
  SIN: [S3, S5, S7, S9, S11, S13, S15, S17],
  COS: [C2, C4, C6, C8, C10, C12, C14, C16, C18],
} as const

/** cs[i] = cos(phi[off+i]), sn[i] = sin(phi[off+i]) for i < n (phases in rad). */
export function sinCosInto(phi: Float64Array, off: number, n: number, cs: Float64Array, sn: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const x = phi[off + i]
    if (!(x < LIMIT && x > -LIMIT)) { cs[i] = Math.cos(x); sn[i] = Math.sin(x); continue }
    // floor(v + 0.5), not Math.round: V8 compiles Math.round here into code twice as slow
    const k = Math.floor(x * TWO_OVER_PI + 0.5)
    const r = x - k * PIO2_HI - k * PIO2_MID - k * PIO2_LO
    const z = r * r
    const s = r + r * z * (S3 + z * (S5 + z * (S7 + z * (S9 + z * (S11 + z * (S13 + z * (S15 + z * S17)))))))
    const c = 1 + z * (C2 + z * (C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * (C14 + z * (C16 + z * C18))))))))
    switch (k & 3) {
      case 0: cs[i] = c; sn[i] = s; break
      case 1: cs[i] = -s; sn[i] = c; break
      case 2: cs[i] = -c; sn[i] = -s; break
      default: cs[i] = s; sn[i] = -c
    }
  }
}
