// Dense blocks in an edge list: the layered builders emit every fully coupled layer pair as one
// row-major run of edges, so the hot loops can walk a block with contiguous indices instead of
// gathering both ends of every edge.
import type { XyNet } from './xy.ts'

/** Smallest block (couplings) the energy, observable and contrast loops walk as a block rather than edge by edge. */
export const WALK_MIN_EDGES = 64

/** A dense block: edge edgeOff + i*b + j couples node aOff + i to node bOff + j (i < a, j < b). */
export interface DenseBlock {
  readonly aOff: number
  readonly a: number
  readonly bOff: number
  readonly b: number
  readonly edgeOff: number
}

/**
 * Finds the dense blocks in an edge list (as the layered builder emits them: row-major runs
 * (aOff+i, bOff+j)); blocks smaller than minSize edges or with overlapping node ranges are left out.
 * Detected from the edges themselves, so any builder that emits such runs benefits.
 */
export function findDenseBlocks(net: Pick<XyNet, 'm' | 'ei' | 'ej'>, minSize = 2): DenseBlock[] {
  const { m, ei, ej } = net
  const out: DenseBlock[] = []
  let k = 0
  while (k < m) {
    const i0 = ei[k], j0 = ej[k]
    let b = 1
    while (k + b < m && ei[k + b] === i0 && ej[k + b] === j0 + b) b++
    let a = 1
    for (;;) {
      const base = k + a * b
      if (base + b > m) break
      let ok = true
      for (let t = 0; t < b && ok; t++) ok = ei[base + t] === i0 + a && ej[base + t] === j0 + t
      if (!ok) break
      a++
    }
    const overlap = i0 < j0 + b && j0 < i0 + a
    if (a * b >= minSize && !overlap) {
      out.push({ aOff: i0, a, bOff: j0, b, edgeOff: k })
      k += a * b
    } else {
      k++
    }
  }
  return out
}

