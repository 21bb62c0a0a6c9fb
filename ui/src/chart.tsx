// A line chart (uPlot) of a few series that may sample different x values: they are merged onto one
// x axis with gaps. data-points on the box counts every point drawn, so tests can watch it grow.
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface Series { label: string; colour: string; points: readonly (readonly [number, number])[]; dash?: boolean }

export interface ChartProps {
  title: string
  xLabel: string
  series: readonly Series[]
  /** fixed y range (accuracy: [0, 1]); auto when absent */
  yRange?: [number, number]
  /** log y axis (distances that fall over decades) */
  logY?: boolean
  testId?: string
}

/** The series merged onto their sorted union of x values, null where a series has no point (or, on a
 *  log axis, a point that is not positive). */
export function align(series: readonly Series[], positiveOnly = false): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b)
  const at = new Map(xs.map((x, i) => [x, i]))
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null)
    for (const [x, y] of s.points) col[at.get(x)!] = Number.isFinite(y) && (!positiveOnly || y > 0) ? y : null
    return col
  })
  return [xs, ...ys] as uPlot.AlignedData
}

export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const shape = p.series.map((s) => s.label).join('|') + (p.logY ? '|log' : '')
  const points = p.series.reduce((n, s) => n + s.points.length, 0)

  useEffect(() => {
    const el = box.current!
    const opts: uPlot.Options = {
      title: p.title,
      width: Math.max(300, el.clientWidth),
      height: 240,
      scales: { x: { time: false }, y: p.yRange ? { range: p.yRange } : p.logY ? { distr: 3 } : {} },
      axes: [{ label: p.xLabel }, {}],
      series: [{ label: p.xLabel }, ...p.series.map((s) => ({
        label: s.label, stroke: s.colour, width: 1.5, spanGaps: true,
        ...(s.dash ? { dash: [6, 4] } : {}),
        points: { show: (u: uPlot) => u.data[0].length < 60 },
      }))],
      legend: { live: true },
    }
    const u = new uPlot(opts, align(p.series, p.logY), el)
    plot.current = u
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(300, el.clientWidth), height: 240 }))
    ro.observe(el)
    return () => { ro.disconnect(); u.destroy(); plot.current = null }
  }, [shape, p.title])

  useEffect(() => { plot.current?.setData(align(p.series, p.logY)) }, [p.series])

  return <div class="chart" ref={box} data-points={points} data-testid={p.testId} />
}
