// Request and reply shapes of the datasets resource.
import { z } from 'zod'

export const DATASET_LIMITS = { bytes: 8 * 1024 * 1024, rows: 100_000, features: 1024, classes: 64 } as const

export const DatasetName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "not a dataset name (1-64 of a-z, 0-9, '-', '_', starting with a letter or digit)")
export const DatasetParams = z.strictObject({ name: DatasetName })

/** POST /datasets: a table with numeric features and a class label per row, as CSV text or JSON rows. */
export const DatasetUpload = z
  .strictObject({
    name: DatasetName,
    description: z.string().max(1000).optional(),
    /** CSV with a header row; every column but the label must be numeric */
    csv: z.string().max(DATASET_LIMITS.bytes).optional(),
    rows: z.array(z.strictObject({
      features: z.array(z.number()).min(1).max(DATASET_LIMITS.features),
      /** a class (text or a whole number), or with kind 'regression' a numeric target */
      label: z.union([z.string().min(1).max(200), z.number().finite()]),
    })).max(DATASET_LIMITS.rows).optional(),
    /** CSV only: the label column (default: a column named 'label', else the last one) */
    labelColumn: z.string().min(1).max(200).optional(),
    /** share of each class (regression: of all rows) held out as the test split (0: test = train) */
    testFraction: z.number().min(0).max(0.9).default(0.2),
    /** 'regression': the label column (JSON rows: label) holds a numeric target, trained as a continuous output (MSE, R^2) */
    kind: z.enum(['classification', 'regression']).default('classification'),
  })
  .superRefine((v, ctx) => {
    if ((v.csv === undefined) === (v.rows === undefined)) ctx.addIssue({ code: 'custom', path: ['csv'], message: 'give exactly one of csv (text) or rows (JSON)' })
    if (v.labelColumn !== undefined && v.csv === undefined) ctx.addIssue({ code: 'custom', path: ['labelColumn'], message: 'only with csv' })
  })
export type DatasetUpload = z.infer<typeof DatasetUpload>
export type DatasetUploadInput = z.input<typeof DatasetUpload>

export const DatasetView = z.object({
  name: z.string(),
  description: z.string(),
  builtin: z.boolean(),
  nIn: z.int(),
  nOut: z.int(),
  classes: z.int(),
  classNames: z.array(z.string()).nullable(),
  features: z.array(z.string()).nullable(),
  /** split sizes with seed 0 */
  trainRows: z.int(),
  testRows: z.int(),
  createdAt: z.string().nullable(),
})
export type DatasetView = z.infer<typeof DatasetView>
export const DatasetList = z.object({ datasets: z.array(DatasetView) })

/** An uploaded table as stored: parsed values, class index per row (regression: numeric target per row, no classes). */
export interface StoredTable {
  featureNames: string[]
  classNames: string[]
  x: number[][]
  label: number[]
  testFraction: number
  /** absent in tables stored before regression uploads: classification */
  kind?: 'classification' | 'regression'
  /** regression only: the raw target of each row; the label column's name is targetName */
  target?: number[]
  targetName?: string
}
