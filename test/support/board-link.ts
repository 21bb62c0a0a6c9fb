// A virtual board on an in-memory cable that can be pulled out and plugged back in: the connector
// hands the host a fresh link each time and attaches the board's end of it.
import { VirtualBoard, type VirtualBoardOptionsInput } from '../../drivers/board/virtual-board.ts'
import { FramedTransport } from '../../drivers/transports/framing.ts'
import { createMemoryLink, type MemoryLink } from '../../drivers/transports/memory.ts'
import type { ByteStream, Clock, Connector } from '../../drivers/transports/transport.ts'
import type { Network } from '../../src/core/network/network.ts'
import { EqpError } from '../../src/errors.ts'

/** Rewrites (or drops, with null) the bytes one side writes: a hook for exact, one-off faults. */
export type Tamper = (bytes: Uint8Array) => Uint8Array | null

function tampered(inner: ByteStream, hook: () => Tamper | null, log: Uint8Array[]): ByteStream {
  return {
    get isOpen() { return inner.isOpen },
    write: (bytes) => {
      log.push(bytes.slice())
      const t = hook()
      const out = t ? t(bytes) : bytes
      return out ? inner.write(out) : Promise.resolve()
    },
    onData: (cb) => inner.onData(cb),
    onClose: (cb) => inner.onClose(cb),
    close: () => inner.close(),
  }
}

export class BoardOnCable {
  board: VirtualBoard
  /** applied to what the host writes, and to what the board writes */
  hostTamper: Tamper | null = null
  boardTamper: Tamper | null = null
  /** every chunk each side wrote, before tampering */
  readonly hostWrites: Uint8Array[] = []
  readonly boardWrites: Uint8Array[] = []
  /** clock times of connection attempts (with a clock) */
  readonly attempts: number[] = []
  private link: MemoryLink | null = null
  /** while false, connecting fails as if the port did not exist */
  plugged = true
  opens = 0

  constructor(network: Network, options: VirtualBoardOptionsInput = {}, private readonly clock?: Clock) {
    this.board = new VirtualBoard(network, options, clock)
  }

  readonly connect: Connector = async () => {
    if (this.clock) this.attempts.push(this.clock.now())
    if (!this.plugged) throw new EqpError('EQP_ERR_DEVICE_PORT_OPEN', ['mem', 'No such file or directory'])
    this.opens++
    this.link = createMemoryLink()
    this.board.attach(tampered(this.link.b, () => this.boardTamper, this.boardWrites))
    return new FramedTransport(tampered(this.link.a, () => this.hostTamper, this.hostWrites), { where: 'mem' })
  }

  /** Puts another board at the end of the cable (it is attached at the next connect). */
  swap(board: VirtualBoard): void {
    this.board.close()
    this.board = board
  }

  /** Pulls the cable: both ends close; connecting fails until plug(). */
  unplug(): void {
    this.plugged = false
    this.link?.unplug()
    this.link = null
  }

  plug(): void { this.plugged = true }

  close(): void {
    this.link?.unplug()
    this.board.close()
  }
}
