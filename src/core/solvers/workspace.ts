import { BandMatrix } from './band.ts'
import type { EliminateScratch } from './eliminate.ts'
import type { LinearCache } from './linear.ts'

/** Scratch arrays for every solver, made once per network and reused on every relaxation. */
export interface RelaxWorkspace {
  readonly n: number
  readonly f: Float64Array
  readonly v: Float64Array
  readonly y: Float64Array
  readonly dx: Float64Array
  /** Dormand-Prince stages */
  readonly k: Float64Array[]
  readonly H: BandMatrix
  /** shifted linear solvers over H (implicit flow), made on first use */
  linear?: LinearCache
  /** Schur complement scratch of the 'eliminate' solver, made on first use */
  eliminate?: EliminateScratch
}

/** Allocates solver scratch for n nodes and a Hessian half-bandwidth b. */
export function createRelaxWorkspace(n: number, b: number): RelaxWorkspace {
  const a = () => new Float64Array(n)
  return { n, f: a(), v: a(), y: a(), dx: a(), k: [a(), a(), a(), a(), a(), a(), a()], H: new BandMatrix(n, b) }
}
