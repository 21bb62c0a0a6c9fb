// Relaxation of a bipartite network by eliminating one side. When the free nodes split into sets A
// and B with no coupling inside A, each A node's energy given the rest is a single-node function
// with a closed-form minimiser; every local minimum of the full energy has every A node at that
// minimiser (the other stationary point of a single node is a maximum), so the minima of the reduced
// energy E_red(x_B) = min_A E are exactly the full system's. A damped (Levenberg-Marquardt) Newton
// method then runs on B alone: gradient = the full force on B with A aligned, Hessian = the Schur
// complement H_BB - H_BA diag(H_AA)^-1 H_AB. For 784-500-10 that is a 10x10 system.
import type { HessianSink } from './band.ts'
import type { RelaxSystem, SolveOptions, SolveStats } from './system.ts'
import type { RelaxWorkspace } from './workspace.ts'

/** How a model splits its free nodes for relaxEliminate (built by the model, which knows its physics). */
export interface Elimination {
  /** eliminated nodes: no coupling between any two of them */
  readonly a: Uint32Array
  /** kept free nodes (the nudged outputs are among them) */
  readonly b: Uint32Array
  /**
   * Moves every A node of x to its single-node minimiser given the other nodes (the image nearest
   * its current phase); false when some A node has no unique minimiser (zero field).
   */
  align(x: Float64Array): boolean
  /**
   * Optional fast path: the reduced Hessian H_BB - H_BA diag(H_AA)^-1 H_AB at x (A aligned) into the
   * lower triangle of S [nb, nb]; false when some H_aa <= 0. Without it the solver sorts the
   * model's hessian() into a SchurSink.
   */
  reducedHessian?(x: Float64Array, S: Float64Array): boolean
  /**
   * Optional: moves every kept node to its single-node minimiser given the eliminated ones (only
   * possible where the kept side, too, has a closed form: no nudge); false when it could not.
   */
  alignKept?(x: Float64Array): boolean
  /**
   * Optional: the energy F of the state last passed to align, up to a constant that does not depend
   * on the free nodes (computed during the alignment, so it costs no pass over the couplings).
   */
  alignedEnergy?(): number
  /** Optional: called at the start of every relaxation (re-reads couplings the model keeps in its own layout). */
  prepare?(): void
}

/**
 * Largest kept set for which a model offers an elimination. The Schur complement is dense: forming it
 * costs na nb^2 / 2 multiply-adds, and on 784-500-500-10 (nb = 510) one took 216 ms against 2.1 ms
 * for a force evaluation, so a Newton iteration cost about 100 force evaluations.
 */
export const ELIMINATE_MAX_KEPT = 128

/** Hessian entries sorted into diag(H_AA), H_AB [na, nb] and the lower triangle of H_BB [nb, nb]. */
export class SchurSink implements HessianSink {
  readonly n: number
  readonly na: number
  readonly nb: number
  /** per node: b-index (>= 0), -2 - a-index for A nodes, -1 for nodes that do not move */
  readonly role: Int32Array
  readonly dA: Float64Array
  readonly HAB: Float64Array
  /** H_BB, then the Schur complement, full square storage (lower triangle used) */
  readonly S: Float64Array
  /** set when the model wrote a coupling between two A nodes: the split does not hold */
  bad = false

  constructor(n: number, el: Elimination) {
    this.n = n
    this.na = el.a.length
    this.nb = el.b.length
    this.role = new Int32Array(n).fill(-1)
    el.b.forEach((i, t) => { this.role[i] = t })
    el.a.forEach((i, t) => { this.role[i] = -2 - t })
    this.dA = new Float64Array(this.na)
    this.HAB = new Float64Array(this.na * this.nb)
    this.S = new Float64Array(this.nb * this.nb)
  }

  zero(): void { this.dA.fill(0); this.HAB.fill(0); this.S.fill(0); this.bad = false }

  add(i: number, j: number, v: number): void {
    const ri = this.role[i], rj = this.role[j], nb = this.nb
    if (i === j) {
      if (ri >= 0) this.S[ri * nb + ri] += v
      else if (ri < -1) this.dA[-2 - ri] += v
    } else if (ri >= 0 && rj >= 0) {
      if (ri >= rj) this.S[ri * nb + rj] += v
      else this.S[rj * nb + ri] += v
    } else if (ri >= 0 && rj < -1) this.HAB[(-2 - rj) * nb + ri] += v
    else if (rj >= 0 && ri < -1) this.HAB[(-2 - ri) * nb + rj] += v
    else if (ri < -1 && rj < -1 && v !== 0) this.bad = true
  }

  /** S <- H_BB - H_BA diag(H_AA)^-1 H_AB (lower triangle); false when some H_aa <= 0 (A not at a minimiser). */
  schur(): boolean {
    const { na, nb, dA, HAB, S } = this
    for (let a = 0; a < na; a++) {
      const d = dA[a]
      if (!(d > 0)) return false
      const inv = 1 / d, o = a * nb
      for (let j = 0; j < nb; j++) {
        const hj = HAB[o + j]
        if (hj === 0) continue
        const c = hj * inv, so = j * nb
        for (let k = 0; k <= j; k++) S[so + k] -= c * HAB[o + k]
      }
    }
    return true
  }
}

/** Scratch of relaxEliminate for one elimination, kept in the workspace. */
export interface EliminateScratch {
  readonly el: Elimination
  readonly sink: SchurSink
  readonly M: Float64Array
  readonly d: Float64Array
}

/** In-place Cholesky of (S + mu I) into M (lower triangle, n x n); false when not positive definite. */
export function choleskyShifted(S: Float64Array, mu: number, n: number, M: Float64Array): boolean {
  for (let j = 0; j < n; j++) {
    const jo = j * n
    let s = S[jo + j] + mu
    for (let k = 0; k < j; k++) s -= M[jo + k] * M[jo + k]
    if (!(s > 0)) return false
    const ljj = Math.sqrt(s)
    M[jo + j] = ljj
    for (let i = j + 1; i < n; i++) {
      const io = i * n
      let t = S[io + j]
      for (let k = 0; k < j; k++) t -= M[io + k] * M[jo + k]
      M[io + j] = t / ljj
    }
  }
  return true
}

/**
 * The Levenberg-Marquardt step of both eliminate solvers: raises mu until S + mu I (nb x nb, lower
 * triangle) is positive definite (saddles, maxima of E_red), factors it into M, turns d (the force on
 * entry) into the step, clips max|d| to ELIMINATE_MAX_STEP, and returns the shift used.
 */
export function lmSolve(S: Float64Array, nb: number, mu: number, floor: number, M: Float64Array, d: Float64Array): number {
  while (!choleskyShifted(S, mu, nb, M)) mu = Math.max(4 * mu, floor * 1e3)
  choleskySolve(M, nb, d)
  let big = 0
  for (let j = 0; j < nb; j++) big = Math.max(big, Math.abs(d[j]))
  if (big > ELIMINATE_MAX_STEP) { const s = ELIMINATE_MAX_STEP / big; for (let j = 0; j < nb; j++) d[j] *= s }
  return mu
}

/** d.S.d from the lower triangle of S (nb x nb). */
export function quadForm(S: Float64Array, nb: number, d: Float64Array): number {
  let dSd = 0
  for (let j = 0; j < nb; j++) {
    const jo = j * nb
    let row = 0.5 * S[jo + j] * d[j]
    for (let k = 0; k < j; k++) row += S[jo + k] * d[k]
    dSd += 2 * row * d[j]
  }
  return dSd
}

/** r <- (L L^T)^-1 r with L the lower triangle of M. */
export function choleskySolve(M: Float64Array, n: number, r: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = r[i]
    for (let k = 0; k < i; k++) s -= M[i * n + k] * r[k]
    r[i] = s / M[i * n + i]
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = r[i]
    for (let k = i + 1; k < n; k++) s -= M[k * n + i] * r[k]
    r[i] = s / M[i * n + i]
  }
}

/** Block coordinate-descent sweeps at most before the Newton iterations (free phase only). */
export const ELIMINATE_SWEEPS = 4
/** A Newton step moves no kept node by more than this (rad): beyond it the quadratic model means little. */
export const ELIMINATE_MAX_STEP = 1
/** Below this predicted decrease (relative to |E|) energies are too close to compare: the force decides. */
const PRED_FLOOR = 1e-10

/**
 * Minimises sys from x (in place) over the kept nodes of `el`, the A nodes aligned after every move,
 * until max|force| < o.tol over all free nodes. Force evaluations, alignments and energy evaluations
 * all count as force evaluations (each is one pass over the couplings). Returns null (x untouched or at an accepted
 * point, never worse) when the split does not hold at x: an A node without a field, or H_aa <= 0.
 */
export function relaxEliminate(sys: RelaxSystem, el: Elimination, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace): SolveStats | null {
  const n = sys.n
  let sc = ws.eliminate
  if (!sc || sc.el !== el) {
    const nb = el.b.length
    sc = ws.eliminate = { el, sink: new SchurSink(n, el), M: new Float64Array(nb * nb), d: new Float64Array(nb) }
  }
  const { sink, M, d } = sc
  const { f, y } = ws
  const fy = ws.v
  const kb = el.b, nb = kb.length
  const counts = { evals: 0, hevals: 0 }
  // every alignment is one pass over the couplings; so is an energy without alignedEnergy
  const energyAfterAlign = (z: Float64Array): number => {
    if (el.alignedEnergy) return el.alignedEnergy()
    counts.evals++
    return sys.energy(z)
  }
  el.prepare?.()
  counts.evals++
  if (!el.align(x)) return null
  let E = energyAfterAlign(x)
  // From a random start: a few sweeps of exact block coordinate descent (kept side, then the
  // eliminated side, each to its closed-form minimiser) while they still lower the energy a lot;
  // cheaper than Newton iterations far from a minimum, and the energy only falls.
  const sweeps = el.alignKept ? ELIMINATE_SWEEPS : 0
  for (let s = 0; s < sweeps; s++) {
    y.set(x)
    counts.evals += 2
    if (!el.alignKept!(y) || !el.align(y)) break
    const Ey = energyAfterAlign(y)
    if (!(Ey < E)) break
    x.set(y)
    const drop = E - Ey
    E = Ey
    if (drop < 1e-3 * (1 + Math.abs(E))) break
  }
  let res = sys.force(x, f)
  counts.evals++
  let mu = 0, iters = 0, hessOk = false
  while (res >= o.tol && counts.evals < o.maxEvals) {
    iters++
    if (!hessOk) {
      counts.hevals++
      if (el.reducedHessian) {
        if (!el.reducedHessian(x, sink.S)) return null
      } else {
        sys.hessian!(x, sink)
        if (sink.bad || !sink.schur()) return null
      }
      hessOk = true
    }
    const S = sink.S
    let scale = 0
    for (let j = 0; j < nb; j++) scale = Math.max(scale, Math.abs(S[j * nb + j]))
    const floor = 1e-8 * (scale + 1e-12)
    for (let j = 0; j < nb; j++) d[j] = f[kb[j]]
    mu = lmSolve(S, nb, mu, floor, M, d)
    // predicted decrease of the quadratic model: f.d - d.S.d / 2
    let fd = 0
    for (let j = 0; j < nb; j++) fd += f[kb[j]] * d[j]
    const pred = fd - 0.5 * quadForm(S, nb, d)
    y.set(x)
    for (let j = 0; j < nb; j++) y[kb[j]] += d[j]
    let accept = false, Ey = E, ry = Infinity
    counts.evals++
    if (el.align(y)) {
      if (pred > PRED_FLOOR * (1 + Math.abs(E))) {
        Ey = energyAfterAlign(y)
        const rho = (E - Ey) / pred
        if (rho > 1e-4) {
          accept = true
          ry = sys.force(y, fy)
          counts.evals++
          // a good model: trust it more (back to plain Newton quickly, which converges quadratically)
          if (rho > 0.75) mu = mu * 0.125 < floor * 1e3 ? 0 : mu * 0.125
          else if (rho > 0.25) mu = mu * 0.5 < floor * 1e3 ? 0 : mu * 0.5
        }
      } else {
        // next to a stationary point: the energy no longer resolves the step, the force does
        ry = sys.force(y, fy)
        counts.evals++
        if (ry < res) { accept = true; Ey = energyAfterAlign(y) }
      }
    }
    if (accept) {
      x.set(y)
      f.set(fy)
      E = Ey
      res = ry
      hessOk = false
      if (res === Infinity) break // a nudge singularity: unsettled
    } else {
      mu = Math.max(4 * mu, floor * 1e3)
      if (mu > 1e12 * (scale + 1)) break
    }
  }
  return { settled: res < o.tol, residual: res, forceEvals: counts.evals, hessianEvals: counts.hevals, steps: iters }
}
