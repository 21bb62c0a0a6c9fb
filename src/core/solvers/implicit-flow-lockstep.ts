// The implicit flow of implicit-flow.ts over a batch of systems at once (DESIGN 6a), with band
// Cholesky storage. On a small lattice a step is one factorisation and three solves, chains of
// dependent divisions that wait on latency: one system alone leaves the core idle between them. Here
// every system runs relaxImplicitFlow's loop as a state machine that stops at each factorisation and
// solve; the driver then does those of all waiting systems in one call of a SIMD kernel
// (band-lockstep-wasm.ts) whose chains interleave. Each system's own operations and their order are
// those of relaxImplicitFlow, so every system ends in the same state, bit for bit, with the same
// force evaluations.
import { BandMatrix } from './band.ts'
import { BandLockstep } from './band-lockstep-wasm.ts'
import { NEWTON_START_RADIUS } from './implicit-flow.ts'
import type { RelaxSystem, SolveOptions, SolveStats } from './system.ts'

const D = 1 / (2 + Math.SQRT2)
const E32 = 6 + Math.SQRT2

/** What a run waits for at a stop: nothing, a factorisation of H + shift I then a solve, or a solve. */
const NONE = 0, FACTOR_SOLVE = 1, SOLVE = 2
/** Where a run resumes: the places of relaxImplicitFlow's loops right after a factor or a solve. */
const NEWTON_TOP = 0, NEWTON_SOLVED = 1, FLOW_TOP = 2, FLOW_K1 = 3, FLOW_K2 = 4, FLOW_K3 = 5, FLOW_END = 6, DONE = 7

/** One system's implicit flow, its loop state kept in fields between stops. */
class FlowRun {
  sys: RelaxSystem = null!
  x: Float64Array = null!
  o: SolveOptions = null!
  watch = false
  /** the kernel request at a stop, and its answer */
  op = NONE
  shift = 0
  vec = 0
  ok = false
  /** Hessian at x; spare: at the last trial state, made before the stop for its last solve */
  H: BandMatrix
  spare: BandMatrix
  spareAtX = false
  stats: SolveStats | null = null
  // relaxImplicitFlow's locals
  private state = DONE
  private evals = 0
  private hevals = 0
  private res = 0
  private t = 0
  private h = 0
  private loaded = false
  private hAcc = 0
  private errAcc = 0
  private rejectedLast = false
  private s = 0
  private err = 0
  private r2 = 0
  private readonly F0: Float64Array
  private readonly F1: Float64Array
  private readonly F2: Float64Array
  private readonly k1: Float64Array
  private readonly k2: Float64Array
  private readonly k3: Float64Array
  private readonly y: Float64Array

  /** V[v0 .. v0 + 7n) holds this run's vectors (F0, F1, F2, k1, k2, k3, y). */
  constructor(readonly V: Float64Array, readonly v0: number, readonly n: number, b: number) {
    const at = (k: number) => V.subarray(v0 + k * n, v0 + (k + 1) * n)
    this.F0 = at(0); this.F1 = at(1); this.F2 = at(2); this.k1 = at(3); this.k2 = at(4); this.k3 = at(5); this.y = at(6)
    this.H = new BandMatrix(n, b)
    this.spare = new BandMatrix(n, b)
  }

  /** Starts relaxing sys from x; runs to the first stop. False when it finished without one (stats set). */
  start(sys: RelaxSystem, x: Float64Array, o: SolveOptions, watch: boolean): boolean {
    this.sys = sys; this.x = x; this.o = o; this.watch = watch
    this.op = NONE
    this.stats = null
    this.evals = 1
    this.hevals = 0
    const res = (this.res = sys.force(x, this.F0))
    if (!(res >= o.tol)) {
      this.state = DONE
      this.stats = { settled: res < o.tol, residual: res, forceEvals: 1, hessianEvals: 0, steps: 0 }
      return false
    }
    this.t = 0
    this.h = Math.min(0.5 / Math.sqrt(sys.stiffness()), 1)
    this.loaded = false
    this.spareAtX = false
    this.hAcc = 0; this.errAcc = 0; this.rejectedLast = false
    this.state = NEWTON_TOP
    return this.resume()
  }

  /** Runs from the last stop to the next one (true) or to the end (false, stats set). */
  resume(): boolean {
    const { sys, x, o, n, F0, F1, F2, k1, k2, k3, y } = this, free = sys.free
    this.op = NONE
    for (;;) {
      switch (this.state) {
        case NEWTON_TOP: {
          // see relaxImplicitFlow: Newton steps from the start while H is positive definite and each is short
          if (!(this.res >= o.tol && this.evals < o.maxEvals)) { this.state = FLOW_TOP; break }
          sys.hessian!(x, this.H)
          this.hevals++
          this.loaded = true
          k1.set(F0)
          return this.stop(FACTOR_SOLVE, 0, 3, NEWTON_SOLVED)
        }
        case NEWTON_SOLVED: {
          this.state = FLOW_TOP
          if (!this.ok) break
          let big = 0
          for (let i = 0; i < n; i++) { const a = free[i] ? Math.abs(k1[i]) : 0; if (a > big) big = a }
          if (!(big <= NEWTON_START_RADIUS)) break
          for (let i = 0; i < n; i++) y[i] = free[i] ? x[i] + k1[i] : x[i]
          const r = sys.force(y, F2)
          this.evals++
          if (!(r < this.res)) break
          x.set(y)
          F0.set(F2)
          this.res = r
          this.loaded = false
          if (this.watch && sys.escaped!(x)) { this.res = Infinity; break }
          this.state = NEWTON_TOP
          break
        }
        case FLOW_TOP: {
          if (!(this.res >= o.tol && this.evals < o.maxEvals && this.t < o.tMax)) return this.finish()
          if (!this.loaded) {
            // the spare was made at the trial state this step accepted: the same H as one made now
            if (this.spareAtX) { const s = this.H; this.H = this.spare; this.spare = s } else { sys.hessian!(x, this.H); this.hevals++ }
            this.loaded = true
          }
          this.spareAtX = false
          if (this.t + this.h > o.tMax) this.h = o.tMax - this.t
          this.s = 1 / (this.h * D)
          this.err = Infinity
          this.r2 = Infinity
          k1.set(F0)
          return this.stop(FACTOR_SOLVE, this.s, 3, FLOW_K1)
        }
        case FLOW_K1: {
          this.state = FLOW_END
          if (!this.ok) break
          const s = this.s, h = this.h
          for (let i = 0; i < n; i++) { k1[i] *= s; y[i] = free[i] ? x[i] + 0.5 * h * k1[i] : x[i] }
          const r1 = sys.force(y, F1)
          this.evals++
          for (let i = 0; i < n; i++) k2[i] = F1[i] - k1[i]
          if (r1 !== Infinity) return this.stop(SOLVE, 0, 4, FLOW_K2)
          break
        }
        case FLOW_K2: {
          this.state = FLOW_END
          const s = this.s, h = this.h
          for (let i = 0; i < n; i++) { k2[i] = s * k2[i] + k1[i]; y[i] = free[i] ? x[i] + h * k2[i] : x[i] }
          const r2 = (this.r2 = sys.force(y, F2))
          this.evals++
          for (let i = 0; i < n; i++) k3[i] = F2[i] - E32 * (k2[i] - F1[i]) - 2 * (k1[i] - F0[i])
          if (r2 !== Infinity) {
            // H at the trial state now, while the force kernel still holds its cos and sin (other
            // systems' force calls come before this one resumes): the next step's H if this one is accepted
            sys.hessian!(y, this.spare)
            this.hevals++
            return this.stop(SOLVE, 0, 5, FLOW_K3)
          }
          break
        }
        case FLOW_K3: {
          this.state = FLOW_END
          const s = this.s, h = this.h, tol = o.implicitTol
          let e2 = 0, cnt = 0
          for (let i = 0; i < n; i++) {
            if (!free[i]) continue
            const e = (h / 6) * (k1[i] - 2 * k2[i] + s * k3[i])
            e2 += e * e
            cnt++
          }
          let err = cnt ? Math.sqrt(e2 / cnt) / tol : 0
          if (err !== err) err = Infinity
          this.err = err
          break
        }
        case FLOW_END: {
          // relaxImplicitFlow's step-size control, unchanged
          const err = this.err, h = this.h
          let fac = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * Math.pow(err, -1 / 3)))
          const errF = err > 1e-4 ? err : 1e-4
          if (err <= 1) {
            this.t += h
            x.set(y)
            F0.set(F2)
            this.res = this.r2
            this.loaded = false
            this.spareAtX = true
            if (this.watch && sys.escaped!(x)) { this.res = Infinity; return this.finish() }
            if (this.hAcc > 0) fac = Math.min(fac, Math.max(0.2, 0.9 * (h / this.hAcc) * Math.cbrt(this.errAcc / (errF * errF))))
            if (this.rejectedLast) fac = Math.min(fac, 1)
            this.hAcc = h
            this.errAcc = errF
            this.rejectedLast = false
          } else this.rejectedLast = true
          this.h = h * (err <= 1 ? fac : Math.min(0.5, fac))
          if (this.h < 1e-12) return this.finish()
          this.state = FLOW_TOP
          break
        }
        default:
          return this.finish()
      }
    }
  }

  /** Asks for a factor (op FACTOR_SOLVE, with shift) and/or a solve of vector k (index into the run's vectors). */
  private stop(op: number, shift: number, k: number, next: number): boolean {
    this.op = op
    this.shift = shift
    this.vec = this.v0 + k * this.n
    this.state = next
    return true
  }

  private finish(): boolean {
    const res = this.res
    this.state = DONE
    this.stats = { settled: res < this.o.tol, residual: res, forceEvals: this.evals, hessianEvals: this.hevals, steps: this.t }
    return false
  }
}

/**
 * Largest factorisation (multiply-subtracts, about n b (b + 1) / 2) the lockstep takes: the kernel
 * unrolls it, and building and compiling the module costs CPU once per process and size (measured
 * at load 8: 5x5 lattice, n 25, b 5, 375 terms: 66 ms; 8x8, 2,304 terms: 255 ms; 9x9, 3,645: 242 ms).
 * Larger bands go one system after the other, as before (not measured with the lockstep).
 */
export const LOCKSTEP_MAX_TERMS = 4096

/** Scratch for lockstep implicit flows of systems of n nodes, half-bandwidth b; grows on demand. */
export class ImplicitFlowBatch {
  private cap = 0
  /** vectors of run q at q * 7n */
  private V = new Float64Array(0)
  private runs: FlowRun[] = []
  /** runs still going (1) */
  private live = new Uint8Array(0)
  private band: BandLockstep | null = null

  private constructor(readonly n: number, readonly b: number) {}

  /**
   * A batch for systems of n nodes and half-bandwidth b, or null where WebAssembly SIMD is not
   * available or the band is too large for the kernel's unrolled code (LOCKSTEP_MAX_TERMS).
   */
  static create(n: number, b: number): ImplicitFlowBatch | null {
    if (n * b * (b + 1) / 2 > LOCKSTEP_MAX_TERMS) return null
    return BandLockstep.create(n, b, 2) ? new ImplicitFlowBatch(n, b) : null
  }

  private ensure(B: number): void {
    if (B <= this.cap) return
    const { n, b } = this
    this.V = new Float64Array(B * 7 * n)
    this.runs = []
    for (let q = 0; q < B; q++) this.runs.push(new FlowRun(this.V, q * 7 * n, n, b))
    this.live = new Uint8Array(B)
    this.band = BandLockstep.create(n, b, B)
    this.cap = B
  }

  /**
   * Relaxes systems[q] from xs[q] (in place) for q < xs.length, as relaxImplicitFlow would one after
   * the other (same bits); stats[q] receives its outcome. Every system must have a Hessian in band
   * storage of this batch's n and b, solved by Cholesky.
   */
  relax(systems: readonly RelaxSystem[], xs: readonly Float64Array[], o: SolveOptions, stats: SolveStats[]): void {
    const B = xs.length
    this.ensure(B)
    const runs = this.runs, live = this.live, n = this.n
    const watched: RelaxSystem[] = []
    try {
      let left = 0
      for (let q = 0; q < B; q++) {
        const sys = systems[q]
        if (sys.n !== n || sys.bandwidth !== this.b || !sys.hessian) throw new RangeError('ImplicitFlowBatch: a system does not fit the batch')
        // see relaxImplicitFlow: a slip is watched on accepted states, not reported by force()
        const watch = sys.escaped !== undefined && sys.escapeInForce === true
        if (watch) { sys.escapeInForce = false; watched.push(sys) }
        live[q] = runs[q].start(sys, xs[q], o, watch) ? 1 : 0
        if (live[q]) left++
        else stats[q] = runs[q].stats!
      }
      while (left > 0) {
        this.step(B)
        for (let q = 0; q < B; q++) {
          if (!live[q] || runs[q].resume()) continue
          live[q] = 0
          stats[q] = runs[q].stats!
          left--
        }
      }
    } finally {
      for (const sys of watched) sys.escapeInForce = true
      for (let q = 0; q < B; q++) { const r = runs[q]; r.sys = null!; r.x = null!; live[q] = 0 }
    }
  }

  /** Does the factorisations and solves that the waiting runs asked for, each kind in one kernel call. */
  private step(B: number): void {
    const runs = this.runs, band = this.band!, V = this.V, live = this.live
    let any = false
    for (let q = 0; q < B; q++) {
      const r = runs[q]
      if (live[q] && r.op === FACTOR_SOLVE) { band.setMatrix(q, r.H.a, r.shift); any = true }
    }
    if (any) {
      band.factor()
      for (let q = 0; q < B; q++) { const r = runs[q]; if (live[q] && r.op === FACTOR_SOLVE) r.ok = band.ok(q) }
    }
    any = false
    for (let q = 0; q < B; q++) {
      const r = runs[q]
      if (live[q] && (r.op === SOLVE || (r.op === FACTOR_SOLVE && r.ok))) { band.setRhs(q, V, r.vec); any = true }
    }
    if (!any) return
    band.solve()
    for (let q = 0; q < B; q++) {
      const r = runs[q]
      if (live[q] && (r.op === SOLVE || (r.op === FACTOR_SOLVE && r.ok))) band.getRhs(q, V, r.vec)
    }
  }
}
