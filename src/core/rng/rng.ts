// Seeded PRNG (xoshiro128**) with a serialisable state, so a checkpoint can restore the exact stream.

/** A deterministic random stream; `state()` / `fromState()` round-trip it exactly. */
export class Rng {
  private s: Uint32Array
  private spare = NaN

  constructor(seed: number) {
    this.s = new Uint32Array(4)
    // splitmix32 expands one seed into four non-zero words
    let x = (seed >>> 0) ^ 0x9e3779b9
    for (let k = 0; k < 4; k++) {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      this.s[k] = (z ^ (z >>> 16)) >>> 0
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1
  }

  static fromState(st: readonly number[]): Rng {
    const r = new Rng(0)
    for (let k = 0; k < 4; k++) r.s[k] = st[k] >>> 0
    r.spare = st.length > 4 ? st[4] : NaN
    return r
  }

  /** The generator state as plain numbers (4 words, plus a cached normal deviate or NaN). */
  state(): number[] { return [this.s[0], this.s[1], this.s[2], this.s[3], this.spare] }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0
    const t = (s[1] << 9) >>> 0
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return r
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const a = this.nextU32() >>> 5, b = this.nextU32() >>> 6
    return (a * 67108864 + b) / 9007199254740992
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next() }

  /** Standard normal deviate (Box-Muller, pairs cached). */
  normal(): number {
    if (!Number.isNaN(this.spare)) { const v = this.spare; this.spare = NaN; return v }
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n) }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(a: T[] | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = a[i]; a[i] = a[j]; a[j] = t
    }
  }

  /** A seed for a child stream, drawn from this one. */
  fork(): number { return this.nextU32() }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0 }
