// Phases and couplings of a run laid out on its lattice grid, for heatmaps.
import type { Network } from '../../core/network/network.ts'
import type { RunSnapshot } from './schemas.ts'

type Grid = (number | null)[][]

const grid = (rows: number, cols: number): Grid => Array.from({ length: rows }, () => new Array<number | null>(cols).fill(null))

/** Node values (length rows*cols) as rows x cols, node id = r*cols + c. */
function nodeGrid(v: readonly number[], rows: number, cols: number): Grid {
  return Array.from({ length: rows }, (_, r) => v.slice(r * cols, (r + 1) * cols))
}

/** The grid part of a snapshot: node fields as rows x cols, nearest-neighbour bonds as two arrays. */
export function gridView(net: Network, couplings: readonly number[], h: readonly number[], psi: readonly number[], phases: readonly number[] | null): RunSnapshot['grid'] {
  if (!net.layout) return null
  const { rows, cols } = net.layout
  const horizontal = grid(rows, Math.max(0, cols - 1)), vertical = grid(Math.max(0, rows - 1), cols)
  const other: NonNullable<RunSnapshot['grid']>['other'] = []
  net.edges.forEach(([i, j], k) => {
    const a = Math.min(i, j), b = Math.max(i, j)
    const ra = Math.floor(a / cols), ca = a % cols, rb = Math.floor(b / cols), cb = b % cols
    if (ra === rb && cb === ca + 1) horizontal[ra][ca] = couplings[k]
    else if (ca === cb && rb === ra + 1) vertical[ra][ca] = couplings[k]
    else other.push({ from: [ra, ca], to: [rb, cb], coupling: couplings[k] })
  })
  return {
    rows, cols,
    phases: phases && phases.length === rows * cols ? nodeGrid(phases, rows, cols) : null,
    h: nodeGrid(h.length ? h : new Array<number>(rows * cols).fill(0), rows, cols),
    psi: nodeGrid(psi.length ? psi : new Array<number>(rows * cols).fill(0), rows, cols),
    horizontal, vertical, other,
  }
}
