// What the remote driver and the virtual board need from a link, and from time. Serial ports, the
// in-memory pair and (later) MQTT implement these; the session never knows which one it got.

/** A raw byte link (a UART, a pty, a USB CDC port). Reads arrive as chunks of any size. */
export interface ByteStream {
  /** Resolves once the bytes are handed to the link; rejects if it is closed. */
  write(bytes: Uint8Array): Promise<void>
  onData(cb: (chunk: Uint8Array) => void): void
  /** err is set when the link dropped under us (unplug), absent after our own close() */
  onClose(cb: (err?: Error) => void): void
  close(): Promise<void>
  readonly isOpen: boolean
}

/** Counters of one link, since it was opened. */
export interface LinkStats {
  bytesIn: number
  bytesOut: number
  framesIn: number
  framesOut: number
  /** delimited segments that were not valid COBS */
  badCobs: number
  /** segments longer than the frame limit */
  oversize: number
}

/** Moves whole inner frames; serial adds COBS + 0x00, MQTT sends one frame per message. */
export interface Transport {
  send(frame: Uint8Array): Promise<void>
  onFrame(cb: (frame: Uint8Array) => void): void
  onClose(cb: (err?: Error) => void): void
  /** bytes arrived that made no frame (bad COBS, oversize): line noise, where the link can tell */
  onNoise?(cb: () => void): void
  close(): Promise<void>
  readonly isOpen: boolean
  stats(): LinkStats
  /** where the link goes (a port path), for messages */
  readonly where: string
}

/** Opens a fresh link to the same place; the remote driver calls it again after an unplug. */
export type Connector = () => Promise<Transport>

/** Time in seconds; after() schedules a callback and returns its cancel function. */
export interface Clock {
  now(): number
  after(s: number, fn: () => void): () => void
}

/** Wall time (performance.now) and setTimeout. */
export const systemClock: Clock = {
  now: () => performance.now() / 1000,
  after: (s, fn) => {
    const t = setTimeout(fn, Math.max(0, s * 1000))
    return () => clearTimeout(t)
  },
}

/** Resolves after s seconds of the clock. */
export function sleep(clock: Clock, s: number): Promise<void> {
  return new Promise((resolve) => { clock.after(s, resolve) })
}
