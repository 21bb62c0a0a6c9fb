// Hyper-parameters of a training run: one schema for CLI flags, config files and REST bodies.
import { z } from 'zod'
import { ESTIMATOR_NAMES } from '../core/eqprop/estimators.ts'
import { LrSchedule } from '../core/eqprop/lr-schedule.ts'
import { Optimiser } from '../core/eqprop/optimisers.ts'

export const TrainConfig = z.strictObject({
  estimator: z.enum(ESTIMATOR_NAMES).default('one-sided'),
  /** nudge strength (dimensionless, multiplies the cost) */
  beta: z.number().positive().max(10).default(0.1),
  lr: z.number().positive().default(0.1),
  /** how lr changes over the run's steps: constant, or a cosine / linear decay to lrFinalScale * lr at the last step */
  lrSchedule: LrSchedule.default('constant'),
  /** the decay's end point as a fraction of lr (ignored by 'constant') */
  lrFinalScale: z.number().min(0).max(1).default(0),
  optimiser: Optimiser.default({ kind: 'sgd' }),
  epochs: z.int().positive().default(100),
  /** samples per gradient step (the whole training set when larger) */
  batchSize: z.int().positive().default(16),
  /** random restarts of the free phase per sample, gradients averaged (M_init) */
  mInit: z.int().positive().max(1000).default(1),
  /** what a step does with the M_init free equilibria of a sample: 'mean' averages their gradients and
   *  metrics (the reference code); 'lowest' keeps only the one of lowest internal energy, the state an
   *  annealed board would settle in, and nudges that one (metrics are then of that state) */
  mInitSelect: z.enum(['mean', 'lowest']).default('mean'),
  /** also train the bias fields h and psi: without them XY energy is invariant under a global rotation,
   *  and XOR with inputs +-pi/2 maps (-,-) onto (+,+) rotated by pi, so it cannot be learned */
  trainBias: z.boolean().default(true),
  /** learning rate of h and psi relative to lr */
  biasLrScale: z.number().min(0).default(1),
  /** per-layer learning rates of the couplings relative to lr: entry d-1 scales the couplings whose deeper
   *  node is at graph depth d from the inputs (layered nets: the couplings into hidden layer d; the last
   *  entry the ones into the outputs); absent = 1 for all */
  layerLrScale: z.array(z.number().min(0).finite()).min(1).optional(),
  /** enter nudged states that did not settle into the update instead of leaving their samples out:
   *  what fixed-time (reference) dynamics mean, where the state at T is the equilibrium whether or not
   *  the flow has settled there; the simulator services set it for dynamics 'reference' */
  keepUnsettled: z.boolean().optional(),
  /** leave a sample out of a step when a nudged phase moved any node by more than this (rad) */
  maxNudgeShift: z.number().positive().optional(),
  seed: z.int().min(0).max(2 ** 32 - 1).default(0),
  /** where updates are computed: 'auto' lets a board that offers on-board learning (SPEC 13) apply the
   *  rule itself when the run fits it (one-sided estimator, sgd, untied couplings, continuous ranges, no
   *  maxNudgeShift), else the host computes them; 'host' always computes them on the host */
  learning: z.enum(['auto', 'host']).default('auto'),
  /** evaluate on the test split every this many epochs (0 = only at the end) */
  evalEvery: z.int().nonnegative().default(1),
  /** random restarts per test sample at evaluation (scores averaged) */
  evalRestarts: z.int().positive().max(100).default(1),
})
export type TrainConfig = z.infer<typeof TrainConfig>
export type TrainConfigInput = z.input<typeof TrainConfig>
