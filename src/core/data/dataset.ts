// The in-memory form every task takes: phases ready to clamp (inputs) and to nudge toward (targets).

/** One split; row-major arrays, phases in rad. */
export interface Split {
  /** rows x nIn input phases (rad). */
  x: Float64Array
  /** rows x nOut target phases (rad). */
  y: Float64Array
  /** Class index per row, or -1 for regression-like tasks. */
  label: Int32Array
  rows: number
}

/**
 * What a task asks of the outputs, so metrics fit it: 'classification' (argmax readout, accuracy),
 * 'regression' (continuous targets: MSE and R^2 on output values; accuracy means nothing) or
 * 'patterns' (a +-pi/2 pattern over all outputs: accuracy counts whole patterns with every sign right).
 */
export type TaskKind = 'classification' | 'regression' | 'patterns'

/** A task: its sizes and its train and test splits. */
export interface Dataset {
  name: string
  /** absent: classification */
  kind?: TaskKind
  nIn: number
  nOut: number
  classes: number
  train: Split
  test: Split
}
