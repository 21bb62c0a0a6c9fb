// Daemons for tests: in-process on a loopback port (fast), or as a child process (restart, kill -9).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ServeConfig, type ServeConfigInput } from '../../src/api/config.ts'
import { startDaemon, type Daemon } from '../../src/api/daemon.ts'

export const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))

const made: string[] = []
process.on('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }) })

/** A fresh directory under the system temp dir, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `eqprop-${prefix}-`))
  made.push(d)
  return d
}

/** A daemon in this process on 127.0.0.1, port 0, a fresh data directory unless one is given. */
export async function inProcessDaemon(cfg: ServeConfigInput = {}): Promise<Daemon> {
  const parsed = ServeConfig.parse({ port: 0, relaxRate: 0, logLevel: 'silent', ...cfg })
  return startDaemon({ ...parsed, dataDir: parsed.dataDir ?? tempDir('daemon') })
}

export interface JsonResponse<T = any> { status: number; body: T; headers: Headers; text: string }

/** A fetch that sends and parses JSON; never throws on an HTTP status. */
export async function call<T = any>(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let parsed: unknown = text
  if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text)
  return { status: res.status, body: parsed as T, headers: res.headers, text }
}

export interface SseEvent { id: number; event: string; data: any }

/** Reads an SSE stream over real HTTP until the server ends it (or stop returns true); returns the events. */
export async function readSse(url: string, opts: { headers?: Record<string, string>; stop?: (e: SseEvent) => boolean } = {}): Promise<SseEvent[]> {
  const ctrl = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...opts.headers }, signal: ctrl.signal })
  if (res.status !== 200) throw new Error(`SSE ${url}: HTTP ${res.status} ${await res.text()}`)
  const out: SseEvent[] = []
  const dec = new TextDecoder()
  let buf = ''
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true })
      let k: number
      while ((k = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, k)
        buf = buf.slice(k + 2)
        const e: Partial<SseEvent> = {}
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) e.id = Number(line.slice(4))
          else if (line.startsWith('event: ')) e.event = line.slice(7)
          else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6))
        }
        if (e.event) {
          out.push(e as SseEvent)
          if (opts.stop?.(e as SseEvent)) { ctrl.abort(); return out }
        }
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e
  }
  return out
}

export interface DaemonProcess { child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }

/** Spawns `eqprop-hil serve` and resolves with the address it prints on stdout. */
export function spawnDaemon(args: string[], env: Record<string, string> = {}): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-format', 'json', '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = '', err = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.stderr!.on('data', (d) => { err += d })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`daemon did not start within 30 s: ${err}`)) }, 30_000)
    child.stdout!.on('data', (d) => {
      out += d
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) { clearTimeout(timer); resolve({ child, url: m[1], stderr: () => err, exited }) }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`daemon exited with ${code} before listening: ${err}`)) })
  })
}
