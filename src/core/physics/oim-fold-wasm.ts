// The batch fold of OimFoldPlan (every sample's input field on every free node) as a WebAssembly
// f64x2 kernel built by src/core/wasm/emit.ts. The input couplings are grouped by free node in edge
// order (CSR), and each (node, sample) sum starts from the node's bias and adds its couplings' terms
// in that order, one multiply and one add each: the same operations in the same order as the JS fold,
// so the same bits; the lanes run over samples, never across a sum.
import { Body, I32, V128, wasmModule } from '../wasm/emit.ts'

const I32_LOAD = 0x28, I32_ADD = 0x6a, I32_MUL = 0x6c, I32_GE_U = 0x4f, I32_SHL = 0x74
const V_LOAD = 0x00, V_LOAD64_SPLAT = 0x0a, V_STORE = 0x0b
const F64X2_ADD = 0xf0, F64X2_MUL = 0xf2

/** Samples per block: four f64x2 accumulators. */
export const FOLD_BLOCK = 8

/**
 * fold(start, col, wv, baseH, xT, hT, nf, Bp8): for free node t < nf and each block of FOLD_BLOCK
 * samples, hT[t][block] = baseH[t] + sum over its edges e = start[t] .. start[t+1]-1 (in order) of
 * wv[e] * xT[col[e]][block]. start: i32 edge indices [nf + 1]; col: i32 byte offsets of input rows
 * in xT; xT [nIn, Bp] and hT [nf, Bp] sample-minor, Bp8 = 8 Bp bytes per row (Bp a multiple of 8).
 */
function foldBody(): Body {
  const b = new Body([I32, I32, I32, I32, I32, I32, I32, I32], [])
  const [start, col, wv, baseH, xT, hT, nf, Bp8] = [...Array(8).keys()]
  const t = b.local(I32), rb = b.local(I32), pw = b.local(I32), pc = b.local(I32), pend = b.local(I32), pw0 = b.local(I32), pc0 = b.local(I32), xp = b.local(I32), out = b.local(I32)
  const acc = [b.local(V128), b.local(V128), b.local(V128), b.local(V128)], v = b.local(V128), h = b.local(V128)
  b.i32(0).set(t)
  b.block().loop()
  b.get(t).get(nf).op(I32_GE_U).brIf(1)
  // this node's edges: wv + 8 e0 .. wv + 8 e1, col + 4 e0 ..
  b.get(start).get(t).i32(2).op(I32_SHL).op(I32_ADD).mem(I32_LOAD, 2).tee(pw0).i32(2).op(I32_SHL).get(col).op(I32_ADD).set(pc0)
  b.get(pw0).i32(3).op(I32_SHL).get(wv).op(I32_ADD).set(pw0)
  b.get(start).get(t).i32(2).op(I32_SHL).op(I32_ADD).mem(I32_LOAD, 2, 4).i32(3).op(I32_SHL).get(wv).op(I32_ADD).set(pend)
  b.get(baseH).get(t).i32(3).op(I32_SHL).op(I32_ADD).memSimd(V_LOAD64_SPLAT, 3).set(h)
  b.get(hT).get(t).get(Bp8).op(I32_MUL).op(I32_ADD).set(out)
  b.i32(0).set(rb)
  b.block().loop()
  b.get(rb).get(Bp8).op(I32_GE_U).brIf(1)
  for (const a of acc) b.get(h).set(a)
  b.get(pw0).set(pw).get(pc0).set(pc)
  b.block().loop()
  b.get(pw).get(pend).op(I32_GE_U).brIf(1)
  b.get(pw).memSimd(V_LOAD64_SPLAT, 3).set(v)
  b.get(xT).get(pc).mem(I32_LOAD, 2).op(I32_ADD).get(rb).op(I32_ADD).set(xp)
  acc.forEach((a, k) => { b.get(a).get(v).get(xp).memSimd(V_LOAD, 4, 16 * k).simd(F64X2_MUL).simd(F64X2_ADD).set(a) })
  b.get(pw).i32(8).op(I32_ADD).set(pw).get(pc).i32(4).op(I32_ADD).set(pc)
  b.br(0)
  b.end().end()
  acc.forEach((a, k) => { b.get(out).get(rb).op(I32_ADD).get(a).memSimd(V_STORE, 4, 16 * k) })
  b.get(rb).i32(8 * FOLD_BLOCK).op(I32_ADD).set(rb)
  b.br(0)
  b.end().end()
  b.get(t).i32(1).op(I32_ADD).set(t)
  b.br(0)
  b.end().end()
  return b
}

let compiled: WebAssembly.Module | null | undefined

/** The compiled fold kernel, or null where this engine has no WebAssembly SIMD. */
export function oimFoldModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(wasmModule([], [{ name: 'fold', body: foldBody() }]))
    } catch {
      compiled = null
    }
  }
  return compiled
}

/** The export of an instance of oimFoldModule (byte addresses into its memory). */
export interface OimFoldExports {
  fold(start: number, col: number, wv: number, baseH: number, xT: number, hT: number, nf: number, Bp8: number): void
}
