// Progress on stderr: a redrawn bar with ETA in a terminal, a line every tenth of the run otherwise.
import type { EngineEvent } from '../engine/events.ts'

/** The fit part of a progress line: accuracy, and MSE (patterns), or MSE and R^2 instead (regression). */
export function fitText(m: { accuracy: number; mse?: number; r2?: number }, acc = 'acc'): string {
  if (m.r2 !== undefined) return `mse ${(m.mse ?? NaN).toExponential(2)} R^2 ${m.r2.toFixed(3)}`
  return `${acc} ${m.accuracy.toFixed(3)}${m.mse !== undefined ? ` mse ${m.mse.toExponential(2)}` : ''}`
}

/** Returns an event listener that draws training progress to the given stream. */
export function progressPrinter(stream: NodeJS.WriteStream, total: number): (e: EngineEvent) => void {
  const t0 = performance.now()
  const tty = stream.isTTY === true
  let lastLine = 0
  return (e) => {
    if (e.type === 'eval') {
      const line = `  eval @ epoch ${e.epoch}: test ${fitText(e.metrics, 'accuracy')}, D ${e.metrics.distance.toExponential(2)}`
      if (tty) stream.write('\r\x1b[K')
      if (tty || e.epoch === total) stream.write(line + '\n')
      return
    }
    if (e.type !== 'epoch') return
    const done = e.epoch / total
    const elapsed = (performance.now() - t0) / 1000
    const eta = done > 0 ? elapsed * (1 - done) / done : 0
    const m = e.metrics
    const text = `epoch ${e.epoch}/${total} D ${m.distance.toExponential(2)} ${fitText(m)} settled ${(m.settled * 100).toFixed(0)}% ` +
      `${elapsed.toFixed(1)}s ETA ${eta.toFixed(1)}s`
    if (tty) {
      const w = 24, fill = Math.round(done * w)
      stream.write(`\r\x1b[K[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${text}`)
      if (e.epoch === total) stream.write('\n')
    } else if (e.epoch === total || e.epoch >= lastLine + Math.max(1, Math.floor(total / 10))) {
      lastLine = e.epoch
      stream.write(text + '\n')
    }
  }
}
