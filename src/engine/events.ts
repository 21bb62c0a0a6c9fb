// What the engine reports; the CLI progress bar, the store and the event streams all read these.

export interface BatchMetrics {
  /** mean monitoring distance D over the free equilibria of the batch */
  distance: number
  /** mean cost C over the free equilibria */
  cost: number
  /** fraction of the batch's free equilibria classified correctly (patterns: whole pattern right; regression: 0, read mse and r2) */
  accuracy: number
  /** regression and pattern tasks: mean squared error of the output values in [-1, 1] (XY sin phi) against the targets' */
  mse?: number
  /** regression tasks: 1 - mse / variance of the target values over the split (the training split for batches and epochs) */
  r2?: number
  /** fraction of free relaxations that settled */
  settled: number
  /** fraction of samples left out of the gradient: no usable nudged equilibrium at all */
  dropped: number
  /** fraction of samples whose estimate fell back to one-sided (+beta), the plan's other nudges being unusable */
  fallback: number
}

export interface EvalMetrics { split: 'train' | 'test'; accuracy: number; distance: number; cost: number; settled: number; samples: number; mse?: number; r2?: number }

export type EngineEvent =
  | { type: 'batch'; epoch: number; batch: number; batches: number; step: number; metrics: BatchMetrics }
  | { type: 'epoch'; epoch: number; epochs: number; metrics: BatchMetrics; timeS: number }
  | { type: 'eval'; epoch: number; metrics: EvalMetrics }
