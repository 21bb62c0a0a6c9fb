// Counters the daemon exposes at /metrics (Prometheus text format): relaxations, device errors, runs.

/** Relaxations per second over a sliding window of whole seconds. */
class RateWindow {
  private readonly buckets: Float64Array
  private readonly stamps: Float64Array
  constructor(private readonly seconds: number) {
    this.buckets = new Float64Array(seconds)
    this.stamps = new Float64Array(seconds).fill(-1)
  }
  add(n: number, nowMs: number): void {
    const sec = Math.floor(nowMs / 1000), k = sec % this.seconds
    if (this.stamps[k] !== sec) { this.stamps[k] = sec; this.buckets[k] = 0 }
    this.buckets[k] += n
  }
  /** mean per second over the last `seconds` whole seconds */
  rate(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000)
    let sum = 0
    for (let k = 0; k < this.seconds; k++) if (this.stamps[k] > sec - this.seconds - 1 && this.stamps[k] < sec) sum += this.buckets[k]
    return sum / this.seconds
  }
}

export class Telemetry {
  relaxCalls = 0
  relaxSamples = 0
  private readonly window = new RateWindow(10)
  readonly deviceErrors = new Map<string, number>()
  readonly httpRequests = new Map<number, number>()
  readonly startedAt = Date.now()

  /** Counts one relax call of `samples` samples. */
  relaxed(samples: number): void {
    this.relaxCalls++
    this.relaxSamples += samples
    this.window.add(samples, Date.now())
  }

  deviceError(device: string): void {
    this.deviceErrors.set(device, (this.deviceErrors.get(device) ?? 0) + 1)
  }

  httpResponse(status: number): void {
    this.httpRequests.set(status, (this.httpRequests.get(status) ?? 0) + 1)
  }

  /** Sampled relaxations per second over the last 10 s. */
  relaxRate(): number { return this.window.rate(Date.now()) }
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** The Prometheus text exposition of the counters and of the run counts by state. */
export function renderPrometheus(t: Telemetry, runsByState: Record<string, number>, devices: number): string {
  const out: string[] = []
  const metric = (name: string, type: string, help: string, rows: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, v] of rows) out.push(`${name}${labels} ${Number.isFinite(v) ? v : 0}`)
  }
  metric('eqp_runs', 'gauge', 'Runs by state.', Object.entries(runsByState).map(([s, n]) => [`{state="${esc(s)}"}`, n]))
  metric('eqp_devices', 'gauge', 'Attached devices.', [['', devices]])
  metric('eqp_relaxations_total', 'counter', 'Samples relaxed on all devices (runs and the relax route).', [['', t.relaxSamples]])
  metric('eqp_relax_calls_total', 'counter', 'Relax calls on all devices.', [['', t.relaxCalls]])
  metric('eqp_relaxations_per_second', 'gauge', 'Samples relaxed per second over the last 10 s.', [['', t.relaxRate()]])
  metric('eqp_device_errors_total', 'counter', 'Failed device calls, by device.', [...t.deviceErrors].map(([d, n]) => [`{device="${esc(d)}"}`, n]))
  metric('eqp_http_responses_total', 'counter', 'HTTP responses by status code.', [...t.httpRequests].sort((a, b) => a[0] - b[0]).map(([s, n]) => [`{status="${s}"}`, n]))
  metric('eqp_uptime_seconds', 'gauge', 'Seconds since the daemon started.', [['', (Date.now() - t.startedAt) / 1000]])
  return out.join('\n') + '\n'
}
