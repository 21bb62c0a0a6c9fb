// A comparison study: several (network, task, hyper-parameters) entries, each trained for several
// seeds. The hyper-parameters are the train command's TrainConfig fields, so one schema serves both.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { SimXyOptions } from '../../../drivers/sim/xy.ts'
import { Optimiser } from '../../core/eqprop/optimisers.ts'
import { formatIssues, MODEL_NAMES } from '../../core/network/network.ts'
import { parseBuilderString } from '../../core/topology/index.ts'
import { TrainConfig } from '../../engine/config.ts'
import { EqpError } from '../../errors.ts'

/** When a seed counts as having learned: test accuracy at an evaluation >= value, or an epoch's mean training D < value. */
export const StudyTarget = z.strictObject({ metric: z.enum(['test_acc', 'distance']), value: z.number().finite() })
export type StudyTarget = z.infer<typeof StudyTarget>

/** One row of the study: TrainConfig's fields (except seed) plus what to train, on which seeds, and the target. */
export const StudyEntry = TrainConfig.omit({ seed: true }).extend({
  /** names the entry in the table and its per-run files (<label>-seed<k>.json) */
  label: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (it names files)'),
  /** builder string (lattice:5x5, lcl:8x8:c4k3s1:tied, ...) or a network JSON file */
  network: z.string().min(1),
  task: z.string().min(1),
  /** simulate this substrate (as `train --substrate`); absent = the network's own model (xy for builders) */
  substrate: z.enum(MODEL_NAMES).optional(),
  /** value models: clamp dataset values signed (sin v) or unit ((1 + sin v)/2), as `train --input-values` */
  inputValues: z.enum(['signed', 'unit']).optional(),
  /** resistor networks: the input stage's voltage gain, as `train --input-gain` */
  inputGain: z.number().positive().finite().optional(),
  /** the run seeds (network, data split and training all use the run seed, as `train --seed`), or a count n for seeds 0..n-1 */
  seeds: z.union([z.array(z.int().min(0).max(2 ** 32 - 1)).min(1), z.int().positive().max(1000)]),
  /** as TrainConfig's, or just its kind: "adam" */
  optimiser: z.preprocess((v) => (typeof v === 'string' ? { kind: v } : v), Optimiser).default({ kind: 'sgd' }),
  solver: SimXyOptions.shape.solver,
  dynamics: SimXyOptions.shape.dynamics,
  dynamicsT: SimXyOptions.shape.dynamicsT,
  tol: SimXyOptions.shape.tol,
  /** train on the first K training rows of each class only, as `train --train-per-class` (CI-sized versions of image studies) */
  trainPerClass: z.int().positive().optional(),
  /** evaluate on the first K test rows of each class only (the evaluations then cost less than a whole test split) */
  testPerClass: z.int().positive().optional(),
  /** stop a seed early once an epoch's mean training D is below this */
  stopAtDistance: z.number().positive().optional(),
  target: StudyTarget.optional(),
})
export type StudyEntry = z.infer<typeof StudyEntry>
export type StudyEntryInput = z.input<typeof StudyEntry>

export const StudyConfig = z.strictObject({
  name: z.string().min(1),
  entries: z.array(StudyEntry).min(1),
}).superRefine((c, ctx) => {
  const seen = new Set<string>()
  c.entries.forEach((e, k) => {
    if (seen.has(e.label)) ctx.addIssue({ code: 'custom', path: ['entries', k, 'label'], message: `'${e.label}' is used by an earlier entry` })
    seen.add(e.label)
    // builder strings are checked now, so a typo fails before hours of training
    if (!e.network.endsWith('.json')) {
      try { parseBuilderString(e.network) } catch (err) { ctx.addIssue({ code: 'custom', path: ['entries', k, 'network'], message: (err as Error).message }) }
    }
  })
})
export type StudyConfig = z.infer<typeof StudyConfig>
export type StudyConfigInput = z.input<typeof StudyConfig>

/** The seeds of an entry as a list. */
export function entrySeeds(e: StudyEntry): number[] {
  return typeof e.seeds === 'number' ? Array.from({ length: e.seeds }, (_, k) => k) : e.seeds
}

/** Parses a study config; a bad one is EQP_ERR_BAD_INPUT naming the file and each bad field (`entries.1.lr: ...`). */
export function parseStudyConfig(raw: unknown, where: string): StudyConfig {
  const r = StudyConfig.safeParse(raw)
  if (!r.success) throw new EqpError('EQP_ERR_BAD_INPUT', [where, formatIssues(r.error)])
  return r.data
}

/** Reads and parses a study config file. */
export function readStudyConfig(path: string): StudyConfig {
  let text: string
  try { text = readFileSync(path, 'utf8') } catch (e) { throw new EqpError('EQP_ERR_FILE_READ', [path, (e as NodeJS.ErrnoException).code ?? String(e)]) }
  let raw: unknown
  try { raw = JSON.parse(text) } catch (e) { throw new EqpError('EQP_ERR_BAD_INPUT', [path, `not valid JSON (${(e as Error).message})`]) }
  return parseStudyConfig(raw, path)
}
