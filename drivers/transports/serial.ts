// Serial ports (USB CDC, UARTs, ptys) through the serialport package. A port is identified by its
// path only while it is open: the board's identity is the uid it reports, never the path.
import { SerialPort } from 'serialport'
import { EqpError } from '../../src/errors.ts'
import { FramedTransport } from './framing.ts'
import { PacedStream, uartByteRate } from './pacing.ts'
import type { ByteStream, Connector, Transport } from './transport.ts'

export interface SerialOptions {
  /** line rate; a pty ignores it (default 115200) */
  baudRate?: number
  /** pace writes to baudRate / 10 bytes per second (ptys only; a real UART paces itself) */
  pace?: boolean
  /** largest inner frame accepted, bytes */
  maxFrame?: number
}

class SerialStream implements ByteStream {
  private open = true
  private readonly closeCbs: ((e?: Error) => void)[] = []

  constructor(private readonly port: SerialPort) {
    port.on('close', (err?: Error & { disconnected?: boolean }) => this.closed(err ?? undefined))
    // an error after open (a failed read or write) is followed by close; nothing else to do here
    port.on('error', () => {})
  }

  get isOpen(): boolean { return this.open }

  private closed(err?: Error): void {
    if (!this.open) return
    this.open = false
    for (const cb of this.closeCbs) cb(err)
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.open) return Promise.reject(new Error(`serial port ${this.port.path} is closed`))
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (err) => (err ? reject(err) : resolve()))
    })
  }

  onData(cb: (chunk: Uint8Array) => void): void {
    this.port.on('data', (d: Buffer) => cb(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)))
  }

  onClose(cb: (err?: Error) => void): void { this.closeCbs.push(cb) }

  close(): Promise<void> {
    if (!this.port.isOpen) { this.closed(); return Promise.resolve() }
    return new Promise((resolve) => this.port.close(() => { this.closed(); resolve() }))
  }
}

/** Opens a serial port as a raw byte stream; a busy port and a missing one fail with distinct codes. */
export async function openSerialStream(path: string, opts: SerialOptions = {}): Promise<ByteStream> {
  const baudRate = opts.baudRate ?? 115200
  const port = new SerialPort({ path, baudRate, autoOpen: false, lock: true })
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (!err) return resolve()
      const msg = err.message
      if (/lock|busy|EBUSY|temporarily unavailable/i.test(msg)) reject(new EqpError('EQP_ERR_DEVICE_PORT_BUSY', [path, msg], { cause: err }))
      else reject(new EqpError('EQP_ERR_DEVICE_PORT_OPEN', [path, msg], { cause: err }))
    })
  })
  const stream = new SerialStream(port)
  return opts.pace ? new PacedStream(stream, uartByteRate(baudRate)) : stream
}

/** Opens a serial port as a Transport of inner frames (COBS framing). */
export async function openSerialTransport(path: string, opts: SerialOptions = {}): Promise<Transport> {
  return new FramedTransport(await openSerialStream(path, opts), { maxFrame: opts.maxFrame, where: path })
}

/** A Connector that (re)opens the same path, for the remote driver's reconnect loop. */
export function serialConnector(path: string, opts: SerialOptions = {}): Connector {
  return () => openSerialTransport(path, opts)
}
