// Image tasks (MNIST digits, Fashion-MNIST): IDX decoding, area-average downsampling, and the encoding
// of pixels and classes into phases (facts §6: x/(max-min)*pi - pi/2, targets one-hot -> ±pi/2 rad).
import { Rng } from '../rng/rng.ts'
import type { Dataset, Split } from './dataset.ts'

const H = Math.PI / 2

/** Greyscale images, row-major [rows, height*width], pixel values in [0, max]; labels are class indices. */
export interface ImageSet {
  rows: number
  height: number
  width: number
  /** intensity of a white pixel (255 for IDX bytes, 1 for the `mnist` package) */
  max: number
  pixels: Uint8Array | Float32Array | Float64Array
  labels: Uint8Array
}

/** A decoded IDX array (http://yann.lecun.com/exdb/mnist/ format): big-endian dims, unsigned bytes only. */
export interface IdxArray { dims: number[]; data: Uint8Array }

/** Decodes an IDX file held in memory; throws RangeError on a bad magic, element type or length. */
export function decodeIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) throw new RangeError(`idx: ${bytes.length} bytes is shorter than the 4-byte magic`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint16(0, false) !== 0) throw new RangeError('idx: the magic does not start with two zero bytes')
  const type = bytes[2], rank = bytes[3]
  if (type !== 0x08) throw new RangeError(`idx: element type 0x${type.toString(16)} is not unsigned byte (0x08)`)
  if (rank < 1) throw new RangeError('idx: rank 0')
  const head = 4 + 4 * rank
  if (bytes.length < head) throw new RangeError(`idx: ${bytes.length} bytes cannot hold the ${rank} dimension sizes`)
  const dims: number[] = []
  let count = 1
  for (let k = 0; k < rank; k++) { const d = view.getUint32(4 + 4 * k, false); dims.push(d); count *= d }
  if (bytes.length !== head + count) throw new RangeError(`idx: dims ${dims.join('x')} need ${head + count} bytes, got ${bytes.length}`)
  return { dims, data: bytes.subarray(head, head + count) }
}

/** Pairs an IDX images array [n, h, w] with an IDX labels array [n]; throws RangeError on mismatch. */
export function idxImageSet(images: IdxArray, labels: IdxArray): ImageSet {
  if (images.dims.length !== 3) throw new RangeError(`idx images: rank ${images.dims.length}, expected 3 (n, rows, cols)`)
  if (labels.dims.length !== 1) throw new RangeError(`idx labels: rank ${labels.dims.length}, expected 1`)
  const [rows, height, width] = images.dims
  if (labels.dims[0] !== rows) throw new RangeError(`idx: ${rows} images but ${labels.dims[0]} labels`)
  return { rows, height, width, max: 255, pixels: images.data, labels: labels.data }
}

/** Area-averages one h x w image (values at src[off..]) to hh x ww into out[outOff..]; exact for any ratio. */
export function areaDownsample(src: ArrayLike<number>, off: number, h: number, w: number, hh: number, ww: number, out: Float64Array, outOff: number): Float64Array {
  const sy = h / hh, sx = w / ww, inv = 1 / (sy * sx)
  for (let i = 0; i < hh; i++) {
    const y0 = i * sy, y1 = y0 + sy
    for (let j = 0; j < ww; j++) {
      const x0 = j * sx, x1 = x0 + sx
      let acc = 0
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const fy = Math.min(y + 1, y1) - Math.max(y, y0)
        for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
          acc += fy * (Math.min(x + 1, x1) - Math.max(x, x0)) * src[off + y * w + x]
        }
      }
      out[outOff + i * ww + j] = acc * inv
    }
  }
  return out
}

/** Encodes chosen rows of an image set: pixels -> [-pi/2, pi/2] rad (after downsampling to side x side), one-hot -> ±pi/2. */
export function encodeImages(set: ImageSet, rows: ArrayLike<number>, classes: number, side?: number): Split {
  const { height: h, width: w } = set
  const hh = side ?? h, ww = side ?? w
  const nIn = hh * ww, n = rows.length
  const x = new Float64Array(n * nIn), y = new Float64Array(n * classes).fill(-H), label = new Int32Array(n)
  const scale = Math.PI / set.max
  for (let r = 0; r < n; r++) {
    const i = rows[r], o = r * nIn
    if (hh === h && ww === w) for (let p = 0; p < nIn; p++) x[o + p] = set.pixels[i * nIn + p]
    else areaDownsample(set.pixels, i * h * w, h, w, hh, ww, x, o)
    for (let p = 0; p < nIn; p++) x[o + p] = x[o + p] * scale - H
    const l = set.labels[i]
    if (l >= classes) throw new RangeError(`labels.${i}: class ${l} >= ${classes}`)
    label[r] = l
    y[r * classes + l] = H
  }
  return { x, y, label, rows: n }
}

/**
 * Row indices of a per-class stratified split by seed: each class gives round(testFraction * count)
 * rows to test, then largest remainders even the total out to round(testFraction * rows). Rows stay
 * in source order inside each split.
 */
export function stratifiedSplit(labels: ArrayLike<number>, classes: number, testFraction: number, seed: number): { train: number[]; test: number[] } {
  const byClass: number[][] = Array.from({ length: classes }, () => [])
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i)
  const want = Math.round(testFraction * labels.length)
  const exact = byClass.map((c) => testFraction * c.length)
  const take = exact.map(Math.floor)
  let left = want - take.reduce((a, b) => a + b, 0)
  const order = exact.map((e, k) => k).sort((a, b) => (exact[b] - take[b]) - (exact[a] - take[a]) || a - b)
  for (let k = 0; left > 0 && k < order.length; k++, left--) take[order[k]]++
  const rng = new Rng(seed)
  const train: number[] = [], test: number[] = []
  for (let k = 0; k < classes; k++) {
    const idx = byClass[k].slice()
    rng.shuffle(idx)
    test.push(...idx.slice(0, take[k]))
    train.push(...idx.slice(take[k]))
  }
  train.sort((a, b) => a - b)
  test.sort((a, b) => a - b)
  return { train, test }
}

/** An image task from a source split into train/test rows. */
export function imageDataset(name: string, set: ImageSet, split: { train: ArrayLike<number>; test: ArrayLike<number> }, classes: number, side?: number): Dataset {
  const nIn = (side ?? set.height) * (side ?? set.width)
  return { name, nIn, nOut: classes, classes, train: encodeImages(set, split.train, classes, side), test: encodeImages(set, split.test, classes, side) }
}

/** The rows of a split at the given indices, in that order. */
export function pickRows(s: Split, rows: readonly number[]): Split {
  const nIn = s.x.length / s.rows, nOut = s.y.length / s.rows
  const x = new Float64Array(rows.length * nIn), y = new Float64Array(rows.length * nOut), label = new Int32Array(rows.length)
  rows.forEach((r, k) => {
    x.set(s.x.subarray(r * nIn, (r + 1) * nIn), k * nIn)
    y.set(s.y.subarray(r * nOut, (r + 1) * nOut), k * nOut)
    label[k] = s.label[r]
  })
  return { x, y, label, rows: rows.length }
}

/** The first `perClass` rows of each class of a split, in split order (CI-sized runs on large tasks). */
export function subsetPerClass(s: Split, classes: number, perClass: number): Split {
  const seen = new Array<number>(classes).fill(0), rows: number[] = []
  for (let r = 0; r < s.rows; r++) if (seen[s.label[r]]++ < perClass) rows.push(r)
  return pickRows(s, rows)
}
