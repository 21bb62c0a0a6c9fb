// PNG pictures drawn with @napi-rs/canvas: grid heatmaps (phases), coupling maps and training curves,
// each with a title, axes and a colour scale. Pure functions of their inputs; they return PNG bytes.
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas'
import type { Network } from '../../core/network/network.ts'
import { css, divergingColour, phaseColour, type Rgb } from './colours.ts'

const MARGIN = { left: 56, top: 48, right: 110, bottom: 40 }
export const FONT = '13px DejaVu Sans, sans-serif'

/** Where the cells of a rows x cols heatmap go: cell side (px), plot origin, and the image size. */
export function gridGeometry(rows: number, cols: number): { cell: number; x0: number; y0: number; width: number; height: number } {
  const cell = Math.max(3, Math.min(40, Math.floor(560 / Math.max(rows, cols))))
  return { cell, x0: MARGIN.left, y0: MARGIN.top, width: MARGIN.left + cols * cell + MARGIN.right, height: MARGIN.top + rows * cell + MARGIN.bottom }
}

/** A bold title centred at the top of an image `width` px wide. */
export function title(g: SKRSContext2D, text: string, width: number): void {
  g.fillStyle = '#000'
  g.font = 'bold 15px DejaVu Sans, sans-serif'
  g.textAlign = 'center'
  g.fillText(text, width / 2, 22, width - 20)
}

/** About `want` round tick values covering [0, n). */
function ticks(n: number, want = 6): number[] {
  const step = Math.max(1, [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].find((s) => n / s <= want) ?? Math.ceil(n / want))
  const out: number[] = []
  for (let v = 0; v < n; v += step) out.push(v)
  return out
}

/** Column ticks on top and row ticks on the left of a grid whose cells are `cell` px. */
function gridAxes(g: SKRSContext2D, rows: number, cols: number, cell: number, xLabel: string, yLabel: string): void {
  const { left: x0, top: y0 } = MARGIN
  g.strokeStyle = '#000'; g.lineWidth = 1
  g.strokeRect(x0 - 0.5, y0 - 0.5, cols * cell + 1, rows * cell + 1)
  g.fillStyle = '#000'; g.font = FONT
  g.textAlign = 'center'
  for (const c of ticks(cols)) g.fillText(String(c), x0 + (c + 0.5) * cell, y0 + rows * cell + 16)
  g.textAlign = 'right'
  for (const r of ticks(rows)) g.fillText(String(r), x0 - 6, y0 + (r + 0.5) * cell + 4)
  g.textAlign = 'center'
  g.fillText(xLabel, x0 + (cols * cell) / 2, y0 + rows * cell + 34)
  g.save(); g.translate(14, y0 + (rows * cell) / 2); g.rotate(-Math.PI / 2); g.fillText(yLabel, 0, 0); g.restore()
}

/** A vertical colour bar at the right with labelled ends and middle. */
function colourBar(g: SKRSContext2D, x: number, y: number, h: number, colour: (t: number) => Rgb, labels: [string, string, string], caption: string): void {
  for (let k = 0; k < h; k++) {
    g.fillStyle = css(colour(1 - (2 * k) / (h - 1)))   // top = +1
    g.fillRect(x, y + k, 16, 1)
  }
  g.strokeStyle = '#000'; g.strokeRect(x - 0.5, y - 0.5, 17, h + 1)
  g.fillStyle = '#000'; g.font = FONT; g.textAlign = 'left'
  g.fillText(labels[0], x + 22, y + 5); g.fillText(labels[1], x + 22, y + h / 2 + 4); g.fillText(labels[2], x + 22, y + h + 4)
  g.save(); g.translate(x + 8, y - 14); g.textAlign = 'center'; g.fillText(caption, 0, 0); g.restore()
}

export interface HeatmapOptions {
  title: string
  /** 'phase': cyclic map over (-pi, pi]; 'signed': diverging map over [-vmax, vmax] */
  scale: 'phase' | 'signed'
  vmax?: number
  /** nodes to outline (id = r*cols + c): inputs in black, outputs in white */
  inputs?: number[]
  outputs?: number[]
  xLabel?: string
  yLabel?: string
  caption?: string
}

/** PNG of a rows x cols grid of values (row-major); phases in rad for scale 'phase'. */
export function drawGridHeatmap(values: ArrayLike<number>, rows: number, cols: number, o: HeatmapOptions): Buffer {
  if (values.length !== rows * cols) throw new RangeError(`values: ${values.length} entries for a ${rows}x${cols} grid`)
  const geo = gridGeometry(rows, cols)
  const canvas = createCanvas(geo.width, geo.height)
  const g = canvas.getContext('2d')
  g.fillStyle = '#fff'; g.fillRect(0, 0, geo.width, geo.height)
  const vmax = o.vmax ?? maxAbs(values)
  const colour = o.scale === 'phase' ? (v: number) => phaseColour(v) : (v: number) => divergingColour(v / vmax)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      g.fillStyle = css(colour(values[r * cols + c]))
      g.fillRect(geo.x0 + c * geo.cell, geo.y0 + r * geo.cell, geo.cell, geo.cell)
    }
  }
  const outline = (ids: number[] | undefined, style: string) => {
    if (!ids || geo.cell < 6) return
    g.strokeStyle = style; g.lineWidth = 2
    for (const id of ids) g.strokeRect(geo.x0 + (id % cols) * geo.cell + 1, geo.y0 + Math.floor(id / cols) * geo.cell + 1, geo.cell - 2, geo.cell - 2)
  }
  outline(o.inputs, '#000'); outline(o.outputs, '#fff')
  gridAxes(g, rows, cols, geo.cell, o.xLabel ?? 'column', o.yLabel ?? 'row')
  const barH = Math.min(rows * geo.cell, 240)
  if (o.scale === 'phase') colourBar(g, geo.width - MARGIN.right + 24, geo.y0 + 16, barH, (t) => phaseColour(t * Math.PI), ['+π', '0', '−π'], o.caption ?? 'φ (rad)')
  else colourBar(g, geo.width - MARGIN.right + 24, geo.y0 + 16, barH, divergingColour, [`+${vmax.toPrecision(2)}`, '0', `−${vmax.toPrecision(2)}`], o.caption ?? 'value')
  title(g, o.title, geo.width)
  return canvas.toBuffer('image/png')
}

/** The largest |v| (at least 1e-12); a loop, since spreading a 784-500-10 network's 397,000 couplings
 *  into Math.max overflows the call stack. */
function maxAbs(values: ArrayLike<number>): number {
  let m = 1e-12
  for (let i = 0; i < values.length; i++) { const a = Math.abs(values[i]); if (a > m) m = a }
  return m
}

/**
 * PNG of a network's couplings. On a grid layout each site is a dot and each horizontal or vertical
 * nearest-neighbour bond a bar between the two sites, coloured by W on a diverging scale (longer bonds
 * are not drawn); otherwise the coupling matrix W_ij as a heatmap in node order.
 */
export function drawCouplings(net: Network, titleText: string): Buffer {
  const w = net.weights
  const vmax = maxAbs(w)
  if (!net.layout) {
    const n = net.nodes, m = new Float64Array(n * n)
    net.edges.forEach(([i, j], k) => { m[i * n + j] = w[k]; m[j * n + i] = w[k] })
    return drawGridHeatmap(m, n, n, { title: titleText, scale: 'signed', vmax, xLabel: 'node j', yLabel: 'node i', caption: 'W_ij' })
  }
  const { rows, cols } = net.layout
  const geo = gridGeometry(rows, cols)
  const canvas = createCanvas(geo.width, geo.height)
  const g = canvas.getContext('2d')
  g.fillStyle = '#fff'; g.fillRect(0, 0, geo.width, geo.height)
  const centre = (id: number): [number, number] => [geo.x0 + ((id % cols) + 0.5) * geo.cell, geo.y0 + (Math.floor(id / cols) + 0.5) * geo.cell]
  g.lineCap = 'butt'
  g.lineWidth = Math.max(2, geo.cell * 0.5)
  net.edges.forEach(([i, j], k) => {
    const d = Math.abs(i - j)
    const sameRow = Math.floor(i / cols) === Math.floor(j / cols)
    if (!((d === 1 && sameRow) || d === cols)) return
    const [xa, ya] = centre(i), [xb, yb] = centre(j)
    g.strokeStyle = css(divergingColour(w[k] / vmax))
    g.beginPath(); g.moveTo(xa, ya); g.lineTo(xb, yb); g.stroke()
  })
  const ins = new Set(net.inputs), outs = new Set(net.outputs)
  const r = Math.max(1.5, geo.cell * 0.18)
  for (let id = 0; id < net.nodes; id++) {
    const [x, y] = centre(id)
    g.fillStyle = ins.has(id) ? '#000' : outs.has(id) ? '#f0a000' : '#777'
    g.beginPath(); g.arc(x, y, ins.has(id) || outs.has(id) ? r * 1.6 : r, 0, 2 * Math.PI); g.fill()
  }
  gridAxes(g, rows, cols, geo.cell, 'column', 'row')
  colourBar(g, geo.width - MARGIN.right + 24, geo.y0 + 16, Math.min(rows * geo.cell, 240), divergingColour, [`+${vmax.toPrecision(2)}`, '0', `−${vmax.toPrecision(2)}`], 'W')
  title(g, titleText, geo.width)
  return canvas.toBuffer('image/png')
}

/** One point of a training curve: mean training D and accuracy of an epoch, and test accuracy when evaluated. */
export interface CurvePoint { epoch: number; distance: number; accuracy: number; testAccuracy?: number }

export const CURVE_SIZE = { width: 760, height: 560 } as const

/** PNG of D (log scale, top panel) and accuracy (bottom panel) against epoch. */
export function drawTrainingCurve(points: CurvePoint[], titleText: string): Buffer {
  const { width, height } = CURVE_SIZE
  const canvas = createCanvas(width, height)
  const g = canvas.getContext('2d')
  g.fillStyle = '#fff'; g.fillRect(0, 0, width, height)
  title(g, titleText, width)
  const L = 80, R = width - 150, panelH = 200
  const maxEpoch = Math.max(1, ...points.map((p) => p.epoch))
  const X = (e: number) => L + ((R - L) * e) / maxEpoch
  const ds = points.map((p) => p.distance).filter((d) => d > 0 && Number.isFinite(d))
  const lo = Math.floor(Math.log10(Math.min(...ds, 1))), hi = Math.ceil(Math.log10(Math.max(...ds, 1e-3)))
  const top = hi > lo ? hi : lo + 1
  const panels = [
    { y0: 50, label: 'train D (log)', Y: (v: number) => 50 + panelH * (1 - (Math.log10(Math.max(v, 10 ** lo)) - lo) / (top - lo)), ticks: Array.from({ length: top - lo + 1 }, (_, k) => lo + k).map((e) => ({ v: 10 ** e, text: `1e${e}` })) },
    { y0: 310, label: 'accuracy', Y: (v: number) => 310 + panelH * (1 - v), ticks: [0, 0.25, 0.5, 0.75, 1].map((v) => ({ v, text: v.toFixed(2) })) },
  ]
  g.font = FONT
  for (const p of panels) {
    g.strokeStyle = '#ddd'; g.lineWidth = 1
    for (const t of p.ticks) { const y = p.Y(t.v); g.beginPath(); g.moveTo(L, y); g.lineTo(R, y); g.stroke() }
    g.strokeStyle = '#000'; g.strokeRect(L - 0.5, p.y0 - 0.5, R - L + 1, panelH + 1)
    g.fillStyle = '#000'; g.textAlign = 'right'
    for (const t of p.ticks) g.fillText(t.text, L - 6, p.Y(t.v) + 4)
    g.textAlign = 'center'
    for (const e of ticks(maxEpoch + 1)) g.fillText(String(e), X(e), p.y0 + panelH + 16)
    g.save(); g.translate(22, p.y0 + panelH / 2); g.rotate(-Math.PI / 2); g.fillText(p.label, 0, 0); g.restore()
  }
  g.fillText('epoch', (L + R) / 2, 310 + panelH + 34)
  const line = (Y: (v: number) => number, get: (p: CurvePoint) => number | undefined, colour: string, dots: boolean) => {
    const pts = points.filter((p) => get(p) !== undefined && Number.isFinite(get(p)!))
    g.strokeStyle = colour; g.fillStyle = colour; g.lineWidth = 2
    g.beginPath()
    pts.forEach((p, k) => (k ? g.lineTo(X(p.epoch), Y(get(p)!)) : g.moveTo(X(p.epoch), Y(get(p)!))))
    g.stroke()
    if (dots || pts.length === 1) for (const p of pts) { g.beginPath(); g.arc(X(p.epoch), Y(get(p)!), 3.5, 0, 2 * Math.PI); g.fill() }
  }
  line(panels[0].Y, (p) => p.distance, '#1f77b4', false)
  line(panels[1].Y, (p) => p.accuracy, '#1f77b4', false)
  line(panels[1].Y, (p) => p.testAccuracy, '#d62728', true)
  const legend: [string, string][] = [['train', '#1f77b4'], ['test', '#d62728']]
  g.textAlign = 'left'
  legend.forEach(([name, colour], k) => {
    g.fillStyle = colour; g.fillRect(R + 16, 320 + 20 * k, 14, 10)
    g.fillStyle = '#000'; g.fillText(name, R + 36, 330 + 20 * k)
  })
  return canvas.toBuffer('image/png')
}
