// The study's figures, drawn from its run files next to the table (and again whenever the partial table
// is): seeds reaching the target with a binomial interval, final accuracy (and D) per seed, epochs to
// the target, and mean learning curves. One slot or panel per entry, in the table's order.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { drawCategoryChart, drawCurvePanels, type CategoryItem, type CurvePanel } from '../plots/study-charts.ts'
import type { StudyConfig, StudyEntry } from './config.ts'
import { meanStd, wilsonInterval } from './report.ts'
import type { StudyRun } from './run.ts'

/** The figures a study can write, as <name>.png; which ones depend on the entries (see studyFigures). */
export const STUDY_FIGURE_NAMES = ['reached', 'epochs', 'accuracy', 'distance', 'curves'] as const
export type StudyFigureName = (typeof STUDY_FIGURE_NAMES)[number]

/** An entry's colour group: its builder kind (or "file"), then its substrate and reference dynamics when set. */
export function entryGroup(e: StudyEntry): string {
  const kind = e.network.endsWith('.json') ? 'file' : e.network.split(':')[0]
  return [kind, e.substrate, e.dynamics === 'reference' ? 'reference' : undefined].filter(Boolean).join(' ')
}

/** First quartile, median and third quartile (linear interpolation between order statistics). */
export function quartiles(v: number[]): [number, number, number] | null {
  if (v.length === 0) return null
  const s = [...v].sort((a, b) => a - b)
  const at = (q: number) => { const x = q * (s.length - 1), i = Math.floor(x); return i + 1 < s.length ? s[i] + (x - i) * (s[i + 1] - s[i]) : s[i] }
  return [at(0.25), at(0.5), at(0.75)]
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)

/**
 * Mean and quartiles over runs of a per-epoch series on the grid of epochs. A run counts from its first
 * record on and keeps its last value after it stopped (stopAtDistance ends a run that succeeded), so the
 * mean does not jump when seeds leave; NaN where no run has a value yet. Quartiles, not mean +- sd, so
 * the band stays positive on the log axis of D.
 */
export function meanCurve(series: { epoch: number[]; value: (number | null)[] }[], grid: number[]): { mean: number[]; lo: number[]; hi: number[]; seeds: number } {
  const mean: number[] = [], lo: number[] = [], hi: number[] = []
  const pos = series.map(() => -1)
  for (const e of grid) {
    const vals: number[] = []
    series.forEach((s, k) => {
      while (pos[k] + 1 < s.epoch.length && s.epoch[pos[k] + 1] <= e) pos[k]++
      // the last finite value at or before e
      for (let i = pos[k]; i >= 0; i--) { const v = s.value[i]; if (finite(v)) { vals.push(v); break } }
    })
    const m = meanStd(vals), q = quartiles(vals)
    mean.push(m ? m.mean : NaN); lo.push(q ? q[0] : NaN); hi.push(q ? q[2] : NaN)
  }
  return { mean, lo, hi, seeds: series.length }
}

const targetText = (t: NonNullable<StudyEntry['target']>) => (t.metric === 'test_acc' ? `test acc >= ${t.value}` : `D < ${t.value}`)

/** The one target every targeted entry shares, or null when they differ (or none has one). */
function sharedTarget(entries: StudyEntry[]): StudyEntry['target'] | null {
  const ts = entries.flatMap((e) => (e.target ? [e.target] : []))
  if (ts.length === 0) return null
  return ts.every((t) => t.metric === ts[0].metric && t.value === ts[0].value) ? ts[0] : null
}

/** PNG bytes of each figure the runs can fill: reached and epochs need a target, distance a D target, curves recorded curves. */
export function studyFigures(config: StudyConfig, runs: StudyRun[]): Map<StudyFigureName, Buffer> {
  const out = new Map<StudyFigureName, Buffer>()
  const byEntry = config.entries.map((e) => ({ e, group: entryGroup(e), runs: runs.filter((r) => r.label === e.label) }))
  const shared = sharedTarget(config.entries)
  const anyTarget = config.entries.some((e) => e.target)
  const targetNote = shared ? ` (${targetText(shared)})` : ''
  if (anyTarget) {
    out.set('reached', drawCategoryChart(byEntry.map(({ e, group, runs: rs }): CategoryItem => {
      if (!e.target || rs.length === 0) return { label: e.label, group, note: e.target ? `0/${rs.length}` : 'no target' }
      const k = rs.filter((r) => r.epochsToTarget !== null).length
      return { label: e.label, group, value: k / rs.length, interval: wilsonInterval(k, rs.length), note: `${k}/${rs.length}` }
    }), {
      title: `${config.name}: seeds reaching the target${targetNote}`, yLabel: 'fraction of seeds', style: 'bar', yMin: 0, yMax: 1.08,
      caption: 'bar: seeds that met the target / seeds finished; whisker: Wilson 95% interval',
    }))
    const budget = Math.max(...config.entries.map((e) => e.epochs))
    out.set('epochs', drawCategoryChart(byEntry.map(({ e, group, runs: rs }): CategoryItem => {
      const ep = rs.flatMap((r) => (r.epochsToTarget === null ? [] : [r.epochsToTarget]))
      return { label: e.label, group, box: quartiles(ep), points: ep, note: e.target ? `${ep.length}/${rs.length}` : 'no target' }
    }), {
      title: `${config.name}: epochs to the target${targetNote}`, yLabel: 'epochs to target', style: 'dot', yMin: 0, yMax: budget,
      caption: 'dots: seeds that met the target; box: quartiles and median; k/n: seeds that met it / seeds finished',
    }))
  }
  const accRuns = runs.filter((r) => r.test !== null)
  if (accRuns.length > 0) {
    const acc = shared?.metric === 'test_acc' ? shared.value : undefined
    out.set('accuracy', drawCategoryChart(byEntry.map(({ e, group, runs: rs }): CategoryItem => {
      const v = rs.flatMap((r) => (r.test && finite(r.test.accuracy) ? [r.test.accuracy] : []))
      const m = meanStd(v)
      return { label: e.label, group, value: m?.mean ?? null, interval: m && [m.mean - m.std, m.mean + m.std], points: v, note: `n=${v.length}` }
    }), {
      title: `${config.name}: final test accuracy`, yLabel: 'test accuracy', style: 'dot', yMin: 0, yMax: 1.05,
      refLine: acc === undefined ? undefined : { value: acc, label: `target ${acc}` },
      caption: 'dots: seeds; black: mean; whisker: ± one sd over seeds (n - 1)',
    }))
  }
  if (config.entries.some((e) => e.target?.metric === 'distance')) {
    out.set('distance', drawCategoryChart(byEntry.map(({ e, group, runs: rs }): CategoryItem => {
      const v = rs.flatMap((r) => (r.train && finite(r.train.distance) ? [r.train.distance] : []))
      const m = meanStd(v)
      return { label: e.label, group, value: m?.mean ?? null, interval: m && [m.mean - m.std, m.mean + m.std], points: v, note: `n=${v.length}` }
    }), {
      title: `${config.name}: training D at the last epoch`, yLabel: 'mean training D', style: 'dot', yMin: 0,
      refLine: shared?.metric === 'distance' ? { value: shared.value, label: `target ${shared.value}` } : undefined,
      caption: 'dots: seeds; black: mean; whisker: ± one sd over seeds (n - 1)',
    }))
  }
  const curved = runs.filter((r) => r.curve && r.curve.epoch.length > 0)
  if (curved.length > 0) {
    // D when every target is a D target; else test accuracy when every run evaluated at least twice, else training accuracy
    const useD = config.entries.every((e) => !e.target || e.target.metric === 'distance') && anyTarget
    const useTest = !useD && curved.every((r) => r.curve!.testEpoch.length >= 2)
    const what = useD ? 'training D (epoch mean)' : useTest ? 'test accuracy' : 'training accuracy (epoch mean)'
    const panels = byEntry.map(({ e, group, runs: rs }): CurvePanel => {
      const series = rs.flatMap((r) => (r.curve ? [useTest ? { epoch: r.curve.testEpoch, value: r.curve.testAccuracy } : { epoch: r.curve.epoch, value: useD ? r.curve.distance : r.curve.accuracy }] : []))
      const grid = useTest ? [...new Set(series.flatMap((s) => s.epoch))].sort((a, b) => a - b)
        : Array.from({ length: Math.max(0, ...series.map((s) => s.epoch.at(-1) ?? 0)) }, (_, k) => k + 1)
      return { label: e.label, group, epoch: grid, ...meanCurve(series, grid) }
    })
    out.set('curves', drawCurvePanels(panels, {
      title: `${config.name}: ${what}, mean over seeds`, yLabel: what, log: useD,
      ...(useD ? {} : { yMin: 0, yMax: 1 }),
      refLine: shared && ((useD && shared.metric === 'distance') || (useTest && shared.metric === 'test_acc')) ? shared.value : undefined,
      caption: 'line: mean over seeds; band: first to third quartile over seeds; a seed that stopped early keeps its last value',
    }))
  }
  return out
}

/** Writes the study's figures into dir as <name>.png; returns their paths (none before the first run finishes). */
export function writeStudyFigures(dir: string, config: StudyConfig, runs: StudyRun[]): string[] {
  if (runs.length === 0) return []
  const paths: string[] = []
  for (const [name, png] of studyFigures(config, runs)) {
    const path = join(dir, `${name}.png`)
    writeFileSync(path, png)
    paths.push(path)
  }
  return paths
}
