// The batched kernels of the lockstep 'eliminate' solver on a three-layer XY network (one dense block
// W between an eliminated side A and a kept side B), as WebAssembly with f64x2 SIMD built by
// src/core/wasm/emit.ts. Each kernel walks a list of (sample, slot) rows; a row's arithmetic reads only
// that row's arrays and the shared couplings, in a fixed order, so its bits do not depend on which
// other rows are in the list (the active set, the batch split over worker threads).
//   align:   z_a = h_a + sum_j W_aj (cos, sin) phi_j (j in B), then the aligned A side as unit vectors
//            (c_a, s_a) = z_a / |z_a|, u_a = 1 / |z_a|, and the energy -sum_a |z_a|
//   field:   (sum_a W_aj c_a, sum_a W_aj s_a) per kept node j: the A side's pull on B
//   hessian: T_jk = sum_a g_ja g_ka u_a (k <= j), g_ja = W_aj cos(phi_a - phi_j): the part of the
//            Schur complement H_BA diag(H_AA)^-1 H_AB (H_aa = |z_a| at the aligned state)
import { Body, I32, V128, wasmModule } from '../wasm/emit.ts'

const I32_LOAD = 0x28, F64_STORE = 0x39
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_MUL = 0x6c, I32_DIV_U = 0x6e, I32_EQ = 0x46, I32_GE_U = 0x4f
const F64_ADD = 0xa0, F64_NEG = 0x9a, SELECT = 0x1b
const V_LOAD = 0x00, V_LOAD64_SPLAT = 0x0a, V_STORE = 0x0b
const V_NOT = 0x4d, V_AND = 0x4e, V_OR = 0x50, V_ANY_TRUE = 0x53
const F64X2_GT = 0x4a, F64X2_EXTRACT = 0x21
const F64X2_ADD = 0xf0, F64X2_MUL = 0xf2, F64X2_DIV = 0xf3, F64X2_SQRT = 0xef

/** Appends `for (v = 0; v < end; v += step) body()` (byte counters; end is a local). */
function loop(b: Body, v: number, end: number, step: number, body: () => void): void {
  b.i32(0).set(v)
  b.block().loop()
  b.get(v).get(end).op(I32_GE_U).brIf(1)
  body()
  b.get(v).i32(step).op(I32_ADD).set(v)
  b.br(0)
  b.end().end()
}

/** Sum of the two f64 lanes of a v128 local (lane 0 + lane 1). */
function lanes(b: Body, v: number): Body {
  return b.get(v).simd(F64X2_EXTRACT, 0).get(v).simd(F64X2_EXTRACT, 1).op(F64_ADD)
}

/**
 * align(list, count8, Wt, hA, kcs, hid, eOut, emask, NA8, nbB): for each row (sample s, slot q) of list.
 * With `raw` (export zfield, for the OIM, whose A side has no closed form): only z itself, zx into
 * hid[q]'s first row and zy into its second (eOut, emask unused).
 * Wt [nb, NA] = W transposed (kept-major); hA [s]: the A side's bias field, rows hx then hy (NA each);
 * kcs [q]: cos then sin of the kept phases (nb each); hid [q]: c, s, u rows (NA each); eOut[q] = the A
 * side's energy -sum |z_a|, NaN when some real A node has no field. NA is a multiple of 4; padding nodes
 * carry field (1, 0), no couplings and emask 0.
 */
function alignBody(raw: boolean): Body {
  const b = new Body([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], [])
  const [list, count8, Wt, hA, kcs, hid, eOut, emask, NA8, nbB] = [...Array(10).keys()]
  const e = b.local(I32), q = b.local(I32), hx = b.local(I32), cB = b.local(I32), hc = b.local(I32), p = b.local(I32), j = b.local(I32), wp = b.local(I32)
  const ax = [b.local(V128), b.local(V128)], ay = [b.local(V128), b.local(V128)]
  const cj = b.local(V128), sj = b.local(V128), w = b.local(V128), zx = b.local(V128), zy = b.local(V128), r2 = b.local(V128), u = b.local(V128)
  const eacc = b.local(V128), bad = b.local(V128), one = b.local(V128), tiny = b.local(V128), zero = b.local(V128)
  b.f64x2(1).set(one).f64x2(1e-300).set(tiny).i64x2(0n).set(zero)
  loop(b, e, count8, 8, () => {
    // hx = hA + s * 2 NA8; cB = kcs + q * 2 nbB; hc = hid + q * 3 NA8
    b.get(hA).get(list).get(e).op(I32_ADD).mem(I32_LOAD, 2).get(NA8).op(I32_MUL).i32(2).op(I32_MUL).op(I32_ADD).set(hx)
    b.get(list).get(e).op(I32_ADD).mem(I32_LOAD, 2, 4).set(q)
    b.get(kcs).get(q).get(nbB).op(I32_MUL).i32(2).op(I32_MUL).op(I32_ADD).set(cB)
    b.get(hid).get(q).get(NA8).op(I32_MUL).i32(3).op(I32_MUL).op(I32_ADD).set(hc)
    b.get(zero).set(eacc).get(zero).set(bad)
    loop(b, p, NA8, 32, () => {
      for (let h = 0; h < 2; h++) b.get(zero).set(ax[h]).get(zero).set(ay[h])
      b.get(Wt).get(p).op(I32_ADD).set(wp)
      loop(b, j, nbB, 8, () => {
        b.get(cB).get(j).op(I32_ADD).memSimd(V_LOAD64_SPLAT, 3).set(cj)
        b.get(cB).get(nbB).op(I32_ADD).get(j).op(I32_ADD).memSimd(V_LOAD64_SPLAT, 3).set(sj)
        for (let h = 0; h < 2; h++) {
          b.get(wp).memSimd(V_LOAD, 4, 16 * h).set(w)
          b.get(ax[h]).get(w).get(cj).simd(F64X2_MUL).simd(F64X2_ADD).set(ax[h])
          b.get(ay[h]).get(w).get(sj).simd(F64X2_MUL).simd(F64X2_ADD).set(ay[h])
        }
        b.get(wp).get(NA8).op(I32_ADD).set(wp)
      })
      for (let h = 0; h < 2; h++) {
        // the field's own bias first, then the kept side's sum (the per-sample loops' order)
        b.get(hx).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * h).get(ax[h]).simd(F64X2_ADD).set(zx)
        b.get(hx).get(NA8).op(I32_ADD).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * h).get(ay[h]).simd(F64X2_ADD).set(zy)
        if (raw) {
          b.get(hc).get(p).op(I32_ADD).get(zx).memSimd(V_STORE, 4, 16 * h)
          b.get(hc).get(NA8).op(I32_ADD).get(p).op(I32_ADD).get(zy).memSimd(V_STORE, 4, 16 * h)
          continue
        }
        b.get(zx).get(zx).simd(F64X2_MUL).get(zy).get(zy).simd(F64X2_MUL).simd(F64X2_ADD).set(r2)
        // no field (or NaN): the node has no unique minimiser
        b.get(r2).get(tiny).simd(F64X2_GT).simd(V_NOT).get(bad).simd(V_OR).set(bad)
        b.get(r2).simd(F64X2_SQRT).set(r2) // r2 now holds |z|
        b.get(one).get(r2).simd(F64X2_DIV).set(u)
        b.get(hc).get(p).op(I32_ADD).get(zx).get(u).simd(F64X2_MUL).memSimd(V_STORE, 4, 16 * h)
        b.get(hc).get(NA8).op(I32_ADD).get(p).op(I32_ADD).get(zy).get(u).simd(F64X2_MUL).memSimd(V_STORE, 4, 16 * h)
        b.get(hc).get(NA8).get(NA8).op(I32_ADD).op(I32_ADD).get(p).op(I32_ADD).get(u).memSimd(V_STORE, 4, 16 * h)
        b.get(eacc).get(r2).get(emask).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * h).simd(V_AND).simd(F64X2_ADD).set(eacc)
      }
    })
    if (raw) return
    // eOut[q] = any bad ? NaN : -(lane 0 + lane 1)
    b.get(eOut).get(q).i32(8).op(I32_MUL).op(I32_ADD)
    lanes(b, eacc).op(F64_NEG).f64(NaN).get(bad).simd(V_ANY_TRUE).i32(0).op(I32_EQ) // 1 when nothing bad
    b.op(SELECT).mem(F64_STORE, 3)
  })
  return b
}

/**
 * field(list, count8, Wt, hid, fld, NA8, nbB): for each row's slot q, fld[q] = (sum_a W_aj c_a, then
 * sum_a W_aj s_a) over the kept nodes j, from the aligned A side in hid[q].
 */
function fieldBody(): Body {
  const b = new Body([I32, I32, I32, I32, I32, I32, I32], [])
  const [list, count8, Wt, hid, fld, NA8, nbB] = [...Array(7).keys()]
  const e = b.local(I32), q = b.local(I32), hc = b.local(I32), hs = b.local(I32), bx = b.local(I32), wrow = b.local(I32), j = b.local(I32), p = b.local(I32)
  const ac = [b.local(V128), b.local(V128)], as = [b.local(V128), b.local(V128)], w = b.local(V128), zero = b.local(V128)
  b.i64x2(0n).set(zero)
  loop(b, e, count8, 8, () => {
    b.get(list).get(e).op(I32_ADD).mem(I32_LOAD, 2, 4).set(q)
    b.get(hid).get(q).get(NA8).op(I32_MUL).i32(3).op(I32_MUL).op(I32_ADD).tee(hc).get(NA8).op(I32_ADD).set(hs)
    b.get(fld).get(q).get(nbB).op(I32_MUL).i32(2).op(I32_MUL).op(I32_ADD).set(bx)
    b.get(Wt).set(wrow)
    loop(b, j, nbB, 8, () => {
      for (let h = 0; h < 2; h++) b.get(zero).set(ac[h]).get(zero).set(as[h])
      loop(b, p, NA8, 32, () => {
        for (let h = 0; h < 2; h++) {
          b.get(wrow).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * h).set(w)
          b.get(ac[h]).get(w).get(hc).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * h).simd(F64X2_MUL).simd(F64X2_ADD).set(ac[h])
          b.get(as[h]).get(w).get(hs).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * h).simd(F64X2_MUL).simd(F64X2_ADD).set(as[h])
        }
      })
      b.get(ac[0]).get(ac[1]).simd(F64X2_ADD).set(ac[0]).get(as[0]).get(as[1]).simd(F64X2_ADD).set(as[0])
      b.get(bx).get(j).op(I32_ADD)
      lanes(b, ac[0]).mem(F64_STORE, 3)
      b.get(bx).get(nbB).op(I32_ADD).get(j).op(I32_ADD)
      lanes(b, as[0]).mem(F64_STORE, 3)
      b.get(wrow).get(NA8).op(I32_ADD).set(wrow)
    })
  })
  return b
}

/**
 * hessian(list, count8, Wt, hid, kcs, T, G, GU, NA8, nbB): for each row (sample s, slot q),
 * T[s][j*nb + k] = sum_a g_ja g_ka u_a for k <= j, with g_ja = W_aj (c_a cos phi_j + s_a sin phi_j);
 * G and GU are one row's scratch [nb, NA] (g, and g u).
 */
function hessianBody(): Body {
  const b = new Body([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], [])
  const [list, count8, Wt, hid, kcs, T, G, GU, NA8, nbB] = [...Array(10).keys()]
  const e = b.local(I32), q = b.local(I32), hc = b.local(I32), hs = b.local(I32), hu = b.local(I32), cB = b.local(I32), trow = b.local(I32)
  const j = b.local(I32), k = b.local(I32), kend = b.local(I32), p = b.local(I32), wrow = b.local(I32), grow = b.local(I32), gk = b.local(I32)
  const cj = b.local(V128), sj = b.local(V128), g = b.local(V128), a = [b.local(V128), b.local(V128)], zero = b.local(V128)
  b.i64x2(0n).set(zero)
  loop(b, e, count8, 8, () => {
    b.get(T).get(list).get(e).op(I32_ADD).mem(I32_LOAD, 2).get(nbB).op(I32_MUL).get(nbB).op(I32_MUL).i32(8).op(I32_DIV_U).op(I32_ADD).set(trow) // s * nb^2 * 8 bytes
    b.get(list).get(e).op(I32_ADD).mem(I32_LOAD, 2, 4).set(q)
    b.get(hid).get(q).get(NA8).op(I32_MUL).i32(3).op(I32_MUL).op(I32_ADD).tee(hc).get(NA8).op(I32_ADD).tee(hs).get(NA8).op(I32_ADD).set(hu)
    b.get(kcs).get(q).get(nbB).op(I32_MUL).i32(2).op(I32_MUL).op(I32_ADD).set(cB)
    // g and g u, row by row
    b.get(Wt).set(wrow).get(G).set(grow)
    loop(b, j, nbB, 8, () => {
      b.get(cB).get(j).op(I32_ADD).memSimd(V_LOAD64_SPLAT, 3).set(cj)
      b.get(cB).get(nbB).op(I32_ADD).get(j).op(I32_ADD).memSimd(V_LOAD64_SPLAT, 3).set(sj)
      loop(b, p, NA8, 16, () => {
        b.get(wrow).get(p).op(I32_ADD).memSimd(V_LOAD, 4)
        b.get(hc).get(p).op(I32_ADD).memSimd(V_LOAD, 4).get(cj).simd(F64X2_MUL)
        b.get(hs).get(p).op(I32_ADD).memSimd(V_LOAD, 4).get(sj).simd(F64X2_MUL).simd(F64X2_ADD)
        b.simd(F64X2_MUL).set(g)
        b.get(grow).get(p).op(I32_ADD).get(g).memSimd(V_STORE, 4)
        b.get(grow).get(GU).get(G).op(I32_SUB).op(I32_ADD).get(p).op(I32_ADD) // the same row of GU
        b.get(g).get(hu).get(p).op(I32_ADD).memSimd(V_LOAD, 4).simd(F64X2_MUL).memSimd(V_STORE, 4)
      })
      b.get(wrow).get(NA8).op(I32_ADD).set(wrow).get(grow).get(NA8).op(I32_ADD).set(grow)
    })
    // T_jk = <g_j, g_k u> for k <= j: contiguous dot products over A, two chains each
    b.get(G).set(grow)
    loop(b, j, nbB, 8, () => {
      b.get(j).i32(8).op(I32_ADD).set(kend).get(GU).set(gk)
      loop(b, k, kend, 8, () => {
        b.get(zero).set(a[0]).get(zero).set(a[1])
        loop(b, p, NA8, 32, () => {
          for (let h = 0; h < 2; h++) {
            b.get(a[h]).get(grow).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * h).get(gk).get(p).op(I32_ADD).memSimd(V_LOAD, 4, 16 * h)
            b.simd(F64X2_MUL).simd(F64X2_ADD).set(a[h])
          }
        })
        b.get(a[0]).get(a[1]).simd(F64X2_ADD).set(a[0])
        b.get(trow).get(j).get(nbB).op(I32_MUL).i32(8).op(I32_DIV_U).op(I32_ADD).get(k).op(I32_ADD) // row j: j/8 * nbB bytes
        lanes(b, a[0]).mem(F64_STORE, 3)
        b.get(gk).get(NA8).op(I32_ADD).set(gk)
      })
      b.get(grow).get(NA8).op(I32_ADD).set(grow)
    })
  })
  return b
}

let compiled: WebAssembly.Module | null | undefined

/** The compiled lockstep kernels, or null where this engine has no WebAssembly SIMD. */
export function lockstepModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(wasmModule([], [
        { name: 'align', body: alignBody(false) }, { name: 'field', body: fieldBody() }, { name: 'hessian', body: hessianBody() },
        { name: 'zfield', body: alignBody(true) },
      ]))
    } catch {
      compiled = null
    }
  }
  return compiled
}

/** The exports of an instance of lockstepModule (byte addresses into its memory). */
export interface LockstepExports {
  align(list: number, count8: number, Wt: number, hA: number, kcs: number, hid: number, eOut: number, emask: number, NA8: number, nbB: number): void
  field(list: number, count8: number, Wt: number, hid: number, fld: number, NA8: number, nbB: number): void
  /** align's field z alone (zx, zy rows at hid[q]); eOut and emask are not read */
  zfield(list: number, count8: number, Wt: number, hA: number, kcs: number, hid: number, eOut: number, emask: number, NA8: number, nbB: number): void
  hessian(list: number, count8: number, Wt: number, hid: number, kcs: number, T: number, G: number, GU: number, NA8: number, nbB: number): void
}
