// A small HTTP client for a running daemon (fetch, plus an SSE reader), used by `eqprop-hil runs`.
import { EqpError } from '../errors.ts'

/** An error answered by the daemon: its code and message, and the HTTP status. */
export class DaemonError extends Error {
  override name = 'DaemonError'
  constructor(readonly status: number, readonly code: string, message: string) { super(message) }
}

export class DaemonClient {
  constructor(readonly url: string, private readonly token?: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'x-eqp-client': 'cli', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra }
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(this.url + path, init)
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause
      throw new EqpError('EQP_ERR_DAEMON_UNREACHABLE', [this.url, cause?.code ?? cause?.message ?? (e as Error).message])
    }
  }

  /** One request; JSON in, JSON (or text) out; a non-2xx answer throws DaemonError. */
  async request<T = unknown>(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<T> {
    const res = await this.fetch(path, {
      method,
      headers: this.headers({ accept, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }),
      body: body !== undefined ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    if (!res.ok) {
      let e: { code?: string; message?: string } = {}
      try { e = JSON.parse(text) } catch { /* not JSON */ }
      throw new DaemonError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? text)
    }
    return ((res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T
  }

  /** Follows an SSE stream, calling onEvent per event, until the server ends it. */
  async events(path: string, onEvent: (type: string, data: unknown) => void): Promise<void> {
    const res = await this.fetch(path, { headers: this.headers({ accept: 'text/event-stream' }) })
    if (!res.ok || !res.body) {
      const text = await res.text()
      let e: { code?: string; message?: string } = {}
      try { e = JSON.parse(text) } catch { /* not JSON */ }
      throw new DaemonError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? text)
    }
    const dec = new TextDecoder()
    let buf = ''
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true })
      let k: number
      while ((k = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, k)
        buf = buf.slice(k + 2)
        let type = 'message'
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
        }
        if (data.length) onEvent(type, JSON.parse(data.join('\n')))
      }
    }
  }
}
