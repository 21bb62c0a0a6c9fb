// Server-Sent Events on the raw response: `id` is the run's event seq (so Last-Event-ID resumes a
// stream), `event` the type, `data` one JSON object. Streams end when the run reaches a final state.
import type { ServerResponse } from 'node:http'

export interface SseStream {
  send(id: number, event: string, data: unknown): void
  end(): void
  readonly closed: boolean
}

/** Keeps every open stream, so a shutdown can end them (a server does not close while they are open). */
export class SseHub {
  private readonly open = new Set<SseStream>()

  /** Takes over a response: writes the event-stream head and starts a heartbeat comment. */
  start(res: ServerResponse, onClose: () => void, heartbeatS = 15): SseStream {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write('retry: 2000\n\n')
    let closed = false
    const hub = this.open
    const timer = setInterval(() => { if (!closed) res.write(': ping\n\n') }, heartbeatS * 1000)
    timer.unref()
    const stream: SseStream = {
      get closed() { return closed },
      send(id, event, data) {
        if (closed) return
        res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
        // a client that stopped reading is dropped rather than buffered without bound
        if (res.writableLength > 8 * 1024 * 1024) stream.end()
      },
      end() {
        if (closed) return
        closed = true
        clearInterval(timer)
        hub.delete(stream)
        onClose()
        res.end()
      },
    }
    res.on('close', () => stream.end())
    this.open.add(stream)
    return stream
  }

  /** Ends every open stream. */
  endAll(): void {
    for (const s of [...this.open]) s.end()
  }

  get size(): number { return this.open.size }
}
