// Round-trip estimates per command name for the reply timeouts (RFC 6298).

/**
 * Round-trip estimates per command (RFC 6298: smoothed RTT and its variation), so each command waits
 * as long as it has been seen to take: a RELAX that takes 0.3 s on a healthy link is never resent,
 * while a lost GET_STATE is resent after its own few milliseconds and not after the slowest
 * command's time. Samples come from replies to a first send (Karn's rule) and, for a command that
 * was resent, from the time since its latest send when that already exceeds the timeout: a lower
 * bound on its round trip whichever copy was answered, so a command slower than the floor is learned
 * even when every send of it times out once. The exponential backoff of RFC 6298 lives with each
 * command in flight (Session), not here: a reply lost on a noisy line says nothing about how long
 * the next command of that name takes.
 */
export class RttEstimator {
  private readonly est = new Map<string, { srtt: number; rttvar: number }>()

  /** Adds a round trip (s) of a command. */
  sample(name: string, r: number): void {
    const e = this.est.get(name)
    if (!e) { this.est.set(name, { srtt: r, rttvar: r / 2 }); return }
    e.rttvar = 0.75 * e.rttvar + 0.25 * Math.abs(e.srtt - r)
    e.srtt = 0.875 * e.srtt + 0.125 * r
  }

  /** The retransmission timeout of a command (s): srtt + 4 rttvar, never below floorS, `initialS` until measured. */
  rto(name: string, floorS: number, initialS = floorS): number {
    const e = this.est.get(name)
    return e ? Math.max(floorS, e.srtt + 4 * e.rttvar) : Math.max(floorS, initialS)
  }

  /** The smoothed round trip of a command (s), or undefined before its first sample. */
  srtt(name: string): number | undefined { return this.est.get(name)?.srtt }
}
