// Talking to the daemon from the page: JSON over fetch with the bearer token the user entered (kept in
// localStorage), and the run event stream read from a fetch body so the same header goes with it.
import type { MetricRow, RunSnapshot, RunSummary, RunView } from '../../src/services/runs/schemas.ts'
import type { DeviceView } from '../../src/services/devices/schemas.ts'
import { isTerminal, RUN_STATES, type RunState } from '../../src/engine/run-state.ts'

export type { DeviceView, MetricRow, RunSnapshot, RunSummary, RunView }

const TOKEN_KEY = 'eqprop-hil.token'

/** The token kept in this browser, or '' for none. */
export function getToken(): string {
  try { return localStorage.getItem(TOKEN_KEY) ?? '' } catch { return '' }
}

/** Keeps the token in this browser ('' forgets it). */
export function setToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token)
  else localStorage.removeItem(TOKEN_KEY)
}

/** An error reply of the daemon: HTTP status plus its {code, message} body. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message) }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = getToken()
  return { ...(t ? { authorization: `Bearer ${t}` } : {}), ...extra }
}

/** A JSON request; throws ApiError with the daemon's code and message on an error status. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let parsed: unknown = null
  try { parsed = text ? JSON.parse(text) : null } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    const b = (parsed ?? {}) as { code?: string; message?: string }
    throw new ApiError(res.status, b.code ?? `HTTP_${res.status}`, b.message ?? (text.slice(0, 200) || res.statusText))
  }
  return parsed as T
}

/** A PNG the daemon draws (run pictures), fetched with the token, as an object URL the caller revokes. */
export async function imageUrl(path: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(path, { headers: headers(), signal })
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, await res.text())
  return URL.createObjectURL(await res.blob())
}

export interface StreamEvent { seq: number; event: string; data: Record<string, unknown> & { seq: number; t: number } }

/**
 * Follows GET /runs/:id/events: calls onEvent for each event, reconnecting from the last seq when the
 * connection drops or the daemon restarts, until the run reaches a final state or stop() is called.
 */
export function followRun(id: string, onEvent: (e: StreamEvent) => void, onEnd: () => void = () => {}): { stop: () => void } {
  const ctrl = new AbortController()
  let last = 0
  let stopped = false
  const run = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const res = await fetch(`/runs/${encodeURIComponent(id)}/events${last ? `?since=${last}` : ''}`, { headers: headers({ accept: 'text/event-stream' }), signal: ctrl.signal })
        if (!res.ok || !res.body) throw new ApiError(res.status, `HTTP_${res.status}`, await res.text())
        attempt = 0
        let final = false, seen = 0
        await readEvents(res.body, (e) => {
          last = e.seq
          seen++
          if (e.event === 'state' && RUN_STATES.includes(e.data.to as RunState) && isTerminal(e.data.to as RunState)) final = true
          onEvent(e)
        })
        // a stream the server ends at once, with nothing new, is one of a run that had already ended
        if (final || seen === 0) { onEnd(); return }
        // ended without a final state: the daemon is shutting down; follow again once it is back
        throw new Error('stream ended early')
      } catch (e) {
        if (stopped || (e as Error).name === 'AbortError') return
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) { onEnd(); return }
        // a dropped connection (daemon restart): try again with back-off, from the last event seen
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)))
      }
    }
  }
  void run()
  return { stop: () => { stopped = true; ctrl.abort() } }
}

/** Parses an event-stream body into events (id, event, one data line of JSON each). */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (e: StreamEvent) => void): Promise<void> {
  const reader = body.getReader()
  const dec = new TextDecoder()
  let buf = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    buf += dec.decode(value, { stream: true })
    let k: number
    while ((k = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, k)
      buf = buf.slice(k + 2)
      let event = '', data = '', id = NaN
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7)
        else if (line.startsWith('data: ')) data += line.slice(6)
        else if (line.startsWith('id: ')) id = Number(line.slice(4))
      }
      if (event && data) onEvent({ seq: id, event, data: JSON.parse(data) })
    }
  }
}
