// Two runs side by side: their epoch curves on shared axes (x = epoch, since batch counts may differ),
// the settings in which they differ, and how each ended. Refreshed while either still trains.
import { api, type MetricRow, type RunSummary, type RunView } from './api.ts'
import { Chart, type Series } from './chart.tsx'
import { SERIES } from './colours.ts'
import { usePoll } from './poll.ts'

const TERMINAL = ['done', 'failed', 'cancelled']

/** Settings (config, task, device) whose values differ between two runs, as [name, a, b]. */
export function differences(a: RunView, b: RunView): [string, string, string][] {
  const show = (v: unknown) => v === undefined ? '—' : JSON.stringify(v)
  const flat = (v: RunView): Record<string, unknown> => ({ task: v.task, device: v.device, ...v.config })
  const fa = flat(a), fb = flat(b)
  return [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort()
    .filter((k) => show(fa[k]) !== show(fb[k]))
    .map((k) => [k, show(fa[k]), show(fb[k])])
}

interface Side { view: RunView; rows: MetricRow[] }

async function loadSide(id: string): Promise<Side> {
  const enc = encodeURIComponent(id)
  const [view, epoch, evals] = await Promise.all([
    api<RunView>('GET', `/runs/${enc}`),
    api<{ rows: MetricRow[] }>('GET', `/runs/${enc}/metrics?kind=epoch`),
    api<{ rows: MetricRow[] }>('GET', `/runs/${enc}/metrics?kind=eval`),
  ])
  return { view, rows: [...epoch.rows, ...evals.rows] }
}

function Picker(p: { runs: RunSummary[]; value: string; onPick: (id: string) => void; name: string }) {
  return (
    <label>{p.name}{' '}
      <select value={p.value} data-testid={`pick-${p.name}`} onChange={(e) => p.onPick((e.target as HTMLSelectElement).value)}>
        <option value="">choose a run</option>
        {p.runs.map((r) => <option key={r.id} value={r.id}>{r.id} · {r.task} · {r.state}{r.label ? ` · ${r.label}` : ''}</option>)}
      </select>
    </label>
  )
}

export function ComparePage(p: { a: string; b: string }) {
  const list = usePoll(() => api<{ runs: RunSummary[] }>('GET', '/runs'), 5000)
  const both = usePoll(async () => (p.a && p.b ? Promise.all([loadSide(p.a), loadSide(p.b)]) : null), 3000, [p.a, p.b])
  const go = (a: string, b: string) => { location.hash = `#/compare/${a}/${b}` }
  const sides = both.value
  const series = (key: 'distance' | 'accuracy', kind: 'epoch' | 'eval'): Series[] => !sides ? [] : sides.map((s, k) => ({
    label: `${s.view.id}${kind === 'eval' ? ' test' : key === 'accuracy' ? ' train' : ''}`,
    colour: SERIES[k],
    dash: kind === 'epoch' && key === 'accuracy',
    points: s.rows.filter((r) => r.kind === kind && r[key] !== null && (kind !== 'eval' || r.split === 'test')).map((r) => [r.epoch, r[key] as number] as const),
  }))
  return (
    <main>
      <h2>Compare two runs</h2>
      <p>
        <Picker name="A" runs={list.value?.runs ?? []} value={p.a} onPick={(id) => go(id, p.b)} />{' '}
        <Picker name="B" runs={list.value?.runs ?? []} value={p.b} onPick={(id) => go(p.a, id)} />
      </p>
      {both.error && <p class="error">{both.error.message}</p>}
      {sides && (
        <>
          <section class="charts">
            <Chart title="Loss: epoch mean D" xLabel="epoch" series={series('distance', 'epoch')} logY testId="compare-loss" />
            <Chart title="Accuracy: test (solid), train (dashed)" xLabel="epoch" series={[...series('accuracy', 'eval'), ...series('accuracy', 'epoch')]} yRange={[0, 1]} testId="compare-accuracy" />
          </section>
          <table data-testid="compare-table">
            <thead><tr><th /><th style={{ color: SERIES[0] }}>A: {sides[0].view.id}</th><th style={{ color: SERIES[1] }}>B: {sides[1].view.id}</th></tr></thead>
            <tbody>
              <tr><td>state</td>{sides.map((s) => <td>{s.view.state}{TERMINAL.includes(s.view.state) ? '' : ` (epoch ${s.view.progress.epoch}/${s.view.progress.epochs})`}</td>)}</tr>
              <tr><td>final accuracy</td>{sides.map((s) => <td>{s.view.result?.final ? `${s.view.result.final.accuracy.toFixed(3)} (${s.view.result.final.split})` : '—'}</td>)}</tr>
              <tr><td>last test accuracy</td>{sides.map((s) => <td>{s.view.lastMetrics.eval?.accuracy?.toFixed(3) ?? '—'}</td>)}</tr>
              {differences(sides[0].view, sides[1].view).map(([k, a, b]) => <tr key={k} class="diff"><td>{k}</td><td>{a}</td><td>{b}</td></tr>)}
            </tbody>
          </table>
          <p><small>Rows below the results are the settings that differ; every other setting is the same.</small></p>
        </>
      )}
    </main>
  )
}
