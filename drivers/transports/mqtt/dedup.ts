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
  // the last `depth` distinct command frames as a ring of (seq | msg id << 16, CRC) pairs: a scan of at
  // most 64 pairs per frame, with nothing allocated per frame (a string key per frame was most of this
  // filter's cost)
  private readonly tag: Uint32Array
  private readonly crc: Uint32Array
  private next = 0
  private count = 0
  private win = 1

  /** depth: distinct command frames remembered (SPEC 10.3: 64); 0 passes everything */
  constructor(private readonly depth = 64) {
    this.tag = new Uint32Array(depth)
    this.crc = new Uint32Array(depth)
  }

  /** The session window the board last announced in DEVICE_INFO (1 before, and after a new HELLO). */
  get window(): number { return this.win }

  /** How many distinct frames arrived after this one (0: it is the newest), or -1 if it is not remembered. */
  private age(tag: number, crc: number): number {
    for (let a = 0, i = this.next; a < this.count; a++) {
      i = i === 0 ? this.depth - 1 : i - 1
      if (this.tag[i] === tag && this.crc[i] === crc) return a
    }
    return -1
  }

  /** Judges one command-topic frame; 'drop' means the board must not see it. */
  judge(f: Uint8Array): DedupVerdict {
    const n = f.length
    if (this.depth === 0 || n < 12 || f[5] === MESSAGE_IDS.HEARTBEAT) return 'exempt'
    const tag = f[3] | (f[4] << 8) | (f[5] << 16)
    const crc = (f[n - 4] | (f[n - 3] << 8) | (f[n - 2] << 16) | (f[n - 1] << 24)) >>> 0
    const age = this.age(tag, crc)
    if (age === 0) return 'retry'
    if (age > 0) {
      if (this.win > 1 && f[5] !== MESSAGE_IDS.HELLO && f[5] !== MESSAGE_IDS.STOP && age < this.win) return 'window-copy'
      return 'drop'
    }
    // a new HELLO opens a new session: window 1 until the board's DEVICE_INFO says otherwise
    if (f[5] === MESSAGE_IDS.HELLO) this.win = 1
    this.tag[this.next] = tag
    this.crc[this.next] = crc
    this.next = this.next + 1 === this.depth ? 0 : this.next + 1
    if (this.count < this.depth) this.count++
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
