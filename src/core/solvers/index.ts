import { relaxFire } from './fire.ts'
import { relaxRk45 } from './rk45.ts'
import type { RelaxSystem, SolveOptions, SolveStats, SolverName } from './system.ts'
import type { RelaxWorkspace } from './workspace.ts'

export * from './band.ts'
export * from './system.ts'
export * from './workspace.ts'
export { relaxFire, relaxRk45 }
export { relaxLangevin, type LangevinOptions } from './langevin.ts'

/** Relaxes one sample in place with the named solver. */
export function relaxWith(name: SolverName, sys: RelaxSystem, x: Float64Array, o: SolveOptions, ws: RelaxWorkspace): SolveStats {
  switch (name) {
    case 'rk45': return relaxRk45(sys, x, o, ws)
    case 'flow-newton': return relaxRk45(sys, x, o, ws, true)
    case 'fire': return relaxFire(sys, x, o, ws, false)
    case 'fire-newton': return relaxFire(sys, x, o, ws, true)
  }
}
