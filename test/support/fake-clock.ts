// Fake time for session, retry, heartbeat and watchdog tests: nothing happens until advance(), and
// between two timers the event loop runs, so frames on an in-memory link are delivered in order.
import type { Clock } from '../../drivers/transports/transport.ts'

interface Timer { at: number; id: number; fn: () => void }

/** Lets pending I/O callbacks (setImmediate deliveries and their replies) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r))
}

export class FakeClock implements Clock {
  private t = 1000
  private timers: Timer[] = []
  private nextId = 0

  now(): number { return this.t }

  after(s: number, fn: () => void): () => void {
    const timer = { at: this.t + Math.max(0, s), id: this.nextId++, fn }
    this.timers.push(timer)
    return () => { this.timers = this.timers.filter((x) => x !== timer) }
  }

  /** Moves time forward by s, firing due timers in order and letting I/O settle after each. */
  async advance(s: number): Promise<void> {
    const end = this.t + s
    await settle()
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id)
      const next = this.timers[0]
      if (!next || next.at > end) break
      this.timers.shift()
      this.t = Math.max(this.t, next.at)
      next.fn()
      await settle()
    }
    this.t = end
    await settle()
  }

  /** Advances in small steps until cond() holds (or gives up after maxS of fake time). */
  async until(cond: () => boolean, maxS = 60, stepS = 0.05): Promise<void> {
    for (let waited = 0; !cond(); waited += stepS) {
      if (waited > maxS) throw new Error(`condition not met within ${maxS} s of fake time`)
      await this.advance(stepS)
    }
  }
}
