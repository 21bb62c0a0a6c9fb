// Maps of a run's network state on a canvas: phases, couplings or the bias field, drawn on the lattice
// grid when the network has one, else with nodes in columns by their distance from the inputs (layers).
import { useEffect, useRef } from 'preact/hooks'
import type { RunSnapshot } from './api.ts'
import { absMax, phaseColour, signedColour } from './colours.ts'

export type MapField = 'phases' | 'couplings' | 'h'

export const FIELD_TITLES: Record<MapField, string> = {
  phases: 'Phases φ (free equilibrium, one training sample)',
  couplings: 'Couplings W',
  h: 'Bias field h',
}

const SIZE = 300
const FAINT_EDGES_MAX = 3000

/** Node positions in [0, 1]^2: the grid when there is one, else columns by graph distance from the inputs. */
export function nodePositions(s: Pick<RunSnapshot, 'nodes' | 'edges' | 'inputs' | 'layout'>): { x: number; y: number }[] {
  if (s.layout) {
    const { rows, cols } = s.layout
    return Array.from({ length: s.nodes }, (_, i) => ({ x: ((i % cols) + 0.5) / cols, y: (Math.floor(i / cols) + 0.5) / rows }))
  }
  const adj: number[][] = Array.from({ length: s.nodes }, () => [])
  for (const [i, j] of s.edges) { adj[i].push(j); adj[j].push(i) }
  const depth = new Array<number>(s.nodes).fill(-1)
  let frontier = [...s.inputs]
  for (const i of frontier) depth[i] = 0
  for (let d = 1; frontier.length; d++) {
    const next: number[] = []
    for (const i of frontier) for (const j of adj[i]) if (depth[j] < 0) { depth[j] = d; next.push(j) }
    frontier = next
  }
  // nodes no input reaches (or no inputs at all) sit in one extra column
  const maxD = Math.max(0, ...depth)
  for (let i = 0; i < s.nodes; i++) if (depth[i] < 0) depth[i] = maxD + 1
  const columns = new Map<number, number[]>()
  for (let i = 0; i < s.nodes; i++) columns.set(depth[i], [...(columns.get(depth[i]) ?? []), i])
  const ncol = Math.max(...columns.keys()) + 1
  const pos = new Array<{ x: number; y: number }>(s.nodes)
  for (const [d, ids] of columns) ids.forEach((i, k) => { pos[i] = { x: (d + 0.5) / ncol, y: (k + 0.5) / ids.length } })
  return pos
}

/** Per node, the room (css px) it has: the spacing in its column or between columns, at most 24. */
function layerSpacing(pos: readonly { x: number; y: number }[]): number[] {
  const perColumn = new Map<number, number>()
  for (const p of pos) perColumn.set(p.x, (perColumn.get(p.x) ?? 0) + 1)
  return pos.map((p) => Math.min(24, SIZE / perColumn.get(p.x)!, SIZE / perColumn.size))
}

/** Draws one field of a snapshot onto a canvas of SIZE css pixels. */
export function drawMap(ctx: CanvasRenderingContext2D, s: RunSnapshot, field: MapField): void {
  ctx.fillStyle = '#fff'
  ctx.fillRect(0, 0, SIZE, SIZE)
  const pos = nodePositions(s)
  const grid = s.layout !== null
  const cell = grid ? SIZE / Math.max(s.layout!.rows, s.layout!.cols) : 0
  const room = grid ? [] : layerSpacing(pos)
  const at = (i: number) => ({ x: pos[i].x * (grid ? cell * s.layout!.cols : SIZE), y: pos[i].y * (grid ? cell * s.layout!.rows : SIZE) })
  const wMax = absMax(s.couplings)
  // bonds: coloured by their coupling on the couplings map, faint elsewhere (where a dense network's
  // thousands of grey lines would only hide the nodes)
  if (field === 'couplings' || s.edges.length <= FAINT_EDGES_MAX) s.edges.forEach(([i, j], k) => {
    const a = at(i), b = at(j)
    ctx.beginPath()
    ctx.moveTo(a.x, a.y)
    ctx.lineTo(b.x, b.y)
    if (field === 'couplings') {
      ctx.strokeStyle = signedColour(s.couplings[k], wMax)
      ctx.lineWidth = grid ? Math.max(2, cell * 0.3) : 1.5
    } else {
      ctx.strokeStyle = 'rgba(0, 0, 0, 0.15)'
      ctx.lineWidth = 1
    }
    ctx.stroke()
  })
  const hMax = absMax(s.h)
  const radius = (i: number) => grid ? cell * 0.5 : Math.max(1.5, Math.min(12, room[i] * 0.45))
  for (let i = 0; i < s.nodes; i++) {
    const { x, y } = at(i)
    const r = radius(i)
    let fill = '#888'
    if (field === 'phases') fill = s.phases ? phaseColour(s.phases[i]) : '#ddd'
    else if (field === 'h') fill = signedColour(s.h[i] ?? 0, hMax)
    ctx.fillStyle = fill
    if (field === 'couplings') {
      ctx.beginPath(); ctx.arc(x, y, Math.max(2, r * 0.25), 0, 2 * Math.PI); ctx.fill()
    } else if (grid) {
      ctx.fillRect(x - r + 0.5, y - r + 0.5, 2 * r - 1, 2 * r - 1)
    } else {
      ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fill()
    }
  }
  // inputs in black, outputs in a dashed ring: where the data goes in and the answer comes out
  ctx.lineWidth = 2
  for (const [ids, dash] of [[s.inputs, []], [s.outputs, [3, 2]]] as [number[], number[]][]) {
    ctx.setLineDash(dash)
    ctx.strokeStyle = '#000'
    for (const i of ids) {
      const { x, y } = at(i)
      const r = radius(i)
      const q = field === 'couplings' ? Math.max(4, r * 0.45) : r - 1
      if (grid) ctx.strokeRect(x - q, y - q, 2 * q, 2 * q)
      else { ctx.beginPath(); ctx.arc(x, y, q, 0, 2 * Math.PI); ctx.stroke() }
    }
  }
  ctx.setLineDash([])
  if (field === 'phases' && !s.phases) {
    ctx.fillStyle = '#333'
    ctx.font = '13px sans-serif'
    ctx.fillText('no phases reported yet', 8, SIZE - 10)
  }
}

/** The caption under a map: what the colours mean and their scale. */
export function scaleText(s: RunSnapshot, field: MapField): string {
  if (field === 'phases') return 'hue = phase (−π … π, cyclic)'
  const m = field === 'couplings' ? absMax(s.couplings) : absMax(s.h)
  return `blue −${m.toPrecision(3)} · white 0 · red +${m.toPrecision(3)}`
}

export function NetworkMap(p: { snapshot: RunSnapshot; field: MapField; version: number }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const c = canvas.current!
    const dpr = window.devicePixelRatio || 1
    c.width = SIZE * dpr
    c.height = SIZE * dpr
    const ctx = c.getContext('2d')!
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    drawMap(ctx, p.snapshot, p.field)
  }, [p.snapshot, p.field])
  return (
    <figure class="map" data-testid={`map-${p.field}`} data-step={p.snapshot.step} data-version={p.version} data-phases={p.snapshot.phases ? 'reported' : 'none'}>
      <figcaption>{FIELD_TITLES[p.field]}</figcaption>
      <canvas ref={canvas} style={{ width: `${SIZE}px`, height: `${SIZE}px` }} />
      <small>{scaleText(p.snapshot, p.field)}</small>
    </figure>
  )
}
