// SPEC 10.5 (since 1.2): several inner frames in one MQTT message. A broker with Nagle's algorithm on
// (mosquitto's default, set_tcp_nodelay false) holds a second small message to a client until the
// client acknowledges the first; a host waiting for RELAX_DONE and STATE sends nothing in between, so
// its delayed ACK (40 ms on Linux) paced every pipelined relaxation. One message per burst each way
// leaves the broker nothing to hold back, and halves the messages (each costs CPU on every hop).
//
// The inner frame carries its own length (bytes 6-7), so frames back to back split without a
// delimiter. A payload that does not split exactly is passed on whole, as one frame: the receive
// checks (SPEC 3.4) refuse it as a damaged frame would be.
import { MESSAGE_IDS } from '../../../firmware-protocol/ts/index.ts'

const HEADER = 8, TRAILER = 4

/** The frames of one MQTT payload (a single frame when it is not an exact concatenation of two or more). */
export function splitPayload(p: Uint8Array): Uint8Array[] {
  const n = p.length
  let at = 0, count = 0
  while (at + HEADER + TRAILER <= n) {
    at += HEADER + (p[at + 6] | (p[at + 7] << 8)) + TRAILER
    count++
  }
  if (at !== n || count < 2) return [p]
  const out: Uint8Array[] = []
  for (let i = 0; i < n;) {
    const len = HEADER + (p[i + 6] | (p[i + 7] << 8)) + TRAILER
    out.push(p.subarray(i, i + len))
    i += len
  }
  return out
}

/** Publishes one payload; done (if given) is called once the client has written it, with its error if any. */
export type PublishPayload = (payload: Buffer, done?: (err?: Error) => void) => void
type Done = (err?: Error) => void

/**
 * Collects the frames sent in one synchronous run of the event loop (a pipelined burst of commands, a
 * RELAX_DONE and the STATE queued behind it) and publishes them as one message at the end of that run
 * (a microtask: nothing waits for a timer). A frame that would take the payload past `limit` bytes
 * starts a new message; with a limit below two frames every frame goes alone.
 */
export class FramePacker {
  private parts: Uint8Array[] = []
  private dones: Done[] = []
  private bytes = 0
  private scheduled = false
  /** messages published, frames they carried */
  messages = 0
  frames = 0

  constructor(private readonly publish: PublishPayload) {}

  /** Queues a frame; limit = the largest payload this message may reach (0: no packing). */
  add(frame: Uint8Array, limit: number, done?: Done): void {
    this.frames++
    if (this.parts.length > 0 && this.bytes + frame.length > limit) this.flush()
    this.parts.push(frame)
    if (done) this.dones.push(done)
    this.bytes += frame.length
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => { this.scheduled = false; this.flush() })
    }
  }

  /** Publishes what is queued now. */
  flush(): void {
    const parts = this.parts, dones = this.dones
    if (parts.length === 0) return
    this.parts = []
    this.dones = []
    this.bytes = 0
    this.messages++
    const payload = parts.length === 1 ? Buffer.from(parts[0].buffer, parts[0].byteOffset, parts[0].byteLength) : Buffer.concat(parts)
    if (dones.length === 0) this.publish(payload)
    else this.publish(payload, (err) => { for (const d of dones) d(err) })
  }

  /** Drops what is queued (the link closed); their done callbacks get err. */
  clear(err: Error = new Error('link closed')): void {
    const dones = this.dones
    this.parts = []
    this.dones = []
    this.bytes = 0
    for (const d of dones) d(err)
  }
}

/** The session limits a link reads from a DEVICE_INFO frame passing through: its maxFrame, or 0. */
export function deviceInfoMaxFrame(f: Uint8Array, decode: (f: Uint8Array) => { name: string; body: unknown }): number {
  if (f.length < 12 || f[5] !== MESSAGE_IDS.DEVICE_INFO) return 0
  try {
    const m = decode(f)
    return m.name === 'DEVICE_INFO' ? (m.body as { maxFrame: number }).maxFrame : 0
  } catch { return 0 }
}

export const isHello = (f: Uint8Array): boolean => f.length >= 12 && f[5] === MESSAGE_IDS.HELLO
