// Band Cholesky factorisations and solves of many systems at once, as a WebAssembly module with
// f64x2 SIMD built at run time (src/core/wasm/emit.ts) for one size n and half-bandwidth b. Systems
// sit in pairs, one per lane, and each lane does BandMatrix.cholesky / solveInPlace's operations in
// their order (IEEE lanes, no fused multiply-adds), so each system gets the same bits as alone. Rows
// go one by one across all the pairs asked for: a single small system is a chain of dependent
// divisions that leaves the core waiting, while the pairs' chains are independent and overlap. The
// loops over rows and over the band are unrolled, so every entry is a constant memory offset.
import { Body, I32, V128, wasmModule } from '../wasm/emit.ts'

const PAGE = 65536
const I32_LOAD = 0x28, I32_ADD = 0x6a, I32_MUL = 0x6c, I32_SHL = 0x74, I32_GE_U = 0x4f
const V_LOAD = 0x00, V_STORE = 0x0b, V_NOT = 0x4d, V_OR = 0x50, V_BITSELECT = 0x52
const F64X2_GT = 0x4a, F64X2_SQRT = 0xef, F64X2_SUB = 0xf1, F64X2_MUL = 0xf2, F64X2_DIV = 0xf3

/** Byte offset of band entry (i, j), j <= i, within one pair's factor block (16 bytes per entry). */
const entry = (i: number, j: number, b: number) => 16 * (i * (b + 1) - i + b + j)

/** Loops p over list[0 .. count) with q = list[p]; body(q) emits the work of pair q. */
function overPairs(f: Body, list: number, count: number, p: number, q: number, body: () => void): void {
  f.i32(0).set(p)
  f.block().loop()
  f.get(p).get(count).op(I32_GE_U).brIf(1)
  f.get(list).get(p).i32(2).op(I32_SHL).op(I32_ADD).mem(I32_LOAD, 2).set(q)
  body()
  f.get(p).i32(1).op(I32_ADD).set(p)
  f.br(0)
  f.end().end()
}

/**
 * factor(list, count, F, M, BAD): for the pairs list[0 .. count) (i32 indices), factors each pair's
 * block of F in place, lane by lane as BandMatrix.cholesky, storing only the lanes M[q] selects (all
 * ones); BAD[q] gets all ones in a lane whose matrix was not positive definite.
 */
function factorBody(n: number, b: number): Body {
  const f = new Body([I32, I32, I32, I32, I32], [])
  const [list, count, F, M, BAD] = [0, 1, 2, 3, 4]
  const p = f.local(I32), q = f.local(I32), fb = f.local(I32), mb = f.local(I32), s = f.local(V128), mask = f.local(V128), bad = f.local(V128)
  const size = 16 * n * (b + 1)
  overPairs(f, list, count, p, q, () => { f.get(BAD).get(q).i32(4).op(I32_SHL).op(I32_ADD).i64x2(0n).memSimd(V_STORE, 4) })
  for (let i = 0; i < n; i++) {
    const j0 = i - b > 0 ? i - b : 0
    overPairs(f, list, count, p, q, () => {
      f.get(F).get(q).i32(size).op(I32_MUL).op(I32_ADD).set(fb)
      f.get(q).i32(4).op(I32_SHL).set(mb)
      f.get(M).get(mb).op(I32_ADD).memSimd(V_LOAD, 4).set(mask)
      f.get(BAD).get(mb).op(I32_ADD).memSimd(V_LOAD, 4).set(bad)
      for (let j = j0; j <= i; j++) {
        const k0 = j - b > j0 ? j - b : j0
        f.get(fb).memSimd(V_LOAD, 4, entry(i, j, b)).set(s)
        for (let k = k0; k < j; k++) {
          f.get(s).get(fb).memSimd(V_LOAD, 4, entry(i, k, b)).get(fb).memSimd(V_LOAD, 4, entry(j, k, b)).simd(F64X2_MUL).simd(F64X2_SUB).set(s)
        }
        // the new entry where the mask selects the lane, the old one elsewhere
        f.get(fb)
        if (j === i) {
          f.get(s).f64x2(0).simd(F64X2_GT).simd(V_NOT).get(bad).simd(V_OR).set(bad)
          f.get(s).simd(F64X2_SQRT)
        } else {
          f.get(s).get(fb).memSimd(V_LOAD, 4, entry(j, j, b)).simd(F64X2_DIV)
        }
        f.get(fb).memSimd(V_LOAD, 4, entry(i, j, b)).get(mask).simd(V_BITSELECT).memSimd(V_STORE, 4, entry(i, j, b))
      }
      f.get(BAD).get(mb).op(I32_ADD).get(bad).memSimd(V_STORE, 4)
    })
  }
  return f
}

/** solve(list, count, F, R): R[q] <- (L L^T)^-1 R[q] for the pairs list[0 .. count), both lanes, as BandMatrix.solveInPlace. */
function solveBody(n: number, b: number): Body {
  const f = new Body([I32, I32, I32, I32], [])
  const [list, count, F, R] = [0, 1, 2, 3]
  const p = f.local(I32), q = f.local(I32), fb = f.local(I32), rb = f.local(I32), s = f.local(V128)
  const size = 16 * n * (b + 1)
  const bases = () => {
    f.get(F).get(q).i32(size).op(I32_MUL).op(I32_ADD).set(fb)
    f.get(R).get(q).i32(16 * n).op(I32_MUL).op(I32_ADD).set(rb)
  }
  for (let i = 0; i < n; i++) {
    overPairs(f, list, count, p, q, () => {
      bases()
      f.get(rb).memSimd(V_LOAD, 4, 16 * i).set(s)
      for (let k = i - b > 0 ? i - b : 0; k < i; k++) {
        f.get(s).get(fb).memSimd(V_LOAD, 4, entry(i, k, b)).get(rb).memSimd(V_LOAD, 4, 16 * k).simd(F64X2_MUL).simd(F64X2_SUB).set(s)
      }
      f.get(rb).get(s).get(fb).memSimd(V_LOAD, 4, entry(i, i, b)).simd(F64X2_DIV).memSimd(V_STORE, 4, 16 * i)
    })
  }
  for (let i = n - 1; i >= 0; i--) {
    const kmax = i + b < n - 1 ? i + b : n - 1
    overPairs(f, list, count, p, q, () => {
      bases()
      f.get(rb).memSimd(V_LOAD, 4, 16 * i).set(s)
      for (let k = i + 1; k <= kmax; k++) {
        f.get(s).get(fb).memSimd(V_LOAD, 4, entry(k, i, b)).get(rb).memSimd(V_LOAD, 4, 16 * k).simd(F64X2_MUL).simd(F64X2_SUB).set(s)
      }
      f.get(rb).get(s).get(fb).memSimd(V_LOAD, 4, entry(i, i, b)).simd(F64X2_DIV).memSimd(V_STORE, 4, 16 * i)
    })
  }
  return f
}

interface Exports {
  factor(list: number, count: number, F: number, M: number, BAD: number): void
  solve(list: number, count: number, F: number, R: number): void
}

const modules = new Map<string, WebAssembly.Module | null>()

function bandModule(n: number, b: number): WebAssembly.Module | null {
  const key = `${n},${b}`
  if (!modules.has(key)) {
    let mod: WebAssembly.Module | null = null
    try {
      mod = new WebAssembly.Module(wasmModule([], [{ name: 'factor', body: factorBody(n, b) }, { name: 'solve', body: solveBody(n, b) }]))
    } catch {
      // no WebAssembly SIMD in this engine
      mod = null
    }
    modules.set(key, mod)
  }
  return modules.get(key)!
}

/**
 * Factor and right-hand-side storage of `slots` band systems (n nodes, half-bandwidth b), slot s in
 * lane s & 1 of pair s >> 1, and the kernels over it. JS fills a slot's matrix with setMatrix and
 * its right-hand side with setRhs, marks slots, and runs factor() or solve() on the marked pairs.
 */
export class BandLockstep {
  /** f64 view of the whole memory */
  private readonly f64: Float64Array
  private readonly i32: Int32Array
  private readonly fn: Exports
  private readonly at: { list: number; M: number; BAD: number; F: number; R: number }
  /** pairs marked for the next kernel call, and whether each is */
  private count = 0
  private readonly marked: Uint8Array
  private readonly size: number

  private constructor(mod: WebAssembly.Module, readonly n: number, readonly b: number, readonly slots: number) {
    const pairs = Math.ceil(slots / 2), size = n * (b + 1)
    const up16 = (x: number) => 16 * Math.ceil(x / 16)
    const at = { list: 0, M: 0, BAD: 0, F: 0, R: 0 }
    let top = 0
    at.list = top; top += up16(4 * pairs)
    at.M = top; top += 16 * pairs
    at.BAD = top; top += 16 * pairs
    at.F = top; top += 16 * size * pairs
    at.R = top; top += 16 * n * pairs
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(top / PAGE)) })
    this.fn = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as Exports
    this.f64 = new Float64Array(memory.buffer)
    this.i32 = new Int32Array(memory.buffer)
    this.at = at
    this.size = size
    this.marked = new Uint8Array(pairs)
  }

  /** Storage for `slots` systems, or null where WebAssembly SIMD is not available. */
  static create(n: number, b: number, slots: number): BandLockstep | null {
    const mod = bandModule(n, b)
    return mod ? new BandLockstep(mod, n, b, slots) : null
  }

  /** Slot s's matrix := a (BandMatrix.a layout) + shift on the diagonal, and marks s for factor(). */
  setMatrix(s: number, a: Float64Array, shift: number): void {
    const { size, b, f64 } = this, w = b + 1, pair = s >> 1
    const o = this.at.F / 8 + pair * size * 2 + (s & 1)
    for (let e = 0; e < size; e++) f64[o + 2 * e] = a[e]
    // the diagonal as BandMatrix users make it: the stored entry, then + shift
    for (let e = b; e < size; e += w) f64[o + 2 * e] = a[e] + shift
    const m = this.at.M / 4 + pair * 4
    if (!this.marked[pair]) { this.mark(pair); this.i32.fill(0, m, m + 4) }
    this.i32[m + 2 * (s & 1)] = -1
    this.i32[m + 2 * (s & 1) + 1] = -1
  }

  /** Factors every marked slot; call ok(s) after. */
  factor(): void {
    if (this.count === 0) return
    const a = this.at
    this.fn.factor(a.list, this.count, a.F, a.M, a.BAD)
    this.unmark()
  }

  /** True when slot s's matrix at the last factor() was positive definite. */
  ok(s: number): boolean {
    return this.i32[this.at.BAD / 4 + (s >> 1) * 4 + 2 * (s & 1)] === 0
  }

  /** Slot s's right-hand side := r[off .. off+n), and marks s for solve(). */
  setRhs(s: number, r: Float64Array, off: number): void {
    const { n, f64 } = this, pair = s >> 1
    let o = this.at.R / 8 + pair * n * 2 + (s & 1)
    for (let i = 0; i < n; i++, o += 2) f64[o] = r[off + i]
    if (!this.marked[pair]) this.mark(pair)
  }

  /** Solves every marked slot's right-hand side against its factor; read back with getRhs. */
  solve(): void {
    if (this.count === 0) return
    const a = this.at
    this.fn.solve(a.list, this.count, a.F, a.R)
    this.unmark()
  }

  /** r[off .. off+n) := slot s's solution. */
  getRhs(s: number, r: Float64Array, off: number): void {
    const { n, f64 } = this
    let o = this.at.R / 8 + (s >> 1) * n * 2 + (s & 1)
    for (let i = 0; i < n; i++, o += 2) r[off + i] = f64[o]
  }

  private mark(pair: number): void {
    this.marked[pair] = 1
    this.i32[this.at.list / 4 + this.count++] = pair
  }

  private unmark(): void {
    for (let p = 0; p < this.count; p++) this.marked[this.i32[this.at.list / 4 + p]] = 0
    this.count = 0
  }
}
