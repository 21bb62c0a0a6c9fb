// The 'eliminate' solver (eliminate.ts) for a whole batch in lockstep. Every sample runs the same
// method as relaxEliminate: block coordinate-descent sweeps from a random start, then damped Newton on
// the kept nodes with its own Levenberg-Marquardt shift, step and acceptance tests. Each sample is a
// small state machine waiting on one of three batched kernels (align the eliminated side, the kept
// side's force, the reduced Hessian); one round runs each kernel once over every sample waiting on it,
// then advances those samples to their next request. A settled sample asks for nothing more, so it
// drops out of the kernels' row lists. Samples never share arithmetic: a row's result is the same
// whatever else is in the batch, so splitting a batch over threads changes no bits.
import { ELIMINATE_SWEEPS, lmSolve, quadForm } from './eliminate.ts'
import type { SolveOptions } from './system.ts'

/**
 * A model's batched elimination over slots: slot q holds one kept-side state (kept phases x[q*nb ..])
 * and its aligned eliminated side. Sample s owns slots s and B + s (current and trial). Lists are
 * (sample, slot) pairs; count is the number of pairs.
 */
export interface BatchElimination {
  /** kept nodes per sample */
  readonly nb: number
  /** makes room for B samples (2B slots); called once per relaxation batch */
  reserve(B: number): void
  /** aligns the eliminated side of each listed slot to its kept phases; E[q] = energy there (NaN: some node has no minimiser) */
  align(list: Int32Array, count: number, x: Float64Array, E: Float64Array): void
  /** force on the kept nodes of each listed (aligned) slot into f[q*nb ..]; res[q] = max |f| (Infinity: no equilibrium, e.g. a slipping output) */
  force(list: Int32Array, count: number, x: Float64Array, f: Float64Array, res: Float64Array): void
  /** reduced Hessian of each listed (aligned, force computed) slot into the lower triangle of S[s*nb*nb ..] */
  hessian(list: Int32Array, count: number, x: Float64Array, S: Float64Array): void
  /**
   * Optional (a sweep): the kept phases of slot `to` = each kept node's minimiser given the eliminated side
   * of slot `from` (force computed there), the image nearest x[from]; false when not possible (a nudge).
   */
  alignKept?(s: number, from: number, to: number, x: Float64Array): boolean
}

/** Per-sample outcome arrays of relaxEliminateBatch (length B). */
export interface BatchStats {
  settled: Uint8Array
  residual: Float64Array
  forceEvals: Float64Array
  hessianEvals: Float64Array
  steps: Float64Array
  /** 1 where the split did not hold at the start (no minimiser): the caller relaxes that sample another way */
  failed: Uint8Array
  /** the slot holding each sample's final state */
  slot: Int32Array
}

/** Fresh per-sample statistics for a lockstep call over B samples. */
export function newBatchStats(B: number): BatchStats {
  return {
    settled: new Uint8Array(B), residual: new Float64Array(B), forceEvals: new Float64Array(B), hessianEvals: new Float64Array(B),
    steps: new Float64Array(B), failed: new Uint8Array(B), slot: new Int32Array(B),
  }
}

// what a sample waits for
const ALIGN_START = 0, SWEEP_FORCE = 1, SWEEP_ALIGN = 2, FORCE = 3, HESS = 4, TRIAL_ALIGN = 5, TRIAL_FORCE = 6, DONE = 7
const PRED_FLOOR = 1e-10

/** Scratch of relaxEliminateBatch, grown to the largest batch seen. */
export class BatchScratch {
  cap = -1
  nb = 0
  x = new Float64Array(0)
  f = new Float64Array(0)
  res = new Float64Array(0)
  E = new Float64Array(0)
  S = new Float64Array(0)
  M = new Float64Array(0)
  d = new Float64Array(0)
  lists = [new Int32Array(0), new Int32Array(0), new Int32Array(0)]
  ensure(B: number, nb: number): void {
    if (B <= this.cap && nb === this.nb) return
    this.cap = B; this.nb = nb
    this.x = new Float64Array(2 * B * nb); this.f = new Float64Array(2 * B * nb)
    this.res = new Float64Array(2 * B); this.E = new Float64Array(2 * B)
    this.S = new Float64Array(B * nb * nb); this.M = new Float64Array(nb * nb); this.d = new Float64Array(nb)
    this.lists = [new Int32Array(2 * B), new Int32Array(2 * B), new Int32Array(2 * B)]
  }
}

/** Rows handed to each kernel over a call of relaxEliminateBatch (for tests: settled samples cost none). */
export interface KernelRows { align: number; force: number; hessian: number }

/**
 * Relaxes B samples in lockstep from kept phases sc.x[s*nb ..] (slot s; the caller fills them after
 * sc.ensure) until max|force| < o.tol on each sample's kept nodes (the eliminated side is at its exact
 * minimiser, force zero to rounding). `sweeps`: start with block coordinate-descent sweeps (the free
 * phase from a random start). Evaluation counts follow relaxEliminate: every alignment and every force
 * is one pass over the couplings.
 */
export function relaxEliminateBatch(el: BatchElimination, B: number, sc: BatchScratch, o: SolveOptions, sweeps: boolean, out: BatchStats, rows?: KernelRows): void {
  const nb = el.nb
  el.reserve(B)
  const { x, f, res, E: Eq, S, M, d } = sc
  const stage = new Uint8Array(B), cur = new Int32Array(B), mu = new Float64Array(B), E = new Float64Array(B)
  const Ey = new Float64Array(B), pred = new Float64Array(B), scale = new Float64Array(B), hessOk = new Uint8Array(B)
  const nSweep = new Uint8Array(B), trialByForce = new Uint8Array(B)
  const evals = out.forceEvals, hev = out.hessianEvals, iters = out.steps
  for (let s = 0; s < B; s++) {
    cur[s] = s; evals[s] = 1; hev[s] = 0; iters[s] = 0; out.failed[s] = 0; out.settled[s] = 0; out.residual[s] = Infinity
  }
  const trial = (s: number) => (cur[s] === s ? B + s : s)
  const canSweep = sweeps && el.alignKept !== undefined

  /** the Newton loop's head: settled, out of budget, or the next step (a Hessian first when stale) */
  const newtonHead = (s: number): void => {
    const q = cur[s]
    if (!(res[q] >= o.tol) || evals[s] >= o.maxEvals) { stage[s] = DONE; return }
    iters[s]++
    if (!hessOk[s]) { hev[s]++; stage[s] = HESS; return }
    solveStep(s)
  }
  /** LM-shifted Newton step from the current slot into the trial slot; asks for the trial's alignment */
  const solveStep = (s: number): void => {
    const q = cur[s], t = trial(s), So = s * nb * nb
    const floor = 1e-8 * (scale[s] + 1e-12)
    const Ss = S.subarray(So, So + nb * nb)
    for (let j = 0; j < nb; j++) d[j] = f[q * nb + j]
    mu[s] = lmSolve(Ss, nb, mu[s], floor, M, d)
    let fd = 0
    for (let j = 0; j < nb; j++) fd += f[q * nb + j] * d[j]
    pred[s] = fd - 0.5 * quadForm(Ss, nb, d)
    for (let j = 0; j < nb; j++) x[t * nb + j] = x[q * nb + j] + d[j]
    evals[s]++
    stage[s] = TRIAL_ALIGN
  }
  const reject = (s: number): void => {
    const floor = 1e-8 * (scale[s] + 1e-12)
    mu[s] = Math.max(4 * mu[s], floor * 1e3)
    if (mu[s] > 1e12 * (scale[s] + 1)) { stage[s] = DONE; return }
    newtonHead(s)
  }
  const accept = (s: number): void => {
    cur[s] = trial(s)
    E[s] = Ey[s]
    hessOk[s] = 0
    if (res[cur[s]] === Infinity) { stage[s] = DONE; return } // a nudge singularity: unsettled
    newtonHead(s)
  }
  const afterSweeps = (s: number, forceKnown: boolean): void => {
    if (forceKnown) newtonHead(s)
    else { evals[s]++; stage[s] = FORCE }
  }

  let active = B
  while (active > 0) {
    // gather: align (start, sweep, trial), force (sweep, after sweeps, trial), Hessian
    const [la, lf, lh] = sc.lists
    let na = 0, nf = 0, nh = 0
    for (let s = 0; s < B; s++) {
      const st = stage[s]
      if (st === DONE) continue
      if (st === ALIGN_START) { la[2 * na] = s; la[2 * na + 1] = cur[s]; na++ }
      else if (st === SWEEP_ALIGN || st === TRIAL_ALIGN) { la[2 * na] = s; la[2 * na + 1] = trial(s); na++ }
      else if (st === SWEEP_FORCE || st === FORCE) { lf[2 * nf] = s; lf[2 * nf + 1] = cur[s]; nf++ }
      else if (st === TRIAL_FORCE) { lf[2 * nf] = s; lf[2 * nf + 1] = trial(s); nf++ }
      else { lh[2 * nh] = s; lh[2 * nh + 1] = cur[s]; nh++ }
    }
    if (na > 0) el.align(la, na, x, Eq)
    if (nf > 0) el.force(lf, nf, x, f, res)
    if (nh > 0) el.hessian(lh, nh, x, S)
    if (rows) { rows.align += na; rows.force += nf; rows.hessian += nh }
    // advance every sample that got its result
    for (let s = 0; s < B; s++) {
      switch (stage[s]) {
        case DONE: break
        case ALIGN_START: {
          const e = Eq[cur[s]]
          if (e !== e) { out.failed[s] = 1; stage[s] = DONE; break }
          E[s] = e
          if (canSweep) { evals[s]++; stage[s] = SWEEP_FORCE } else afterSweeps(s, false)
          break
        }
        case SWEEP_FORCE: {
          // the kept side to its minimiser given the aligned side: a pass the force already made
          if (nSweep[s] < ELIMINATE_SWEEPS && el.alignKept!(s, cur[s], trial(s), x)) { evals[s]++; stage[s] = SWEEP_ALIGN } else afterSweeps(s, true)
          break
        }
        case SWEEP_ALIGN: {
          const e = Eq[trial(s)]
          if (!(e < E[s])) { afterSweeps(s, true); break } // x stays, and its force is known
          cur[s] = trial(s)
          const drop = E[s] - e
          E[s] = e
          nSweep[s]++
          if (drop < 1e-3 * (1 + Math.abs(e)) || nSweep[s] >= ELIMINATE_SWEEPS) afterSweeps(s, false)
          else { evals[s]++; stage[s] = SWEEP_FORCE }
          break
        }
        case FORCE: newtonHead(s); break
        case HESS: {
          hessOk[s] = 1
          const So = s * nb * nb
          let sc2 = 0
          for (let j = 0; j < nb; j++) sc2 = Math.max(sc2, Math.abs(S[So + j * nb + j]))
          scale[s] = sc2
          solveStep(s)
          break
        }
        case TRIAL_ALIGN: {
          const t = trial(s), e = Eq[t]
          if (e !== e) { reject(s); break }
          Ey[s] = e
          if (pred[s] > PRED_FLOOR * (1 + Math.abs(E[s]))) {
            const rho = (E[s] - e) / pred[s]
            if (!(rho > 1e-4)) { reject(s); break }
            const floor = 1e-8 * (scale[s] + 1e-12)
            // a good model: trust it more (back to plain Newton quickly, which converges quadratically)
            if (rho > 0.75) mu[s] = mu[s] * 0.125 < floor * 1e3 ? 0 : mu[s] * 0.125
            else if (rho > 0.25) mu[s] = mu[s] * 0.5 < floor * 1e3 ? 0 : mu[s] * 0.5
            trialByForce[s] = 0
          } else trialByForce[s] = 1 // next to a stationary point: the energy no longer resolves the step, the force does
          evals[s]++
          stage[s] = TRIAL_FORCE
          break
        }
        case TRIAL_FORCE: {
          if (trialByForce[s] && !(res[trial(s)] < res[cur[s]])) reject(s)
          else accept(s)
          break
        }
      }
    }
    active = 0
    for (let s = 0; s < B; s++) if (stage[s] !== DONE) active++
  }
  for (let s = 0; s < B; s++) {
    out.slot[s] = cur[s]
    const r = out.failed[s] ? Infinity : res[cur[s]]
    out.residual[s] = r
    out.settled[s] = r < o.tol ? 1 : 0
  }
}
