// Pause, resume and cancel buttons of a run, enabled by what its state allows; errors (a 401 without
// a token, a 409 from a race) are shown beside them.
import { useState } from 'preact/hooks'
import { RUN_TRANSITIONS, type RunState } from '../../src/engine/run-state.ts'
import { api, ApiError, type RunSummary } from './api.ts'

/** The state each verb moves a run to; the button is enabled when the engine's table allows that move. */
const TARGET = { pause: 'paused', resume: 'running', cancel: 'cancelled' } as const
// (a queued run starts by itself: queued -> running is not a resume)
const allowed = (state: string, verb: keyof typeof TARGET) => !(verb === 'resume' && state === 'queued') && ((RUN_TRANSITIONS[state as RunState] as readonly string[] | undefined)?.includes(TARGET[verb]) ?? false)

/** What to tell the user about a failed action. */
export function explain(e: unknown): string {
  if (e instanceof ApiError && e.status === 401) return 'The daemon needs a token for this: use "Enter token" at the top.'
  return e instanceof ApiError ? `${e.code}: ${e.message}` : String(e)
}

export function RunActions(p: { run: Pick<RunSummary, 'id' | 'state'>; onDone: (r: RunSummary) => void }) {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const act = async (verb: 'pause' | 'resume' | 'cancel') => {
    setBusy(true)
    try { p.onDone(await api<RunSummary>('POST', `/runs/${encodeURIComponent(p.run.id)}/${verb}`)); setError(null) } catch (e) { setError(explain(e)) } finally { setBusy(false) }
  }
  return (
    <span class="actions">
      {(['pause', 'resume', 'cancel'] as const).map((v) => (
        <button type="button" data-testid={`${v}-${p.run.id}`} disabled={busy || !allowed(p.run.state, v)} onClick={() => act(v)}>
          {v[0].toUpperCase() + v.slice(1)}
        </button>
      ))}
      {error && <span class="error" data-testid="action-error">{error}</span>}
    </span>
  )
}
