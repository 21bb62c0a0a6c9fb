// What every in-process simulator announces: the network's topology as the board's, its clampable
// nodes = the inputs, its nudgeable nodes = the outputs, and the emulated ranges.
import { z } from 'zod'
import type { ModelName, Network } from '../../src/core/network/network.ts'
import { SOLVER_NAMES, type RelaxSystem, type SolverName } from '../../src/core/solvers/system.ts'
import { EqpError } from '../../src/errors.ts'
import { DYNAMICS } from '../../src/core/solvers/reference.ts'
import { Range, type SubstrateInfo } from '../substrate.ts'
import { Imperfections } from './imperfections.ts'

/** SubstrateInfo of a simulator of `model` over a validated network. */
export function simulatorInfo(model: ModelName, net: Network, o: { uid?: string; coupling: Range; bias: Range; maxBatch: number }): SubstrateInfo {
  return {
    uid: o.uid ?? `sim-${model}-${net.nodes}n-${net.edges.length}e`,
    model, firmware: `sim-${model} 0.1.0`, protocol: 'in-process',
    nodes: net.nodes, edges: net.edges.map(([i, j]) => [i, j] as [number, number]),
    clampable: [...net.inputs], nudgeable: [...net.outputs],
    ranges: { coupling: o.coupling, bias: o.bias },
    maxBatch: o.maxBatch, reports: 'states', onBoardLearning: false, hasBias: true,
  }
}

/**
 * Couplings from which kernel 'auto' takes the folded / dense path (XY and OIM). The folded path
 * reaches the same equilibria but rounds differently; below this the gain is milliseconds, so small
 * networks (XOR, Iris, the published runs) stay bit-for-bit on the per-edge path
 * (measurements in docs/explanation/dense-kernels.md).
 */
export const FOLD_AUTO_MIN_EDGES = 4096

/** The options of a phase-oscillator simulator (XY, OIM): solver, budgets, board ranges, imperfections, kernel. */
export function phaseSimOptionsShape(defaultSolver: SolverName) {
  return {
    uid: z.string().min(1).optional(),
    solver: z.enum(SOLVER_NAMES).default(defaultSolver),
    /**
     * 'converged' = relax with `solver` until max |force| < tol; 'reference' = integrate the gradient
     * flow for model time dynamicsT (Dormand-Prince, rtol = atol = 1e-8) with no convergence test, as
     * the published XY code does; settled then says whether max |force| < tol at T
     */
    dynamics: z.enum(DYNAMICS).default('converged'),
    /** reference dynamics: model time to integrate (time units of the gradient flow) */
    dynamicsT: z.number().positive().max(1e7).default(100),
    /** settle when max |force| < tol */
    tol: z.number().positive().default(1e-6),
    maxEvals: z.int().positive().default(20_000),
    maxBatch: z.int().positive().default(4096),
    /** couplings as the board applies them: clipped to [min, max], quantised to levels (0 = continuous) */
    coupling: Range.default({ min: -1e6, max: 1e6, levels: 0 }),
    /** the node families (h, and psi or S) as the board applies them */
    bias: Range.default({ min: -1e6, max: 1e6, levels: 0 }),
    /** readout bits, Langevin noise, device variation and drift (all off by default) */
    ...Imperfections.shape,
    /**
     * force kernel: 'typed' = per-edge loops over the whole network; 'dense' = clamped inputs folded
     * into per-sample fields once per relax call, only the free nodes relaxed (XY: dense layer blocks
     * as matrix products); 'auto' (absent) = 'dense' from FOLD_AUTO_MIN_EDGES couplings
     */
    kernel: z.enum(['auto', 'dense', 'typed']).optional(),
    /**
     * how solver 'eliminate' relaxes a batch: 'lockstep' (absent) = every sample advanced together by
     * batched WebAssembly kernels where that is built (XY and OIM, dense kernel, one hidden layer), else one
     * sample after the other; 'per-sample' = one after the other always (the reference for comparisons)
     */
    batching: z.enum(['lockstep', 'per-sample']).optional(),
  }
}

/**
 * Refuses solver 'eliminate' (with converged dynamics) when the system a simulator relaxes has no
 * bipartite split of its free nodes, naming why (an intra-layer coupling, too many kept nodes, a model
 * without the closed-form minimiser), rather than silently running another solver.
 */
export function checkEliminate(opts: { solver: SolverName; dynamics: string }, sys: RelaxSystem & { eliminationReason?: string }, model: string): void {
  if (opts.solver !== 'eliminate' || opts.dynamics !== 'converged') return
  if (!sys.elimination) throw new EqpError('EQP_ERR_BAD_INPUT', ['solver', `'eliminate' is built for XY and OIM networks; the ${model} model has no closed-form single-node minimiser yet (use auto or fire-newton)`])
  if (!sys.elimination()) throw new EqpError('EQP_ERR_BAD_INPUT', ['solver', `'eliminate' needs free nodes that split into two sides with no coupling inside either: ${sys.eliminationReason ?? 'no split'}`])
}
