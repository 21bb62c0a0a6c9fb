// The XY force kernel as a WebAssembly module with f64x2 SIMD, built at run time by src/core/wasm/emit.ts.
// It computes exactly what sincos.ts and xyEnergyGrad compute in JS (same constants, same operations in
// the same order, no fused multiply-adds), so forces agree to the last bit. What it gains over the JS
// loops (and over the same math in scalar C at -O2): two nodes per instruction in the trig pass, the
// quadrant picked by bit masks instead of a 4-way branch that random phases mispredict, and memory
// accesses without per-access bounds checks. Each compiled network owns a small fixed-size memory that
// holds its arrays, so the JS side reads and writes the couplings and bias with no copies (only the
// phase vector goes in and the forces come out, one TypedArray.set each).
import { Body, F64, I32, V128, wasmModule } from '../wasm/emit.ts'
import { SINCOS_CONSTANTS } from './sincos.ts'

const PAGE = 65536

// opcodes used below (core, then SIMD after the 0xfd prefix)
const I32_LOAD = 0x28, F64_LOAD = 0x2b, F64_STORE = 0x39
const I32_ADD = 0x6a, I32_SHL = 0x74, I32_GE_U = 0x4f, I32_EQ = 0x46
const F64_ADD = 0xa0, F64_SUB = 0xa1, F64_MUL = 0xa2
const V_LOAD = 0x00, V_STORE = 0x0b
const V_NOT = 0x4d, V_AND = 0x4e, V_OR = 0x50, V_XOR = 0x51, V_BITSELECT = 0x52, V_ANY_TRUE = 0x53
const F64X2_LT = 0x49, F64X2_GT = 0x4a, F64X2_FLOOR = 0x75
const I64X2_SHL = 0xcb, I64X2_SHR_S = 0xcc
const F64X2_ADD = 0xf0, F64X2_SUB = 0xf1, F64X2_MUL = 0xf2, F64X2_ABS = 0xec, F64X2_NEG = 0xed, F64X2_PMAX = 0xf7
const F64X2_EXTRACT = 0x21, F64_MAX = 0xa5, RETURN = 0x0f

const SIGN = -(2n ** 63n)
/** Constants of the trig pass, each splatted into a 16-byte slot at address 16 * index of every kernel memory. */
const CONST_TABLE: readonly (number | bigint)[] = [
  SINCOS_CONSTANTS.LIMIT, -SINCOS_CONSTANTS.LIMIT, SINCOS_CONSTANTS.TWO_OVER_PI, 0.5,
  SINCOS_CONSTANTS.PIO2_HI, SINCOS_CONSTANTS.PIO2_MID, SINCOS_CONSTANTS.PIO2_LO,
  ...SINCOS_CONSTANTS.SIN, ...SINCOS_CONSTANTS.COS, 1, 6755399441055744, SIGN,
]

/** Pairs of nodes per trig iteration: independent chains interleaved, since one Horner chain is latency-bound. */
const UNROLL = 2
/** Node arrays are padded to this many nodes, so the unrolled trig pass may run past n. */
const NODE_PAD = 2 * UNROLL

/**
 * sincos(phi, cs, sn, hx, hy, out, bytes, mode) -> i32: cos and sin of the f64 values at phi[0 .. bytes)
 * into cs and sn; mode 1 also writes the bias torque hx*sn - hy*cs into out, mode 2 writes zeros there.
 * Returns nonzero when some phase lay outside (-LIMIT, LIMIT) (or was NaN): the caller redoes those with
 * Math.cos/Math.sin, as sincos.ts does. bytes is a multiple of 16 * UNROLL.
 */
function sincosBody(): Body {
  const K = SINCOS_CONSTANTS
  const b = new Body([I32, I32, I32, I32, I32, I32, I32, I32], [I32])
  const [phi, cs, sn, hx, hy, out, bytes, mode] = [0, 1, 2, 3, 4, 5, 6, 7]
  const p = b.local(I32), bad = b.local(V128)
  const U = [...Array(UNROLL).keys()]
  const lanes = U.map(() => ({
    x: b.local(V128), k: b.local(V128), r: b.local(V128), z: b.local(V128), ts: b.local(V128), tc: b.local(V128),
    s: b.local(V128), c: b.local(V128), kb: b.local(V128), sw: b.local(V128), vc: b.local(V128), vs: b.local(V128),
  }))
  // the constants are loaded from a table at the bottom of memory (CONST_TABLE): TurboFan turns a
  // v128.const into three instructions at every use, which made one iteration longer than the
  // out-of-order window and serialised the iterations
  const at = (v: number | bigint) => {
    const k = CONST_TABLE.findIndex((c) => Object.is(c, v))
    if (k < 0) throw new RangeError(`constant ${v} is not in the table`)
    return 16 * k
  }
  b.i64x2(0n).set(bad).i32(0).set(p)
  b.block().loop()
  b.get(p).get(bytes).op(I32_GE_U).brIf(1)
  U.forEach((u) => b.get(phi).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * u).set(lanes[u].x))
  for (const L of lanes) {
    // out of the cheap reduction's range, or NaN: flagged for the Math fallback
    b.get(L.x).v128At(at(K.LIMIT)).simd(F64X2_LT).get(L.x).v128At(at(-K.LIMIT)).simd(F64X2_GT).simd(V_AND).simd(V_NOT).get(bad).simd(V_OR).set(bad)
  }
  // k = floor(x * 2/pi + 0.5); r = x - k*HI - k*MID - k*LO (left to right, as in JS); z = r*r
  for (const L of lanes) b.get(L.x).v128At(at(K.TWO_OVER_PI)).simd(F64X2_MUL).v128At(at(0.5)).simd(F64X2_ADD).simd(F64X2_FLOOR).set(L.k)
  for (const L of lanes) {
    b.get(L.x).get(L.k).v128At(at(K.PIO2_HI)).simd(F64X2_MUL).simd(F64X2_SUB)
    b.get(L.k).v128At(at(K.PIO2_MID)).simd(F64X2_MUL).simd(F64X2_SUB)
    b.get(L.k).v128At(at(K.PIO2_LO)).simd(F64X2_MUL).simd(F64X2_SUB).tee(L.r)
    b.get(L.r).simd(F64X2_MUL).set(L.z)
  }
  // Horner from the innermost term out, t = coef + z * t: the same products and sums as the JS
  // expression (IEEE addition and multiplication commute exactly); the chains run interleaved
  const S = K.SIN, C = K.COS
  for (const L of lanes) { b.v128At(at(S[S.length - 1])).set(L.ts); b.v128At(at(C[C.length - 1])).set(L.tc) }
  for (let q = 0; q < C.length - 1; q++) {
    for (const L of lanes) {
      const qs = S.length - 2 - q, qc = C.length - 2 - q
      if (qs >= 0) b.get(L.ts).get(L.z).simd(F64X2_MUL).v128At(at(S[qs])).simd(F64X2_ADD).set(L.ts)
      b.get(L.tc).get(L.z).simd(F64X2_MUL).v128At(at(C[qc])).simd(F64X2_ADD).set(L.tc)
    }
  }
  for (const L of lanes) {
    // s = r + (r*z) * P(z); c = 1 + z * Q(z)
    b.get(L.r).get(L.r).get(L.z).simd(F64X2_MUL).get(L.ts).simd(F64X2_MUL).simd(F64X2_ADD).set(L.s)
    b.v128At(at(1)).get(L.z).get(L.tc).simd(F64X2_MUL).simd(F64X2_ADD).set(L.c)
  }
  for (const L of lanes) {
    // the low bits of k + 1.5*2^52 are k's two's complement bits: bit 0 swaps sin and cos,
    // bit 0 xor bit 1 negates cos, bit 1 negates sin (the quadrant switch of sincos.ts)
    b.get(L.k).v128At(at(6755399441055744)).simd(F64X2_ADD).set(L.kb)
    b.get(L.kb).i32(63).simd(I64X2_SHL).i32(63).simd(I64X2_SHR_S).set(L.sw)
    b.get(L.s).get(L.c).get(L.sw).simd(V_BITSELECT)
    b.get(L.kb).get(L.kb).i32(1).simd(I64X2_SHL).simd(V_XOR).i32(62).simd(I64X2_SHL).v128At(at(SIGN)).simd(V_AND).simd(V_XOR).set(L.vc)
    b.get(L.c).get(L.s).get(L.sw).simd(V_BITSELECT)
    b.get(L.kb).i32(62).simd(I64X2_SHL).v128At(at(SIGN)).simd(V_AND).simd(V_XOR).set(L.vs)
  }
  U.forEach((u) => {
    b.get(cs).get(p).op(I32_ADD).get(lanes[u].vc).memSimd(V_STORE, 4, 16 * u)
    b.get(sn).get(p).op(I32_ADD).get(lanes[u].vs).memSimd(V_STORE, 4, 16 * u)
  })
  b.get(mode).i32(1).op(I32_EQ).if()
  U.forEach((u) => {
    b.get(out).get(p).op(I32_ADD)
    b.get(hx).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * u).get(lanes[u].vs).simd(F64X2_MUL)
    b.get(hy).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * u).get(lanes[u].vc).simd(F64X2_MUL)
    b.simd(F64X2_SUB).memSimd(V_STORE, 4, 16 * u)
  })
  b.else()
  b.get(mode).i32(2).op(I32_EQ).if()
  U.forEach((u) => b.get(out).get(p).op(I32_ADD).i64x2(0n).memSimd(V_STORE, 4, 16 * u))
  b.end()
  b.end()
  b.get(p).i32(16 * UNROLL).op(I32_ADD).set(p)
  b.br(0)
  b.end().end()
  b.get(bad).simd(V_ANY_TRUE)
  return b
}

/**
 * edges(cs, sn, w, ei, ej, out, m): for each edge k, s = w_k (sn_i cs_j - cs_i sn_j) is added to
 * out_i and subtracted from out_j, in edge order (the JS loop of xyEnergyGrad).
 */
function edgesBody(): Body {
  const b = new Body([I32, I32, I32, I32, I32, I32, I32], [])
  const [cs, sn, w, ei, ej, out, m] = [0, 1, 2, 3, 4, 5, 6]
  const q = b.local(I32), end = b.local(I32), i = b.local(I32), j = b.local(I32), s = b.local(F64), oi = b.local(I32), oj = b.local(I32)
  b.i32(0).set(q).get(m).i32(2).op(I32_SHL).set(end)
  b.block().loop()
  b.get(q).get(end).op(I32_GE_U).brIf(1)
  b.get(ei).get(q).op(I32_ADD).mem(I32_LOAD, 2).i32(3).op(I32_SHL).set(i)
  b.get(ej).get(q).op(I32_ADD).mem(I32_LOAD, 2).i32(3).op(I32_SHL).set(j)
  b.get(w).get(q).get(q).op(I32_ADD).op(I32_ADD).mem(F64_LOAD, 3)
  b.get(sn).get(i).op(I32_ADD).mem(F64_LOAD, 3).get(cs).get(j).op(I32_ADD).mem(F64_LOAD, 3).op(F64_MUL)
  b.get(cs).get(i).op(I32_ADD).mem(F64_LOAD, 3).get(sn).get(j).op(I32_ADD).mem(F64_LOAD, 3).op(F64_MUL)
  b.op(F64_SUB).op(F64_MUL).set(s)
  b.get(out).get(i).op(I32_ADD).tee(oi).get(oi).mem(F64_LOAD, 3).get(s).op(F64_ADD).mem(F64_STORE, 3)
  b.get(out).get(j).op(I32_ADD).tee(oj).get(oj).mem(F64_LOAD, 3).get(s).op(F64_SUB).mem(F64_STORE, 3)
  b.get(q).i32(4).op(I32_ADD).set(q)
  b.br(0)
  b.end().end()
  return b
}

/**
 * finish(g, ext, mask, bytes, hasExt) -> f64: turns the gradient g into the force XySystem.force returns,
 * in place: -g (+ ext when hasExt) on free nodes, 0 on clamped ones (mask lanes all ones on free nodes),
 * and the largest |force|. pmax skips NaN as the JS loop's `if (a > mx)` does.
 */
function finishBody(): Body {
  const b = new Body([I32, I32, I32, I32, I32], [F64])
  const [g, ext, mask, bytes, hasExt] = [0, 1, 2, 3, 4]
  const p = b.local(I32), v = b.local(V128), mx = b.local(V128)
  b.i64x2(0n).set(mx).i32(0).set(p)
  b.block().loop()
  b.get(p).get(bytes).op(I32_GE_U).brIf(1)
  b.get(g).get(p).op(I32_ADD).memSimd(V_LOAD, 4).simd(F64X2_NEG).set(v)
  b.get(hasExt).if().get(v).get(ext).get(p).op(I32_ADD).memSimd(V_LOAD, 4).simd(F64X2_ADD).set(v).end()
  b.get(v).get(mask).get(p).op(I32_ADD).memSimd(V_LOAD, 4).simd(V_AND).set(v)
  b.get(g).get(p).op(I32_ADD).get(v).memSimd(V_STORE, 4)
  b.get(mx).get(v).simd(F64X2_ABS).simd(F64X2_PMAX).set(mx)
  b.get(p).i32(16).op(I32_ADD).set(p)
  b.br(0)
  b.end().end()
  b.get(mx).simd(F64X2_EXTRACT, 0).get(mx).simd(F64X2_EXTRACT, 1).op(F64_MAX)
  return b
}

/**
 * force(phi, cs, sn, hx, hy, out, bytes, mode, w, ei, ej, m, ext, mask, hasExt) -> f64: sincos, edges and
 * finish in one call (a call from JS costs more than the whole kernel on a 5x5 lattice). Returns -1
 * without running the edges when a phase needs the Math fallback.
 */
function forceBody(): Body {
  const b = new Body([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], [F64])
  const [phi, cs, sn, hx, hy, out, bytes, mode, w, ei, ej, m, ext, mask, hasExt] = [...Array(15).keys()]
  for (const a of [phi, cs, sn, hx, hy, out, bytes, mode]) b.get(a)
  b.call(0).if().f64(-1).op(RETURN).end()
  for (const a of [cs, sn, w, ei, ej, out, m]) b.get(a)
  b.call(1)
  for (const a of [out, ext, mask, bytes, hasExt]) b.get(a)
  b.call(2)
  return b
}

let compiled: WebAssembly.Module | null | undefined

/** An instance of the kernel over a fresh memory of `bytes` (the constant table at its start filled in). */
function kernelInstance(mod: WebAssembly.Module, bytes: number, what: string): { fn: Exports; buf: ArrayBuffer } {
  const pages = Math.max(1, Math.ceil(bytes / PAGE))
  if (pages > 65536) throw new RangeError(`${what} too large for a 32-bit wasm memory`)
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages })
  const fn = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as Exports
  const buf = memory.buffer
  CONST_TABLE.forEach((c, k) => {
    if (typeof c === 'bigint') new BigInt64Array(buf, 16 * k, 2).fill(c)
    else new Float64Array(buf, 16 * k, 2).fill(c)
  })
  return { fn, buf }
}

/** The compiled kernel module, or null where this engine has no WebAssembly SIMD. */
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      // function indices 0..3 in this order (forceBody calls the first three by index)
      compiled = new WebAssembly.Module(wasmModule([], [
        { name: 'sincos', body: sincosBody() }, { name: 'edges', body: edgesBody() },
        { name: 'finish', body: finishBody() }, { name: 'force', body: forceBody() },
      ]))
    } catch {
      compiled = null
    }
  }
  return compiled
}

interface Exports {
  sincos(phi: number, cs: number, sn: number, hx: number, hy: number, out: number, bytes: number, mode: number): number
  edges(cs: number, sn: number, w: number, ei: number, ej: number, out: number, m: number): void
  finish(g: number, ext: number, mask: number, bytes: number, hasExt: number): number
  force(phi: number, cs: number, sn: number, hx: number, hy: number, out: number, bytes: number, mode: number,
    w: number, ei: number, ej: number, m: number, ext: number, mask: number, hasExt: number): number
}

/**
 * The arrays of one compiled XY network, allocated in a wasm memory of their own (fixed size, so the
 * views never detach), plus the kernel instance bound to it. JS code uses the views like any typed array.
 */
export class XyWasmKernel {
  readonly w: Float64Array
  readonly ei: Uint32Array
  readonly ej: Uint32Array
  readonly hx: Float64Array
  readonly hy: Float64Array
  readonly cs: Float64Array
  readonly sn: Float64Array
  private readonly phi: Float64Array
  private readonly out: Float64Array
  private readonly ext: Float64Array
  /** all ones on free nodes, zero on clamped ones (set by setClamped) */
  private readonly mask: BigInt64Array
  private readonly at: { phi: number; cs: number; sn: number; hx: number; hy: number; out: number; ext: number; mask: number; w: number; ei: number; ej: number }
  private readonly fn: Exports
  private readonly pairBytes: number
  /** cs, sn hold the trig of the phases in phi (false until the first evaluation) */
  private trigFilled = false

  private constructor(mod: WebAssembly.Module, readonly n: number, readonly m: number) {
    // every node array is padded to a multiple of NODE_PAD, 16-byte aligned, so the SIMD pass may run past n
    const nodeBytes = 8 * NODE_PAD * Math.ceil(n / NODE_PAD), edgeF = 8 * m, edgeU = 16 * Math.ceil(m / 4)
    const at = { phi: 0, cs: 0, sn: 0, hx: 0, hy: 0, out: 0, ext: 0, mask: 0, w: 0, ei: 0, ej: 0 }
    let top = 16 * CONST_TABLE.length
    for (const key of ['phi', 'cs', 'sn', 'hx', 'hy', 'out', 'ext', 'mask'] as const) { at[key] = top; top += nodeBytes }
    at.w = top; top += 16 * Math.ceil(edgeF / 16)
    at.ei = top; top += edgeU
    at.ej = top; top += edgeU
    const { fn, buf } = kernelInstance(mod, top, 'network')
    this.fn = fn
    this.at = at
    this.phi = new Float64Array(buf, at.phi, n)
    this.out = new Float64Array(buf, at.out, n)
    this.ext = new Float64Array(buf, at.ext, n)
    this.mask = new BigInt64Array(buf, at.mask, n).fill(-1n)
    this.cs = new Float64Array(buf, at.cs, n)
    this.sn = new Float64Array(buf, at.sn, n)
    this.hx = new Float64Array(buf, at.hx, n)
    this.hy = new Float64Array(buf, at.hy, n)
    this.w = new Float64Array(buf, at.w, m)
    this.ei = new Uint32Array(buf, at.ei, m)
    this.ej = new Uint32Array(buf, at.ej, m)
    this.pairBytes = nodeBytes
  }

  /** A kernel for n nodes and m edges, or null where WebAssembly SIMD is not available. */
  static create(n: number, m: number): XyWasmKernel | null {
    const mod = kernelModule()
    if (!mod) return null
    try {
      return new XyWasmKernel(mod, n, m)
    } catch (e) {
      // beyond a 32-bit memory, or the engine refused the allocation: the JS loops do the same work
      if (e instanceof RangeError) return null
      throw e
    }
  }

  /** cs, sn = cos, sin of phi[off .. off+n) (rad), bit for bit as sinCosInto. */
  trig(phi: Float64Array, off: number): void {
    // A Hessian right after a force evaluation at the same state (every accepted step of the implicit
    // flow, every Newton step) finds cos and sin of that state already in cs, sn
    if (this.holds(phi, off)) return
    this.load(phi, off)
    const a = this.at
    if (this.fn.sincos(a.phi, a.cs, a.sn, a.hx, a.hy, a.out, this.pairBytes, 0) !== 0) this.fixRange(false)
  }

  /** dE/dphi into out[0..n) (xyEnergyGrad's contract); leaves cos/sin of phi in cs, sn. */
  grad(phi: Float64Array, off: number, out: Float64Array, hasBias: boolean): void {
    this.load(phi, off)
    const a = this.at
    if (this.fn.sincos(a.phi, a.cs, a.sn, a.hx, a.hy, a.out, this.pairBytes, hasBias ? 1 : 2) !== 0) this.fixRange(hasBias)
    this.fn.edges(a.cs, a.sn, a.w, a.ei, a.ej, a.out, this.m)
    if (out.length === this.n) out.set(this.out)
    else for (let i = 0; i < this.n; i++) out[i] = this.out[i]
  }

  /** Marks the clamped nodes (nonzero entries), whose force force() reports as 0. */
  setClamped(clamped: Uint8Array): void {
    for (let i = 0; i < this.n; i++) this.mask[i] = clamped[i] ? 0n : -1n
  }

  /**
   * XySystem.force without a cost nudge, in one call: f = -dE/dphi (+ ext[extOff ..] when ext is given)
   * on free nodes, 0 on clamped ones; returns max |f| (NaN forces are skipped, as in the JS loop).
   */
  force(phi: Float64Array, off: number, f: Float64Array, hasBias: boolean, ext: Float64Array | null, extOff: number): number {
    this.load(phi, off)
    const a = this.at, n = this.n
    if (ext !== null) {
      if (extOff === 0 && ext.length === n) this.ext.set(ext)
      else for (let i = 0; i < n; i++) this.ext[i] = ext[extOff + i]
    }
    const hasExt = ext !== null ? 1 : 0
    let mx = this.fn.force(a.phi, a.cs, a.sn, a.hx, a.hy, a.out, this.pairBytes, hasBias ? 1 : 2, a.w, a.ei, a.ej, this.m, a.ext, a.mask, hasExt)
    if (mx < 0) {
      this.fixRange(hasBias)
      this.fn.edges(a.cs, a.sn, a.w, a.ei, a.ej, a.out, this.m)
      mx = this.fn.finish(a.out, a.ext, a.mask, this.pairBytes, hasExt)
    }
    if (f.length === n) f.set(this.out)
    else for (let i = 0; i < n; i++) f[i] = this.out[i]
    return mx
  }

  private load(phi: Float64Array, off: number): void {
    if (off === 0 && phi.length === this.n) this.phi.set(phi)
    else for (let i = 0, n = this.n; i < n; i++) this.phi[i] = phi[off + i]
    // every caller of load() goes on to fill cs, sn from the phases it loaded
    this.trigFilled = true
  }

  /** True when cs, sn hold cos, sin of exactly phi[off .. off+n) (same bits; -0 is not 0, NaN never matches). */
  private holds(phi: Float64Array, off: number): boolean {
    if (!this.trigFilled) return false
    const p = this.phi
    for (let i = 0, n = this.n; i < n; i++) {
      const a = p[i], b = phi[off + i]
      if (a !== b || (a === 0 && 1 / a !== 1 / b)) return false
    }
    return true
  }

  /** Redoes the phases beyond the cheap reduction's range with Math.cos/Math.sin, as sincos.ts does. */
  private fixRange(bias: boolean): void {
    const { phi, cs, sn, hx, hy, out } = this, L = SINCOS_CONSTANTS.LIMIT
    for (let i = 0; i < this.n; i++) {
      const x = phi[i]
      if (x < L && x > -L) continue
      cs[i] = Math.cos(x); sn[i] = Math.sin(x)
      if (bias) out[i] = hx[i] * sn[i] - hy[i] * cs[i]
    }
  }
}

/**
 * cos and sin of up to `capacity` values with the trig pass of the XY kernel, bit for bit as
 * sinCosInto: phi, cs and sn are views into a wasm memory of its own, so a caller that builds its
 * phases in phi copies nothing in or out.
 */
export class SinCosWasm {
  readonly phi: Float64Array
  readonly cs: Float64Array
  readonly sn: Float64Array
  private readonly fn: Exports
  private readonly at: { phi: number; cs: number; sn: number }

  private constructor(mod: WebAssembly.Module, readonly capacity: number) {
    const bytes = 8 * NODE_PAD * Math.ceil(Math.max(1, capacity) / NODE_PAD)
    let top = 16 * CONST_TABLE.length
    const at = { phi: top, cs: top + bytes, sn: top + 2 * bytes }
    top += 3 * bytes
    const { fn, buf } = kernelInstance(mod, top, 'vector')
    this.fn = fn
    this.at = at
    this.phi = new Float64Array(buf, at.phi, capacity)
    this.cs = new Float64Array(buf, at.cs, capacity)
    this.sn = new Float64Array(buf, at.sn, capacity)
  }

  /** A trig pass for up to `capacity` values, or null where WebAssembly SIMD (or the memory) is not available. */
  static create(capacity: number): SinCosWasm | null {
    const mod = kernelModule()
    if (!mod) return null
    try {
      return new SinCosWasm(mod, capacity)
    } catch (e) {
      if (e instanceof RangeError) return null
      throw e
    }
  }

  /** cs, sn = cos, sin of phi[0 .. n) (rad), n <= capacity; entries past n up to the pad are overwritten too. */
  run(n: number): void {
    if (n <= 0) return
    const bytes = 8 * NODE_PAD * Math.ceil(n / NODE_PAD), a = this.at
    // mode 0 reads and writes only phi, cs, sn: the bias arguments are never touched
    if (this.fn.sincos(a.phi, a.cs, a.sn, a.phi, a.phi, a.phi, bytes, 0) === 0) return
    const { phi, cs, sn } = this, L = SINCOS_CONSTANTS.LIMIT
    for (let i = 0; i < n; i++) {
      const x = phi[i]
      if (x < L && x > -L) continue
      cs[i] = Math.cos(x); sn[i] = Math.sin(x)
    }
  }
}
