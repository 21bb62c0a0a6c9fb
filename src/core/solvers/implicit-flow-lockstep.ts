// The implicit flow of implicit-flow.ts over a batch of systems at once (DESIGN 6a), with band
// Cholesky storage. On a small lattice a step is one factorisation and three solves, chains of
// dependent divisions that wait on latency: one system leaves the core idle between them. Here every
// system runs the single-system code unchanged as a generator that stops at each factorisation and
// solve; the driver then does those of all waiting systems row by row, so their independent chains
// interleave. Each system's own operations and their order are those of relaxImplicitFlow, so every
// system ends in the same state, bit for bit, with the same force evaluations.
import { BandMatrix } from './band.ts'
import { BandLockstep } from './band-lockstep-wasm.ts'
import { NEWTON_START_RADIUS } from './implicit-flow.ts'
import type { RelaxSystem, SolveOptions, SolveStats } from './system.ts'

const D = 1 / (2 + Math.SQRT2)
const E32 = 6 + Math.SQRT2

/** What a system waits for at a stop: nothing, a factorisation of H + shift I then a solve, or a solve. */
const NONE = 0, FACTOR_SOLVE = 1, SOLVE = 2

/** One system's scratch; its vectors and factor live in the batch's shared arrays. */
interface Member {
  sys: RelaxSystem
  x: Float64Array
  op: number
  shift: number
  /** offset of the vector to solve for, in the batch's V */
  vec: number
  /** the factorisation of the last FACTOR_SOLVE succeeded */
  ok: boolean
  /** Hessian at x; spare: at the last trial state, made while the batch works (see flow) */
  H: BandMatrix
  spare: BandMatrix
  gen: Generator<void, SolveStats, void> | null
}

/** Scratch for lockstep implicit flows of systems of n nodes, half-bandwidth b; grows on demand. */
export class ImplicitFlowBatch {
  private cap = 0
  /** vectors of member q at q * 7n: F0, F1, F2, k1, k2, k3, y */
  private V = new Float64Array(0)
  private members: Member[] = []
  private band: BandLockstep | null = null

  private constructor(readonly n: number, readonly b: number) {}

  /** A batch for systems of n nodes and half-bandwidth b, or null where WebAssembly SIMD is not available. */
  static create(n: number, b: number): ImplicitFlowBatch | null {
    return BandLockstep.create(n, b, 2) ? new ImplicitFlowBatch(n, b) : null
  }

  private ensure(B: number): void {
    if (B <= this.cap) return
    const { n, b } = this
    this.V = new Float64Array(B * 7 * n)
    this.members = []
    for (let q = 0; q < B; q++) {
      this.members.push({ sys: null!, x: null!, op: NONE, shift: 0, vec: 0, ok: false, H: new BandMatrix(n, b), spare: new BandMatrix(n, b), gen: null })
    }
    this.band = BandLockstep.create(n, b, B)
    this.cap = B
  }

  /**
   * Relaxes systems[q] from xs[q] (in place) for every q, as relaxImplicitFlow would one after the
   * other (same bits); stats[q] receives its outcome. Every system must have a Hessian in band storage
   * of this batch's n and b, solved by Cholesky.
   */
  relax(systems: readonly RelaxSystem[], xs: readonly Float64Array[], o: SolveOptions, stats: SolveStats[]): void {
    const B = xs.length
    this.ensure(B)
    const ms = this.members, n = this.n
    const watched: RelaxSystem[] = []
    try {
      let live = 0
      for (let q = 0; q < B; q++) {
        const m = ms[q], sys = systems[q]
        if (sys.n !== n || sys.bandwidth !== this.b || !sys.hessian) throw new RangeError('ImplicitFlowBatch: a system does not fit the batch')
        m.sys = sys
        m.x = xs[q]
        m.op = NONE
        // see relaxImplicitFlow: a slip is watched on accepted states, not reported by force()
        const watch = sys.escaped !== undefined && sys.escapeInForce === true
        if (watch) { sys.escapeInForce = false; watched.push(sys) }
        m.gen = flow(m, this.V, q * 7 * n, n, o, watch)
        const r = m.gen.next()
        if (r.done) { stats[q] = r.value; m.gen = null } else live++
      }
      while (live > 0) {
        this.step(B)
        for (let q = 0; q < B; q++) {
          const m = ms[q]
          if (m.gen === null) continue
          const r = m.gen.next()
          if (r.done) { stats[q] = r.value; m.gen = null; live-- }
        }
      }
    } finally {
      for (const sys of watched) sys.escapeInForce = true
      for (let q = 0; q < B; q++) { const m = ms[q]; m.gen = null; m.sys = null!; m.x = null! }
    }
  }

  /** Does the factorisations and solves that the waiting members asked for, each kind in one kernel call. */
  private step(B: number): void {
    const ms = this.members, band = this.band!, V = this.V
    let any = false
    for (let q = 0; q < B; q++) {
      const m = ms[q]
      if (m.gen !== null && m.op === FACTOR_SOLVE) { band.setMatrix(q, m.H.a, m.shift); any = true }
    }
    if (any) {
      band.factor()
      for (let q = 0; q < B; q++) { const m = ms[q]; if (m.gen !== null && m.op === FACTOR_SOLVE) m.ok = band.ok(q) }
    }
    any = false
    for (let q = 0; q < B; q++) {
      const m = ms[q]
      if (m.gen !== null && (m.op === SOLVE || (m.op === FACTOR_SOLVE && m.ok))) { band.setRhs(q, V, m.vec); any = true }
    }
    if (any) band.solve()
    for (let q = 0; q < B; q++) {
      const m = ms[q]
      if (any && m.gen !== null && (m.op === SOLVE || (m.op === FACTOR_SOLVE && m.ok))) band.getRhs(q, V, m.vec)
      m.op = NONE
    }
  }
}

/**
 * relaxImplicitFlow's loop for one member, stopping (yield) where it factors or solves; the driver
 * fills the answer in between. V[v0 ..] holds its vectors. Same statements in the same order.
 */
function* flow(m: Member, V: Float64Array, v0: number, n: number, o: SolveOptions, watch: boolean): Generator<void, SolveStats, void> {
  const sys = m.sys, x = m.x, free = sys.free
  const oF0 = v0, oF1 = v0 + n, oF2 = v0 + 2 * n, o1 = v0 + 3 * n, o2 = v0 + 4 * n, o3 = v0 + 5 * n, oy = v0 + 6 * n
  const F0 = V.subarray(oF0, oF0 + n), F1 = V.subarray(oF1, oF1 + n), F2 = V.subarray(oF2, oF2 + n)
  const k1 = V.subarray(o1, o1 + n), k2 = V.subarray(o2, o2 + n), k3 = V.subarray(o3, o3 + n), y = V.subarray(oy, oy + n)
  const counts = { evals: 1, hevals: 0 }
  let res = sys.force(x, F0)
  if (!(res >= o.tol)) return { settled: res < o.tol, residual: res, forceEvals: 1, hessianEvals: 0, steps: 0 }
  const tol = o.implicitTol
  let t = 0
  let h = Math.min(0.5 / Math.sqrt(sys.stiffness()), 1)
  let loaded = false
  // the spare holds H at the accepted state x (made before the stop for the last solve of the step that reached it)
  let spareAtX = false
  let hAcc = 0, errAcc = 0, rejectedLast = false
  while (res >= o.tol && counts.evals < o.maxEvals) {
    sys.hessian!(x, m.H)
    counts.hevals++
    loaded = true
    k1.set(F0)
    m.op = FACTOR_SOLVE; m.shift = 0; m.vec = o1
    yield
    if (!m.ok) break
    let big = 0
    for (let i = 0; i < n; i++) { const a = free[i] ? Math.abs(k1[i]) : 0; if (a > big) big = a }
    if (!(big <= NEWTON_START_RADIUS)) break
    for (let i = 0; i < n; i++) y[i] = free[i] ? x[i] + k1[i] : x[i]
    const r = sys.force(y, F2)
    counts.evals++
    if (!(r < res)) break
    x.set(y)
    F0.set(F2)
    res = r
    loaded = false
    if (watch && sys.escaped!(x)) { res = Infinity; break }
  }
  while (res >= o.tol && counts.evals < o.maxEvals && t < o.tMax) {
    if (!loaded) {
      if (spareAtX) { const s = m.H; m.H = m.spare; m.spare = s } else sys.hessian!(x, m.H)
      if (!spareAtX) counts.hevals++
      loaded = true
    }
    spareAtX = false
    if (t + h > o.tMax) h = o.tMax - t
    const s = 1 / (h * D)
    let err = Infinity, r2 = Infinity
    k1.set(F0)
    m.op = FACTOR_SOLVE; m.shift = s; m.vec = o1
    yield
    if (m.ok) {
      for (let i = 0; i < n; i++) { k1[i] *= s; y[i] = free[i] ? x[i] + 0.5 * h * k1[i] : x[i] }
      const r1 = sys.force(y, F1)
      counts.evals++
      for (let i = 0; i < n; i++) k2[i] = F1[i] - k1[i]
      if (r1 !== Infinity) {
        m.op = SOLVE; m.vec = o2
        yield
        for (let i = 0; i < n; i++) { k2[i] = s * k2[i] + k1[i]; y[i] = free[i] ? x[i] + h * k2[i] : x[i] }
        r2 = sys.force(y, F2)
        counts.evals++
        for (let i = 0; i < n; i++) k3[i] = F2[i] - E32 * (k2[i] - F1[i]) - 2 * (k1[i] - F0[i])
        if (r2 !== Infinity) {
          // H at the trial state now, while the kernel still holds its cos and sin (other members'
          // force calls come before this one resumes); it is the next step's H if the step is accepted
          sys.hessian!(y, m.spare)
          counts.hevals++
          m.op = SOLVE; m.vec = o3
          yield
          let e2 = 0, cnt = 0
          for (let i = 0; i < n; i++) {
            if (!free[i]) continue
            const e = (h / 6) * (k1[i] - 2 * k2[i] + s * k3[i])
            e2 += e * e
            cnt++
          }
          err = cnt ? Math.sqrt(e2 / cnt) / tol : 0
          if (err !== err) err = Infinity
        }
      }
    }
    // order 2 with a 3rd-order error estimate: the error scales as h^3 (see implicit-flow.ts)
    let fac = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * Math.pow(err, -1 / 3)))
    const errF = err > 1e-4 ? err : 1e-4
    if (err <= 1) {
      t += h
      x.set(y)
      F0.set(F2)
      res = r2
      loaded = false
      spareAtX = true
      if (watch && sys.escaped!(x)) { res = Infinity; break }
      if (hAcc > 0) fac = Math.min(fac, Math.max(0.2, 0.9 * (h / hAcc) * Math.cbrt(errAcc / (errF * errF))))
      if (rejectedLast) fac = Math.min(fac, 1)
      hAcc = h
      errAcc = errF
      rejectedLast = false
    } else rejectedLast = true
    h *= err <= 1 ? fac : Math.min(0.5, fac)
    if (h < 1e-12) break
  }
  return { settled: res < o.tol, residual: res, forceEvals: counts.evals, hessianEvals: counts.hevals, steps: t }
}
