// Charts of a study, one slot per entry in the table's order, coloured by the entry's group: a category
// chart (bars or dots with an interval, a box, the seeds as dots) and small multiples of learning curves.
// Pure functions of their inputs; they return PNG bytes.
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas'
import { FONT, title } from './draw.ts'

/** Colours of the groups, in order of first appearance (the tab10 palette). */
export const GROUP_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const

/** One slot of a category chart; every field but label and group may be absent (an entry with no finished run). */
export interface CategoryItem {
  label: string
  /** entries of a group share a colour and a legend line */
  group: string
  /** bar height (style 'bar') or the dot (style 'dot') */
  value?: number | null
  /** whisker from lo to hi */
  interval?: [number, number] | null
  /** first quartile, median, third quartile */
  box?: [number, number, number] | null
  /** one dot per seed */
  points?: number[]
  /** text above the slot (counts) */
  note?: string
}

export interface CategoryChartOptions {
  title: string
  yLabel: string
  style: 'bar' | 'dot'
  /** y range; absent ends follow the data (from 0) */
  yMin?: number
  yMax?: number
  /** a dashed horizontal line (the target) */
  refLine?: { value: number; label: string }
  caption?: string
}

/** About `want` round values spanning [lo, hi] (steps 1, 2, 5 x 10^k). */
export function niceTicks(lo: number, hi: number, want = 5): number[] {
  const span = hi - lo
  if (!(span > 0) || !Number.isFinite(span)) return [lo]
  const raw = span / want, mag = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag
  const out: number[] = []
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

/** Colour of each group, by first appearance. */
function groupColours(groups: string[]): Map<string, string> {
  const m = new Map<string, string>()
  for (const g of groups) if (!m.has(g)) m.set(g, GROUP_COLOURS[m.size % GROUP_COLOURS.length])
  return m
}

/** Legend of the groups in one row under the title, starting at x. */
function legend(g: SKRSContext2D, colours: Map<string, string>, x: number, y: number): void {
  if (colours.size < 2) return
  g.font = FONT; g.textAlign = 'left'
  for (const [name, colour] of colours) {
    g.fillStyle = colour; g.fillRect(x, y - 9, 12, 10)
    g.fillStyle = '#000'; g.fillText(name, x + 16, y)
    x += 16 + g.measureText(name).width + 18
  }
}

/** Where a seed's dot sits in its slot: a fixed spread by index, so the same results draw the same picture. */
const jitter = (k: number) => ((k * 0.6180339887) % 1) - 0.5

const fmt = (v: number) => (Math.abs(v) >= 1000 || v === Math.round(v) ? String(Math.round(v)) : String(Number(v.toPrecision(3))))

/** PNG of one slot per item: a bar or a dot, its interval, its box and its seeds, with a legend of groups. */
export function drawCategoryChart(items: CategoryItem[], o: CategoryChartOptions): Buffer {
  const colours = groupColours(items.map((i) => i.group))
  const L = 78, T = 74, plotH = 300
  // slots fill at least a 412 px plot; bars and boxes stay at most 60 px wide
  const slot = Math.max(412 / Math.max(1, items.length), Math.max(30, Math.min(72, Math.floor(760 / Math.max(1, items.length)))))
  const half = Math.min(slot * 0.32, 30)
  const labelLen = Math.max(4, ...items.map((i) => i.label.length))
  const B = Math.min(170, 24 + labelLen * 6.2) + (o.caption ? 22 : 0)
  const width = Math.ceil(L + slot * items.length + 30), height = Math.ceil(T + plotH + B)
  const canvas = createCanvas(width, height)
  const g = canvas.getContext('2d')
  g.fillStyle = '#fff'; g.fillRect(0, 0, width, height)
  title(g, o.title, width)
  legend(g, colours, L, 44)
  const seen = items.flatMap((i) => [i.value, ...(i.interval ?? []), ...(i.box ?? []), ...(i.points ?? [])]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  const lo = o.yMin ?? Math.min(0, ...seen)
  let hi = o.yMax ?? Math.max(lo + 1e-9, ...seen, o.refLine?.value ?? -Infinity)
  if (o.yMax === undefined) hi = niceTicks(lo, hi * 1.05).at(-1)! < hi ? hi * 1.1 : niceTicks(lo, hi * 1.05).at(-1)!
  const Y = (v: number) => T + plotH * (1 - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo || 1))
  const R = L + slot * items.length
  g.font = FONT; g.lineWidth = 1
  for (const t of niceTicks(lo, hi)) {
    g.strokeStyle = '#e4e4e4'; g.beginPath(); g.moveTo(L, Y(t)); g.lineTo(R, Y(t)); g.stroke()
    g.fillStyle = '#000'; g.textAlign = 'right'; g.fillText(fmt(t), L - 6, Y(t) + 4)
  }
  g.strokeStyle = '#000'; g.strokeRect(L - 0.5, T - 0.5, R - L + 1, plotH + 1)
  g.save(); g.translate(18, T + plotH / 2); g.rotate(-Math.PI / 2); g.textAlign = 'center'; g.fillText(o.yLabel, 0, 0); g.restore()
  if (o.refLine) {
    g.strokeStyle = '#555'; g.setLineDash([5, 4]); g.beginPath(); g.moveTo(L, Y(o.refLine.value)); g.lineTo(R, Y(o.refLine.value)); g.stroke()
    // labelled above the frame, where no seed's dot can sit under it
    g.beginPath(); g.moveTo(R - 150, 40); g.lineTo(R - 124, 40); g.stroke(); g.setLineDash([])
    g.fillStyle = '#555'; g.textAlign = 'left'; g.fillText(o.refLine.label, R - 118, 44)
  }
  items.forEach((it, k) => {
    const cx = L + (k + 0.5) * slot, colour = colours.get(it.group)!
    const has = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)
    if (o.style === 'bar' && has(it.value)) {
      g.fillStyle = colour; g.globalAlpha = 0.75
      const top = Y(it.value), base = Y(Math.max(lo, 0))
      g.fillRect(cx - half, Math.min(top, base), 2 * half, Math.max(1, Math.abs(base - top)))
      g.globalAlpha = 1
    }
    if (it.box && it.box.every(has)) {
      const [q1, q2, q3] = it.box
      g.strokeStyle = colour; g.lineWidth = 1.5
      g.strokeRect(cx - half, Y(q3), 2 * half, Math.max(1, Y(q1) - Y(q3)))
      g.lineWidth = 3; g.beginPath(); g.moveTo(cx - half, Y(q2)); g.lineTo(cx + half, Y(q2)); g.stroke()
    }
    ;(it.points ?? []).forEach((v, j) => {
      if (!has(v)) return
      g.fillStyle = colour; g.globalAlpha = 0.55
      g.beginPath(); g.arc(cx + jitter(j) * 1.5 * half, Y(v), 2.6, 0, 2 * Math.PI); g.fill()
      g.globalAlpha = 1
    })
    if (it.interval && it.interval.every(has)) {
      const [a, b] = it.interval
      g.strokeStyle = '#000'; g.lineWidth = 1.5
      g.beginPath(); g.moveTo(cx, Y(a)); g.lineTo(cx, Y(b))
      g.moveTo(cx - 6, Y(a)); g.lineTo(cx + 6, Y(a)); g.moveTo(cx - 6, Y(b)); g.lineTo(cx + 6, Y(b)); g.stroke()
    }
    if (o.style === 'dot' && has(it.value)) {
      g.fillStyle = '#000'; g.beginPath(); g.arc(cx, Y(it.value), 4, 0, 2 * Math.PI); g.fill()
      g.fillStyle = colour; g.beginPath(); g.arc(cx, Y(it.value), 2.8, 0, 2 * Math.PI); g.fill()
    }
    g.lineWidth = 1
    g.fillStyle = '#000'; g.font = '11px DejaVu Sans, sans-serif'; g.textAlign = 'center'
    if (it.note) g.fillText(it.note, cx, T - 6, slot - 2)
    g.font = FONT
    g.save(); g.translate(cx + 4, T + plotH + 10); g.rotate(-Math.PI / 3); g.textAlign = 'right'; g.fillText(it.label, 0, 0); g.restore()
  })
  if (o.caption) { g.fillStyle = '#444'; g.textAlign = 'left'; g.font = '12px DejaVu Sans, sans-serif'; g.fillText(o.caption, 10, height - 8, width - 20) }
  return canvas.toBuffer('image/png')
}

/** One panel of learning curves: the mean over seeds and a band from lo to hi (per epoch; NaN where no seed has a value). */
export interface CurvePanel {
  label: string
  group: string
  epoch: number[]
  mean: number[]
  lo: number[]
  hi: number[]
  /** seeds that contributed */
  seeds: number
}

export interface CurvePanelsOptions {
  title: string
  yLabel: string
  /** log10 y axis (training D) instead of linear */
  log: boolean
  yMin?: number
  yMax?: number
  refLine?: number
  caption?: string
}

/** Size of one panel of drawCurvePanels (px, plot area). */
export const PANEL = { width: 210, height: 140, gapX: 62, gapY: 58 } as const

/** PNG of small multiples: one panel per entry with shared axes, mean curve and band in the group's colour. */
export function drawCurvePanels(panels: CurvePanel[], o: CurvePanelsOptions): Buffer {
  const colours = groupColours(panels.map((p) => p.group))
  const cols = Math.max(1, Math.min(4, panels.length)), rows = Math.max(1, Math.ceil(panels.length / cols))
  const L = 70, T = 70
  const width = L + cols * (PANEL.width + PANEL.gapX), height = T + rows * (PANEL.height + PANEL.gapY) + (o.caption ? 24 : 6)
  const canvas = createCanvas(width, height)
  const g = canvas.getContext('2d')
  g.fillStyle = '#fff'; g.fillRect(0, 0, width, height)
  title(g, o.title, width)
  legend(g, colours, L, 46)
  const maxEpoch = Math.max(1, ...panels.flatMap((p) => p.epoch))
  const ys = panels.flatMap((p) => [...p.mean, ...p.lo, ...p.hi]).filter((v) => Number.isFinite(v) && (!o.log || v > 0))
  let lo: number, hi: number
  if (o.log) {
    lo = Math.floor(Math.log10(o.yMin ?? Math.min(...ys, o.refLine ?? Infinity, 1)))
    hi = Math.ceil(Math.log10(o.yMax ?? Math.max(...ys, 1e-3)))
    if (hi <= lo) hi = lo + 1
  } else {
    lo = o.yMin ?? Math.min(0, ...ys); hi = o.yMax ?? Math.max(lo + 1, ...ys)
  }
  const yv = (v: number) => (o.log ? Math.log10(Math.max(v, 10 ** lo)) : v)
  const yTicks = o.log ? Array.from({ length: hi - lo + 1 }, (_, k) => lo + k) : niceTicks(lo, hi, 4)
  const xTicks = niceTicks(0, maxEpoch, 4)
  panels.forEach((p, k) => {
    const x0 = L + (k % cols) * (PANEL.width + PANEL.gapX), y0 = T + Math.floor(k / cols) * (PANEL.height + PANEL.gapY)
    const X = (e: number) => x0 + (PANEL.width * e) / maxEpoch
    const Y = (v: number) => y0 + PANEL.height * (1 - (Math.min(hi, Math.max(lo, yv(v))) - lo) / (hi - lo))
    const Yt = (t: number) => y0 + PANEL.height * (1 - (t - lo) / (hi - lo))
    g.font = '11px DejaVu Sans, sans-serif'; g.lineWidth = 1
    for (const t of yTicks) {
      g.strokeStyle = '#e8e8e8'; g.beginPath(); g.moveTo(x0, Yt(t)); g.lineTo(x0 + PANEL.width, Yt(t)); g.stroke()
      g.fillStyle = '#000'; g.textAlign = 'right'; g.fillText(o.log ? `1e${t}` : fmt(t), x0 - 4, Yt(t) + 4)
    }
    g.textAlign = 'center'
    for (const t of xTicks) g.fillText(fmt(t), X(t), y0 + PANEL.height + 13)
    if (o.refLine !== undefined) {
      g.strokeStyle = '#555'; g.setLineDash([4, 3]); g.beginPath(); g.moveTo(x0, Y(o.refLine)); g.lineTo(x0 + PANEL.width, Y(o.refLine)); g.stroke(); g.setLineDash([])
    }
    const colour = colours.get(p.group)!
    // the band, one closed path per run of finite values
    g.fillStyle = colour; g.globalAlpha = 0.22
    let start = -1
    for (let i = 0; i <= p.epoch.length; i++) {
      const ok = i < p.epoch.length && Number.isFinite(p.lo[i]) && Number.isFinite(p.hi[i])
      if (ok && start < 0) start = i
      if (!ok && start >= 0) {
        g.beginPath()
        for (let j = start; j < i; j++) (j === start ? g.moveTo(X(p.epoch[j]), Y(p.hi[j])) : g.lineTo(X(p.epoch[j]), Y(p.hi[j])))
        for (let j = i - 1; j >= start; j--) g.lineTo(X(p.epoch[j]), Y(p.lo[j]))
        g.closePath(); g.fill()
        start = -1
      }
    }
    g.globalAlpha = 1
    g.strokeStyle = colour; g.lineWidth = 2; g.beginPath()
    let pen = false
    p.epoch.forEach((e, i) => {
      if (!Number.isFinite(p.mean[i])) { pen = false; return }
      if (pen) g.lineTo(X(e), Y(p.mean[i])); else g.moveTo(X(e), Y(p.mean[i]))
      pen = true
    })
    g.stroke()
    if (p.epoch.length === 1 && Number.isFinite(p.mean[0])) { g.fillStyle = colour; g.beginPath(); g.arc(X(p.epoch[0]), Y(p.mean[0]), 3, 0, 2 * Math.PI); g.fill() }
    g.lineWidth = 1; g.strokeStyle = '#000'; g.strokeRect(x0 - 0.5, y0 - 0.5, PANEL.width + 1, PANEL.height + 1)
    g.fillStyle = '#000'; g.font = 'bold 12px DejaVu Sans, sans-serif'; g.textAlign = 'left'
    g.fillText(`${p.label} (${p.seeds} seed${p.seeds === 1 ? '' : 's'})`, x0, y0 - 6, PANEL.width + PANEL.gapX - 8)
  })
  g.font = FONT; g.fillStyle = '#000'
  g.save(); g.translate(16, T + (rows * (PANEL.height + PANEL.gapY)) / 2); g.rotate(-Math.PI / 2); g.textAlign = 'center'; g.fillText(o.yLabel, 0, 0); g.restore()
  g.textAlign = 'center'; g.fillText('epoch', width / 2, T + rows * (PANEL.height + PANEL.gapY) - PANEL.gapY + 32)
  if (o.caption) { g.fillStyle = '#444'; g.textAlign = 'left'; g.font = '12px DejaVu Sans, sans-serif'; g.fillText(o.caption, 10, height - 8, width - 20) }
  return canvas.toBuffer('image/png')
}
