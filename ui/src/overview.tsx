// The front page: the devices (state, lease, link health) and the runs (queue, state, progress with
// time left, pause/resume/cancel), polled every two seconds; two ticked runs open the comparison.
import { useRef, useState } from 'preact/hooks'
import type { DeviceCounters } from '../../drivers/remote/diagnostics.ts'
import { api, type DeviceView, type RunSummary } from './api.ts'
import { formatDuration, StepRate } from './eta.ts'
import { usePoll } from './poll.ts'
import { RunActions } from './run-actions.tsx'

const POLL_MS = 2000

/** A board's link in a few words: state, round trip, what went wrong so far; a simulator is always up.
 *  ok is the connection state only: the diagnostics count since attach and stay after a recovery. */
export function linkHealth(d: DeviceView): { state: string; health: string; ok: boolean } {
  if (!d.status) return { state: 'ready', health: `simulator · ${d.stats.relaxCalls} relax calls · ${d.stats.errors} errors`, ok: true }
  const c = d.status.counters as Partial<DeviceCounters>
  const parts: string[] = []
  if (c.rtt && c.rtt.samples > 0) parts.push(`rtt ${(c.rtt.meanS * 1000).toFixed(1)} ms`)
  for (const [k, label] of [['retries', 'retries'], ['timeouts', 'timeouts'], ['crcErrors', 'CRC errors'], ['reconnects', 'reconnects']] as const) {
    if (c[k]) parts.push(`${c[k]} ${label}`)
  }
  for (const [code, e] of Object.entries(d.status.diagnostics as Record<string, { count: number }>)) parts.push(`${code}×${e.count}`)
  return { state: d.status.state, health: parts.join(' · ') || 'no problems seen', ok: d.status.state === 'ready' }
}

export function DevicesTable() {
  const { value, error } = usePoll(() => api<{ devices: DeviceView[] }>('GET', '/devices'), POLL_MS)
  return (
    <section>
      <h2>Devices</h2>
      {error && <p class="error">{error.message}</p>}
      {value && value.devices.length === 0 && <p>No devices attached. Attach one with <code>POST /devices</code> (see <a href="/docs">/docs</a>).</p>}
      {value && value.devices.length > 0 && (
        <table data-testid="devices">
          <thead><tr><th>id</th><th>kind</th><th>network</th><th>state</th><th>lease</th><th>queue</th><th>link health</th></tr></thead>
          <tbody>
            {value.devices.map((d) => {
              const h = linkHealth(d)
              return (
                <tr key={d.id} data-testid={`device-${d.id}`}>
                  <td>{d.id}{d.name ? <small> {d.name}</small> : null}</td>
                  <td>{d.kind} <small>{d.info.model}</small></td>
                  <td>{d.network.nodes} nodes, {d.network.couplings} couplings{d.network.layout ? ` (${d.network.layout.rows}×${d.network.layout.cols})` : ''}</td>
                  <td><span class={`badge ${h.ok ? 'ok' : 'warn'}`}>{h.state}</span></td>
                  <td>{d.lease ? <><a href={`#/runs/${d.lease.run}`}>{d.lease.run}</a> <small>by {d.lease.client}</small></> : 'free'}</td>
                  <td>{d.queued.length ? d.queued.map((r) => <a key={r} href={`#/runs/${r}`}>{r} </a>) : '—'}</td>
                  <td class={h.ok ? '' : 'warn'}>{h.health}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** Progress bar and the words beside it. */
export function ProgressCell(p: { run: RunSummary; etaS: number | null }) {
  const g = p.run.progress
  return (
    <span class="progress">
      <progress max={1} value={g.fraction} />
      <small>epoch {g.epoch}/{g.epochs} · step {g.step}/{g.steps}{p.run.state === 'running' ? ` · ETA ${formatDuration(p.etaS)}` : ''}</small>
    </span>
  )
}

export function RunsTable() {
  const rates = useRef(new Map<string, StepRate>())
  const [picked, setPicked] = useState<string[]>([])
  const { value, error, refresh } = usePoll(async () => {
    const r = await api<{ runs: RunSummary[] }>('GET', '/runs')
    const now = Date.now()
    for (const run of r.runs) {
      const rate = rates.current.get(run.id) ?? new StepRate()
      rates.current.set(run.id, rate)
      if (run.state === 'running') rate.add(now, run.progress.step)
      else rate.reset()
    }
    return r
  }, POLL_MS)
  const toggle = (id: string) => setPicked((p) => p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id])
  const runs = value ? [...value.runs].reverse() : []
  return (
    <section>
      <h2>Runs</h2>
      {error && <p class="error">{error.message}</p>}
      {value && runs.length === 0 && <p>No runs yet. Start one with <code>POST /runs</code> or <code>eqprop-hil runs start</code>.</p>}
      {runs.length > 0 && (
        <>
          <p><button type="button" disabled={picked.length !== 2} data-testid="compare-picked"
            onClick={() => { location.hash = `#/compare/${picked[0]}/${picked[1]}` }}>Compare the two ticked runs</button></p>
          <table data-testid="runs">
            <thead><tr><th /><th>run</th><th>device</th><th>task</th><th>state</th><th>progress</th><th>last test accuracy</th><th /></tr></thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-testid={`run-${r.id}`} data-state={r.state}>
                  <td><input type="checkbox" checked={picked.includes(r.id)} onChange={() => toggle(r.id)} aria-label={`pick ${r.id} to compare`} /></td>
                  <td><a href={`#/runs/${r.id}`}>{r.id}</a>{r.label ? <small> {r.label}</small> : null}</td>
                  <td>{r.device}</td>
                  <td>{r.task}</td>
                  <td><span class={`badge state-${r.state}`}>{r.state}</span>{r.stateReason ? <small> {r.stateReason}</small> : null}</td>
                  <td><ProgressCell run={r} etaS={rates.current.get(r.id)?.etaS(r.progress.step, r.progress.steps) ?? null} /></td>
                  <td>{r.lastMetrics.eval?.accuracy != null ? r.lastMetrics.eval.accuracy.toFixed(3) : '—'}</td>
                  <td><RunActions run={r} onDone={refresh} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}

export function Overview() {
  return <main><DevicesTable /><RunsTable /></main>
}
