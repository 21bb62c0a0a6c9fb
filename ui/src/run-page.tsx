// One run, live: state and progress with time left, the buttons, loss and accuracy curves fed by the
// run's event stream, and maps of its phases, couplings, bias field and response that are fetched
// again as it trains.
import { useEffect, useRef, useState } from 'preact/hooks'
import { api, followRun, imageUrl, type MetricRow, type RunSnapshot, type RunView } from './api.ts'
import { Chart, type Series } from './chart.tsx'
import { SERIES } from './colours.ts'
import { formatDuration, StepRate } from './eta.ts'
import { NetworkMap, type MapField } from './network-map.tsx'
import { ProgressCell } from './overview.tsx'
import { explain, RunActions } from './run-actions.tsx'

/** At most one snapshot request per this many ms while a run streams events, for up to
 *  SNAPSHOT_EDGES couplings; a bigger network waits proportionally longer (an MNIST net's snapshot is MBs). */
const SNAPSHOT_EVERY_MS = 700
const SNAPSHOT_EDGES = 2000
/** The response map relaxes the simulator twice on the daemon: refreshed at most this often, and only for small networks. */
const RESPONSE_EVERY_MS = 5000
const RESPONSE_AUTO_MAX_NODES = 400
const FIELDS: MapField[] = ['phases', 'couplings', 'h']

/** Loss and accuracy series of a run's metrics rows, x = training step. */
export function curves(rows: readonly MetricRow[]): { loss: Series[]; accuracy: Series[] } {
  const pts = (kind: string, key: 'distance' | 'accuracy', split?: string) =>
    rows.filter((r) => r.kind === kind && r[key] !== null && (split === undefined || r.split === split)).map((r) => [r.step, r[key] as number] as const)
  return {
    loss: [
      { label: 'D per batch', colour: '#9ab', points: pts('batch', 'distance') },
      { label: 'D epoch mean', colour: SERIES[0], points: pts('epoch', 'distance') },
    ],
    accuracy: [
      { label: 'train (epoch)', colour: SERIES[0], points: pts('epoch', 'accuracy') },
      { label: 'test', colour: SERIES[1], points: pts('eval', 'accuracy', 'test') },
    ],
  }
}

export function RunPage(p: { id: string }) {
  const [view, setView] = useState<RunView | null>(null)
  const [error, setError] = useState<string | null>(null)
  const rows = useRef<MetricRow[]>([])
  const [rowCount, setRowCount] = useState(0)
  const [snap, setSnap] = useState<{ s: RunSnapshot; version: number } | null>(null)
  const [response, setResponse] = useState<string | null>(null)
  const [responseNote, setResponseNote] = useState<string | null>(null)
  const rate = useRef(new StepRate())

  useEffect(() => {
    let alive = true
    rows.current = []
    rate.current = new StepRate()
    setRowCount(0); setView(null); setSnap(null); setError(null)
    let version = 0, snapAt = 0, snapTimer: ReturnType<typeof setTimeout> | null = null, snapBusy = false
    let respAt = 0, respBusy = false, respUrl: string | null = null, nodes = 0, edges = 0
    const loadView = () => api<RunView>('GET', `/runs/${encodeURIComponent(p.id)}`).then((v) => { if (alive) setView(v) }, (e) => { if (alive) setError(explain(e)) })
    const loadSnap = () => {
      if (snapBusy) return
      snapBusy = true
      snapAt = Date.now()
      api<RunSnapshot>('GET', `/runs/${encodeURIComponent(p.id)}/snapshot`).then((s) => {
        nodes = s.nodes
        edges = s.edges.length
        if (alive) setSnap({ s, version: ++version })
      }, () => { /* the next event tries again */ }).finally(() => { snapBusy = false })
    }
    // throttled: the first event after a quiet spell fetches at once, a burst fetches once at its end
    const wantSnap = () => {
      if (snapTimer) return
      const wait = Math.max(0, snapAt + SNAPSHOT_EVERY_MS * Math.max(1, edges / SNAPSHOT_EDGES) - Date.now())
      snapTimer = setTimeout(() => { snapTimer = null; loadSnap() }, wait)
    }
    const loadResponse = (force = false) => {
      if (respBusy || (!force && (Date.now() - respAt < RESPONSE_EVERY_MS || nodes > RESPONSE_AUTO_MAX_NODES))) return
      respBusy = true
      respAt = Date.now()
      imageUrl(`/runs/${encodeURIComponent(p.id)}/plots/response.png`).then((u) => {
        if (!alive) { URL.revokeObjectURL(u); return }
        if (respUrl) URL.revokeObjectURL(respUrl)
        respUrl = u
        setResponse(u); setResponseNote(null)
      }, (e) => { if (alive) setResponseNote(explain(e)) }).finally(() => { respBusy = false })
    }
    let frame = 0
    const rerender = () => { if (!frame) frame = requestAnimationFrame(() => { frame = 0; if (alive) setRowCount(rows.current.length) }) }
    loadView(); loadSnap()
    const follow = followRun(p.id, (e) => {
      if (e.event === 'batch' || e.event === 'epoch' || e.event === 'eval') {
        const row = e.data.row as MetricRow
        rows.current.push(row)
        if (row.kind === 'batch') rate.current.add(row.t, row.step)
        rerender()
        wantSnap()
        if (row.kind === 'epoch') loadResponse()
      } else if (e.event === 'state') {
        if (e.data.to !== 'running') rate.current.reset()
        loadView(); wantSnap()
      } else if (e.event === 'checkpoint') {
        loadView()
      }
    }, () => { if (alive) { loadView(); loadSnap(); loadResponse(true) } })
    // progress between state changes comes from the run view
    const t = setInterval(loadView, 1000)
    setTimeout(() => loadResponse(true), 0)
    return () => {
      alive = false
      follow.stop(); clearInterval(t)
      if (snapTimer) clearTimeout(snapTimer)
      if (frame) cancelAnimationFrame(frame)
      if (respUrl) URL.revokeObjectURL(respUrl)
    }
  }, [p.id])

  const c = curves(rows.current)
  void rowCount
  return (
    <main>
      <h2>Run {p.id} {view?.label ? <small>{view.label}</small> : null}</h2>
      {error && <p class="error">{error}</p>}
      {view && (
        <section class="run-head">
          <p>
            <span class={`badge state-${view.state}`} data-testid="run-state">{view.state}</span>{' '}
            {view.stateReason ? <small>{view.stateReason} </small> : null}
            on <b>{view.device}</b>, task <b>{view.task}</b>, by {view.client}
          </p>
          <p><ProgressCell run={view} etaS={view.state === 'running' ? rate.current.etaS(view.progress.step, view.progress.steps) : null} /></p>
          <p><RunActions run={view} onDone={(r) => setView((v) => v && { ...v, ...r })} /></p>
          {view.error && <p class="error">{view.error}</p>}
          {view.result?.final && <p>Final {view.result.final.split} accuracy <b>{view.result.final.accuracy.toFixed(3)}</b>, D {view.result.final.distance.toPrecision(3)}</p>}
          {view.state === 'running' && rate.current.rate() !== null && <p><small>{rate.current.rate()!.toFixed(1)} steps/s · {formatDuration(rate.current.etaS(view.progress.step, view.progress.steps))} left</small></p>}
        </section>
      )}
      <section class="charts">
        <Chart title="Loss: distance D" xLabel="step" series={c.loss} logY testId="chart-loss" />
        <Chart title="Accuracy" xLabel="step" series={c.accuracy} yRange={[0, 1]} testId="chart-accuracy" />
      </section>
      <section class="maps">
        {snap ? FIELDS.map((f) => <NetworkMap key={f} snapshot={snap.s} field={f} version={snap.version} />) : <p>Loading the network state…</p>}
        <figure class="map" data-testid="map-response">
          <figcaption>Response dφ/dx₀ (drawn by the daemon)</figcaption>
          {response ? <img src={response} alt="response field of input 0" /> : <p>{responseNote ?? 'Drawing…'}</p>}
          {snap && snap.s.nodes > RESPONSE_AUTO_MAX_NODES && <small>large network: refreshed at the end of the run only</small>}
        </figure>
      </section>
      {snap && <p><small>maps from the {snap.s.source} state at epoch {snap.s.epoch}, step {snap.s.step}</small></p>}
    </main>
  )
}
