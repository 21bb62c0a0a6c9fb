// SPEC 10.3: which command frames a board's MQTT link passes on. QoS 1 may deliver a copy late, after
// newer commands; a copy the board's reply cache does not cover would execute again. In a 1.0 session
// (window 1) the cache holds one reply and nothing else stops an old command, so the link drops a copy
// of any of its last `depth` command frames except the newest (a host retry, answered from the cache).
// In a session with a window w > 1 the board runs commands strictly in seq order and caches w replies
// (SPEC 5.3, 5.4): a copy among the last w is answered from the cache, waits in the queue, or is
// refused OUT_OF_ORDER, so it is passed on, which is what lets the host resend an older in-window
// command after a lost reply. HELLO and STOP skip the board's order check, so their copies are passed
// only while newest; anything older than the last w is dropped (a very late copy whose seq happens to
// come round again, or one from an earlier session, would otherwise run).
import { decodeMessage, MESSAGE_IDS } from '../../../firmware-protocol/ts/index.ts'

/** What the filter decided about one frame. */
export type DedupVerdict = 'new' | 'retry' | 'window-copy' | 'drop' | 'exempt'

/** The de-duplication state of one board link: the last `depth` distinct command frames and the session window. */
export class CommandDedup {
  /** keys (seq, msg id, CRC) of the last `depth` distinct command frames, oldest first */
  private readonly recent: string[] = []
  private readonly seen = new Set<string>()
  private win = 1

  /** depth: distinct command frames remembered (SPEC 10.3: 64); 0 passes everything */
  constructor(private readonly depth = 64) {}

  /** The session window the board last announced in DEVICE_INFO (1 before, and after a new HELLO). */
  get window(): number { return this.win }

  /** Judges one command-topic frame; 'drop' means the board must not see it. */
  judge(f: Uint8Array): DedupVerdict {
    if (this.depth === 0 || f.length < 12 || f[5] === MESSAGE_IDS.HEARTBEAT) return 'exempt'
    const key = `${f[3] | (f[4] << 8)}:${f[5]}:${f[f.length - 4]},${f[f.length - 3]},${f[f.length - 2]},${f[f.length - 1]}`
    const n = this.recent.length
    if (n > 0 && this.recent[n - 1] === key) return 'retry'
    if (this.seen.has(key)) {
      if (this.win > 1 && f[5] !== MESSAGE_IDS.HELLO && f[5] !== MESSAGE_IDS.STOP && this.recent.lastIndexOf(key) >= n - this.win) return 'window-copy'
      return 'drop'
    }
    // a new HELLO opens a new session: window 1 until the board's DEVICE_INFO says otherwise
    if (f[5] === MESSAGE_IDS.HELLO) this.win = 1
    this.recent.push(key)
    this.seen.add(key)
    if (this.recent.length > this.depth) this.seen.delete(this.recent.shift()!)
    return 'new'
  }

  /** Reads the window from a DEVICE_INFO the board sends (any other frame is ignored). */
  boardSent(f: Uint8Array): void {
    if (f.length < 12 || f[5] !== MESSAGE_IDS.DEVICE_INFO) return
    try {
      const m = decodeMessage(f, { role: 'host' })
      if (m.name === 'DEVICE_INFO') this.win = Math.max(1, m.body.window || 1)
    } catch { /* a damaged frame: the host refuses it too, and resends HELLO */ }
  }
}
