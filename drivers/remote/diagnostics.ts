// What a remote board's status says: the connection state, distinct diagnostic codes for what went
// wrong (each with a count and the last message), and link counters. Plain JSON, so the daemon can
// serve it as is at the device's status.

/** Diagnostic codes: one per thing a lab needs to tell apart when a board misbehaves. */
export const DIAGNOSTICS = {
  PORT_BUSY: 'the serial port is locked or held by another process; nothing was sent',
  PORT_MISSING: 'the port cannot be opened: the path does not exist (unplugged, renumbered) or is not accessible',
  NO_HELLO: 'the port is open but no board answers HELLO: not our firmware, wrong baud rate, or a hung board',
  VERSION_MISMATCH: 'the board speaks another protocol major: the host stops talking to it and does not retry',
  CRC_ERRORS: 'frames arrived with a bad CRC-32C, bad COBS or a bad length (line noise, a loose cable); each is dropped and the command resent',
  WATCHDOG_TRIPPED: 'the board reports that its host-silence watchdog fired: it went to the safe state and its parameters were re-written',
  BOARD_REBOOTED: 'the board rebooted (boot counter changed, or FAULT RESET): its parameters were re-written',
  LINK_LOST: 'the port closed under the driver (unplug): reopening with back-off',
  BOARD_SILENT: 'the board stopped answering (retries used up, or no frame for a watchdog period): re-handshaking with back-off',
  UID_MISMATCH: 'a board with another uid answered on the port: it is not used',
  BOARD_FAULT: 'the board reported a fault (temperature, supply, driver, internal) and went to the safe state',
  NACK: 'the board refused a command (the message names the command and the NACK code)',
} as const
export type DiagnosticCode = keyof typeof DIAGNOSTICS

export const CONNECTION_STATES = ['connecting', 'ready', 'reconnecting', 'incompatible', 'closed'] as const
export type ConnectionState = (typeof CONNECTION_STATES)[number]

/** Link counters since the driver was opened (all sessions together). */
export interface DeviceCounters {
  framesOut: number
  framesIn: number
  bytesOut: number
  bytesIn: number
  /** commands sent (a retry is not a new command) */
  commands: number
  /** resends of a command with the same seq, for any reason */
  retries: number
  /** reply timeouts */
  timeouts: number
  /** frames dropped on receive: bad COBS, bad CRC, bad length, bad payload, unknown message */
  badFrames: number
  crcErrors: number
  cobsErrors: number
  /** replies to a seq that was no longer outstanding (answers to a retry that was not needed) */
  staleReplies: number
  nacks: Record<string, number>
  heartbeatsIn: number
  heartbeatsOut: number
  faults: number
  /** sessions opened after the first */
  reconnects: number
  handshakes: number
  /** full parameter re-writes after a reconnect, reboot or watchdog trip */
  paramRewrites: number
  /** driver calls started again from the top after the session was lost midway */
  opRestarts: number
  /** round-trip time of commands answered at the first try (s) */
  rtt: { lastS: number; meanS: number; maxS: number; samples: number }
}

export interface DiagnosticEntry { count: number; message: string; atS: number }

export interface DeviceStatus {
  state: ConnectionState
  /** where the link goes (a port path) */
  where: string
  /** reported by the board; null before the first handshake */
  uid: string | null
  firmware: string | null
  protocol: string | null
  bootCounter: number | null
  /** the board's own state from its last HEARTBEAT */
  boardState: string | null
  /** clock time (s) the connection entered its state */
  since: number
  lastError: ({ code: DiagnosticCode } & DiagnosticEntry) | null
  diagnostics: Partial<Record<DiagnosticCode, DiagnosticEntry>>
  counters: DeviceCounters
}

/** Zeroed counters. */
export function newCounters(): DeviceCounters {
  return {
    framesOut: 0, framesIn: 0, bytesOut: 0, bytesIn: 0, commands: 0, retries: 0, timeouts: 0, badFrames: 0, crcErrors: 0, cobsErrors: 0,
    staleReplies: 0, nacks: {}, heartbeatsIn: 0, heartbeatsOut: 0, faults: 0, reconnects: 0, handshakes: 0, paramRewrites: 0, opRestarts: 0,
    rtt: { lastS: 0, meanS: 0, maxS: 0, samples: 0 },
  }
}

/** Adds one round-trip sample. */
export function addRtt(c: DeviceCounters, s: number): void {
  const r = c.rtt
  r.samples++
  r.lastS = s
  r.meanS += (s - r.meanS) / r.samples
  if (s > r.maxS) r.maxS = s
}
