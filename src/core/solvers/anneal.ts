// Simulated annealing for the Ising model (src/core/physics/ising.ts): single-spin Metropolis sweeps
// over the free spins along an inverse-temperature schedule, forward (hot -> cold, from a random state)
// or reverse (from a given state: cold -> a reverse point -> hold -> cold), as D-Wave's forward and
// reverse anneals do. Local fields are kept up to date on every accepted flip (CSR adjacency), so an
// attempt costs O(1) and a flip O(degree); nothing is allocated inside a sweep.
import type { IsingNet } from '../physics/ising.ts'
import type { Rng } from '../rng/rng.ts'

export const SCHEDULE_KINDS = ['geometric', 'linear'] as const
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number]

/** The forward schedule: inverse temperatures (1/energy units) of `sweeps` sweeps, betaHot -> betaCold. */
export function forwardSchedule(kind: ScheduleKind, betaHot: number, betaCold: number, sweeps: number): Float64Array {
  const b = new Float64Array(sweeps)
  for (let t = 0; t < sweeps; t++) {
    const u = sweeps === 1 ? 1 : t / (sweeps - 1)
    b[t] = kind === 'geometric' ? betaHot * (betaCold / betaHot) ** u : betaHot + (betaCold - betaHot) * u
  }
  return b
}

/**
 * The reverse anneal over a forward schedule of S sweeps: from the cold end back down to schedule
 * position `point` (0 = hottest, 1 = coldest, like D-Wave's s), `hold` sweeps there, then forward to
 * the cold end again: 2 (S - 1 - p) + hold sweeps with p = round(point (S - 1)).
 */
export function reverseSchedule(forward: Float64Array, point: number, hold: number): Float64Array {
  const S = forward.length, p = Math.round(Math.min(1, Math.max(0, point)) * (S - 1))
  const out = new Float64Array(2 * (S - 1 - p) + hold)
  let t = 0
  for (let i = S - 2; i >= p; i--) out[t++] = forward[i]
  for (let i = 0; i < hold; i++) out[t++] = forward[p]
  for (let i = p + 1; i < S; i++) out[t++] = forward[i]
  return out
}

/**
 * Local fields F_i = h_i + ext_i + sum_j J_ij x_j of every free node of x into field (inputs read as
 * values); flipping spin i changes E by 2 s_i F_i.
 */
export function isingFields(net: IsingNet, x: Float64Array, ext: Float64Array | null, field: Float64Array): void {
  const { free, h, w, adjStart, adjNode, adjEdge, inStart, inNode, inEdge } = net
  for (let q = 0; q < free.length; q++) {
    const i = free[q]
    let f = h[i] + (ext ? ext[i] : 0)
    for (let p = inStart[i]; p < inStart[i + 1]; p++) f += w[inEdge[p]] * x[inNode[p]]
    for (let p = adjStart[i]; p < adjStart[i + 1]; p++) f += w[adjEdge[p]] * x[adjNode[p]]
    field[i] = f
  }
}

const U32 = 2.3283064365386963e-10 // 2^-32

/**
 * Runs Metropolis sweeps betas[from .. to) over the free spins of x in place (sequential order; each
 * single-spin update keeps exp(-beta E) invariant, so a constant schedule samples the Boltzmann
 * distribution). `field` must hold isingFields(x) on entry and is kept current. Returns the number of
 * flips in the last sweep.
 */
export function metropolisSweeps(net: IsingNet, x: Float64Array, field: Float64Array, betas: Float64Array, from: number, to: number, rng: Rng): number {
  const { free, w, adjStart, adjNode, adjEdge } = net
  let flips = 0
  for (let t = from; t < to; t++) {
    const beta = betas[t]
    flips = 0
    for (let q = 0; q < free.length; q++) {
      const i = free[q], si = x[i]
      const dE = 2 * si * field[i]
      // uphill moves beyond exp(-40) are never taken: skip the random draw
      if (dE > 0 && (beta * dE > 40 || rng.nextU32() * U32 >= Math.exp(-beta * dE))) continue
      const d = -2 * si
      x[i] = -si
      flips++
      for (let p = adjStart[i]; p < adjStart[i + 1]; p++) field[adjNode[p]] += w[adjEdge[p]] * d
    }
  }
  return flips
}
