// Run states and the transitions between them, as data (bluesky's RunEngine state table).
import { EqpError } from '../errors.ts'

export const RUN_TRANSITIONS = {
  queued: ['running', 'cancelled'],
  running: ['paused', 'suspended', 'done', 'failed', 'cancelled'],
  paused: ['running', 'cancelled'],
  // device lost, or the daemon stopped under the run; resumes from the last checkpoint
  suspended: ['running', 'failed', 'cancelled'],
  done: [],
  failed: [],
  cancelled: [],
} as const satisfies Record<string, readonly string[]>

export type RunState = keyof typeof RUN_TRANSITIONS
export const RUN_STATES = Object.keys(RUN_TRANSITIONS) as RunState[]

/** States in which a run holds its device (the lease). */
export const HOLDS_DEVICE: readonly RunState[] = ['running', 'paused', 'suspended']

/** Whether nothing can follow the state. */
export function isTerminal(s: RunState): boolean {
  return RUN_TRANSITIONS[s].length === 0
}

/** Throws EQP_ERR_RUN_BAD_TRANSITION unless the table allows from -> to. */
export function checkTransition(from: RunState, to: RunState): void {
  if (!(RUN_TRANSITIONS[from] as readonly string[]).includes(to)) throw new EqpError('EQP_ERR_RUN_BAD_TRANSITION', [from, to])
}
