// Time left for a run from how fast its step count has been growing lately.

export interface StepSample { /** ms since 1970 */ t: number; step: number }

/** Keeps the last `keep` samples of one run's progress, dropping them when the run goes back or stops. */
export class StepRate {
  private samples: StepSample[] = []
  constructor(private readonly keep = 60) {}

  /** Records the step count at time t (ms); a lower step than the last one starts afresh. */
  add(t: number, step: number): void {
    const last = this.samples[this.samples.length - 1]
    if (last && (step < last.step || t < last.t)) this.samples = []
    if (last && step === last.step && t - last.t < 1) return
    this.samples.push({ t, step })
    if (this.samples.length > this.keep) this.samples.shift()
  }

  /** Forgets the samples (a pause: the time it spent paused must not count). */
  reset(): void { this.samples = [] }

  /** Steps per second over the kept window, or null with fewer than two distinct samples. */
  rate(): number | null {
    const a = this.samples[0], b = this.samples[this.samples.length - 1]
    if (!a || !b || b.t <= a.t || b.step <= a.step) return null
    return (b.step - a.step) / ((b.t - a.t) / 1000)
  }

  /** Seconds until step reaches steps at the current rate, or null when unknown. */
  etaS(step: number, steps: number): number | null {
    const r = this.rate()
    return r === null ? null : Math.max(0, steps - step) / r
  }
}

/** '1 h 05 min', '3 min 20 s', '12 s', or '—' for unknown. */
export function formatDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '—'
  const t = Math.round(s)
  if (t >= 3600) return `${Math.floor(t / 3600)} h ${String(Math.floor((t % 3600) / 60)).padStart(2, '0')} min`
  if (t >= 60) return `${Math.floor(t / 60)} min ${String(t % 60).padStart(2, '0')} s`
  return `${t} s`
}
