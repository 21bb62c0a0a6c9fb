// Tasks by name, so the CLI, REST and run records refer to a dataset by a string.
import type { Dataset } from './dataset.ts'
import { irisDataset } from './iris.ts'
import { xorDataset } from './xor.ts'

/** A named task; load(seed) is deterministic in the seed (splits, not encodings). */
export interface DatasetEntry {
  description: string
  load(seed: number): Dataset
}

export const DATASETS = {
  xor: { description: 'XOR on 2 phase inputs (±pi/2), 1 output; 4 rows, test = train', load: () => xorDataset() },
  iris: { description: 'Iris, 4 features -> 3 classes; 120 train / 30 test, stratified by seed', load: (seed: number) => irisDataset(seed) },
} as const satisfies Record<string, DatasetEntry>

export type DatasetName = keyof typeof DATASETS

/** Loads a dataset by name; throws RangeError listing the known names for an unknown one. */
export function loadDataset(name: string, seed = 0): Dataset {
  if (!Object.hasOwn(DATASETS, name)) {
    throw new RangeError(`unknown dataset '${name}'; known: ${Object.keys(DATASETS).join(', ')}`)
  }
  return DATASETS[name as DatasetName].load(seed)
}
