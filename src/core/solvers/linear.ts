// Linear solves with a shifted Hessian, (H + s I) z = r, as implicit flows and Newton steps need
// them: by Cholesky over the workspace's band / envelope storage, or by preconditioned conjugate
// gradients over sparse storage. Which one wins depends on the graph (see chooseLinear).
import type { BandMatrix } from './band.ts'
import { EnvelopeMatrix } from './envelope.ts'
import { createPcgWork, pcgSolve, SparseSymMatrix, type PcgWork } from './sparse.ts'
import type { RelaxSystem } from './system.ts'

export const LINEAR_SOLVERS = ['auto', 'cholesky', 'pcg'] as const
export type LinearSolverName = (typeof LINEAR_SOLVERS)[number]

/** One Hessian, solved against for several shifts and right-hand sides. */
export interface ShiftedSolver {
  readonly kind: 'cholesky' | 'pcg'
  /** Evaluates H(x) of sys into this solver's storage (one Hessian evaluation). */
  load(sys: RelaxSystem, x: Float64Array): void
  /** Prepares solves with H + shift I; false when it is not positive definite. */
  factor(shift: number): boolean
  /** r <- (H + shift I)^-1 r; false when the solve failed (not positive definite, or no convergence). */
  solve(r: Float64Array): boolean
}

/** Band or envelope Cholesky; keeps a copy of H so another shift costs a refactorisation, not a Hessian. */
export class CholeskyShifted implements ShiftedSolver {
  readonly kind = 'cholesky'
  private readonly saved: Float64Array
  private ok = false

  constructor(private readonly H: BandMatrix) {
    this.saved = new Float64Array(H.a.length)
  }

  load(sys: RelaxSystem, x: Float64Array): void {
    sys.hessian!(x, this.H)
    this.saved.set(this.H.a)
  }

  factor(shift: number): boolean {
    const { a, w, b, n } = this.H
    a.set(this.saved)
    for (let i = 0; i < n; i++) a[i * w + b] += shift
    this.ok = this.H.cholesky()
    return this.ok
  }

  solve(r: Float64Array): boolean {
    if (!this.ok) return false
    this.H.solveInPlace(r)
    return true
  }
}

/**
 * Relative residual (in the preconditioner's norm) at which PCG stops: an inexact solve, as in
 * inexact Newton methods. Measured on XY lattices (docs/explanation/relaxation-dynamics.md): on
 * 40x40 and 80x80, 1e-2 takes the same implicit steps as 1e-4 with ~40% fewer CG iterations, and
 * ends in the same minima on 15x15 and 24x24; 1e-1 costs extra steps (248 vs 203 evaluations on 15x15).
 */
export const PCG_RTOL = 1e-2

/** Conjugate gradients on the sparse Hessian with a symmetric Gauss-Seidel preconditioner (Eisenstat's form, see pcgSolve). */
export class PcgShifted implements ShiftedSolver {
  readonly kind = 'pcg'
  readonly A: SparseSymMatrix
  readonly work: PcgWork
  private shift = 0

  constructor(n: number, private readonly maxIter = Math.max(200, 4 * n)) {
    this.A = new SparseSymMatrix(n)
    this.work = createPcgWork(n)
  }

  load(sys: RelaxSystem, x: Float64Array): void {
    sys.hessian!(x, this.A)
    this.A.assemble()
  }

  factor(shift: number): boolean {
    this.shift = shift
    const { val, diagPos } = this.A
    for (let i = 0; i < this.A.n; i++) if (!(val[diagPos[i]] + shift > 0)) return false
    return true
  }

  solve(r: Float64Array): boolean {
    return pcgSolve(this.A, this.shift, r, this.work, PCG_RTOL, this.maxIter)
  }
}

/**
 * PCG is chosen when a Cholesky factor would cost this many times the stored Hessian entries or more
 * (about the cost of that many CG iterations). Measured on XY lattices, CPU ms per implicit step
 * (bench/solvers.bench.ts, BENCH_ONLY=switch and step; docs/explanation/relaxation-dynamics.md):
 * 14x14 Cholesky 0.11 vs PCG 0.15, 16x16 0.11 vs 0.12, 20x20 0.24 vs 0.20, 24x24 0.44 vs 0.35,
 * 40x40 2.5 vs 1.0, 80x80 32 vs 3.8: the switch lies at ~20x20.
 */
export const PCG_MIN_FILL_RATIO = 40

/**
 * Picks the linear solver for a system: 'cholesky' for envelope storage (layered nets, whose factor
 * costs O(n k^2)) and for bands narrow enough that n b^2 / 2 stays below PCG_MIN_FILL_RATIO times the
 * Hessian's entries; 'pcg' otherwise (lattices from ~20x20). `sparse` holds H(x) already loaded.
 */
export function chooseLinear(H: BandMatrix, sparse: SparseSymMatrix): 'cholesky' | 'pcg' {
  if (H instanceof EnvelopeMatrix) return 'cholesky'
  const choleskyCost = 0.5 * H.n * H.b * H.b
  return choleskyCost >= PCG_MIN_FILL_RATIO * sparse.nnz ? 'pcg' : 'cholesky'
}

/** Shifted solvers made for one workspace, and the 'auto' choice once made. */
export interface LinearCache { cholesky?: CholeskyShifted; pcg?: PcgShifted; auto?: 'cholesky' | 'pcg' }

/**
 * The shifted solver `name` for a workspace's Hessian storage H, made on first use and cached in
 * `cache`. Resolving 'auto' the first time evaluates one Hessian at x (counted in counts.hevals).
 */
export function shiftedSolver(cache: LinearCache, H: BandMatrix, sys: RelaxSystem, x: Float64Array, name: LinearSolverName, counts: { hevals: number }): ShiftedSolver {
  let kind = name === 'auto' ? cache.auto : name
  if (kind === undefined) {
    cache.pcg ??= new PcgShifted(H.n)
    cache.pcg.load(sys, x)
    counts.hevals++
    kind = cache.auto = chooseLinear(H, cache.pcg.A)
  }
  if (kind === 'pcg') return (cache.pcg ??= new PcgShifted(H.n))
  return (cache.cholesky ??= new CholeskyShifted(H))
}
