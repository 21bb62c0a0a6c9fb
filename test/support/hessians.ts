// One Hessian in both storages the solvers use, for tests that compare band Cholesky with PCG.
import { BandMatrix, SparseSymMatrix, type RelaxSystem } from '../../src/core/solvers/index.ts'

/** H(x) + shift I as a factored band matrix and H(x) as an assembled sparse one (shift applied by the caller of PCG). */
export function bandAndSparse(sys: Required<Pick<RelaxSystem, 'hessian'>> & { bandwidth: number }, n: number, x: Float64Array, shift: number): { band: BandMatrix; sparse: SparseSymMatrix; factored: boolean } {
  const band = new BandMatrix(n, sys.bandwidth), sparse = new SparseSymMatrix(n)
  sys.hessian(x, band)
  sys.hessian(x, sparse)
  sparse.assemble()
  for (let i = 0; i < n; i++) band.add(i, i, shift)
  return { band, sparse, factored: band.cholesky() }
}
