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

/** A task: its sizes and its train and test splits. */
export interface Dataset {
  name: string
  nIn: number
  nOut: number
  classes: number
  train: Split
  test: Split
}
