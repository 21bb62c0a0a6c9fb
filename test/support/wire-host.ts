// A bare protocol host on a real serial path (a socat pty): it sends frames exactly as given and
// records every frame the board sends, so tests can hold a board (TS or C) to SPEC.md byte by byte,
// with no remote driver, retries or session logic in between.
import assert from 'node:assert/strict'
import { openSerialStream } from '../../drivers/transports/serial.ts'
import type { ByteStream } from '../../drivers/transports/transport.ts'
import {
  CobsDecoder, decodeMessage, encodeMessage, serialFrame, type DecodedMessage, type MessageBodies, type MessageName,
} from '../../firmware-protocol/ts/index.ts'
import type { BoardVector, Expect } from '../../firmware-protocol/gen/gen-board-vectors.ts'

export interface Received { raw: Uint8Array; msg: DecodedMessage | null; at: number }

const isEvent = (m: DecodedMessage | null) => m?.name === 'HEARTBEAT' || m?.name === 'FAULT'

/** A host that speaks raw frames to a board over a serial path. */
export class WireHost {
  readonly got: Received[] = []
  seq = 0x4000
  private readonly rx = new CobsDecoder({ maxFrame: 65535 })
  private waiters: (() => void)[] = []

  private constructor(private readonly stream: ByteStream) {
    stream.onData((chunk) => {
      for (const raw of this.rx.push(chunk)) {
        let msg: DecodedMessage | null = null
        try { msg = decodeMessage(raw, { role: 'host' }) } catch { msg = null }
        this.got.push({ raw, msg, at: performance.now() })
      }
      for (const w of this.waiters.splice(0)) w()
    })
  }

  /** Opens the host end of a link. */
  static async open(path: string): Promise<WireHost> {
    return new WireHost(await openSerialStream(path, { baudRate: 115200 }))
  }

  /** Writes bytes as they are (already COBS-framed, or deliberate garbage). */
  writeBytes(bytes: Uint8Array): Promise<void> { return this.stream.write(bytes) }

  /** Sends one inner frame, COBS-framed. */
  sendFrame(frame: Uint8Array): Promise<void> { return this.writeBytes(serialFrame(frame)) }

  /** Encodes and sends a message; returns the inner frame. */
  async send<N extends MessageName>(name: N, body: MessageBodies[N], seq = this.nextSeq()): Promise<Uint8Array> {
    const f = encodeMessage({ name, body, seq } as never)
    await this.sendFrame(f)
    return f
  }

  nextSeq(): number {
    const s = this.seq
    this.seq = (this.seq + 1) & 0xffff
    return s
  }

  /** Resolves with the first frame from index `from` on that matches, or null after timeoutS. */
  async waitFor(pred: (r: Received) => boolean, timeoutS = 5, from = 0): Promise<Received | null> {
    const end = performance.now() + timeoutS * 1000
    for (;;) {
      const hit = this.got.slice(from).find(pred)
      if (hit) return hit
      const left = end - performance.now()
      if (left <= 0) return null
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => { clearTimeout(t); resolve() })
      })
    }
  }

  /** The board's answer (not an event) carrying `seq`, after index `from`; null on timeout. */
  async reply(seq: number, timeoutS = 5, from = 0): Promise<DecodedMessage | null> {
    const r = await this.waitFor((g) => g.msg !== null && !isEvent(g.msg) && g.msg.seq === seq, timeoutS, from)
    return r?.msg ?? null
  }

  /** Sends a command and returns its answer (throws on timeout). */
  async call<N extends MessageName>(name: N, body: MessageBodies[N], timeoutS = 5): Promise<DecodedMessage> {
    const from = this.got.length
    const seq = this.nextSeq()
    await this.send(name, body, seq)
    const m = await this.reply(seq, timeoutS, from)
    if (!m) throw new Error(`no answer to ${name} (seq ${seq}) within ${timeoutS} s`)
    return m
  }

  /** Sends a raw inner frame and returns the answer with its seq (bytes 3-4), or null on timeout. */
  async callRaw(frame: Uint8Array, timeoutS = 2): Promise<DecodedMessage | null> {
    const from = this.got.length
    await this.sendFrame(frame)
    return this.reply(frame[3] | (frame[4] << 8), timeoutS, from)
  }

  /** Opens a session: HELLO with a long watchdog unless told otherwise. */
  hello(maxFrame = 1024, watchdogMs = 60_000): Promise<DecodedMessage> {
    return this.call('HELLO', { protoMinor: 0, maxFrame, watchdogMs })
  }

  close(): Promise<void> { return this.stream.close() }
}

/** Fails the test unless `m` is the answer `e` names, with every field `e` gives. */
export function assertAnswer(m: DecodedMessage | null, e: Exclude<Expect, 'none'>, where: string): void {
  assert.ok(m, `${where}: expected ${e.name}, got no answer`)
  assert.equal(m.name, e.name, `${where}: expected ${e.name}, got ${m.name} ${JSON.stringify(m.body)}`)
  const body = m.body as Record<string, unknown>
  for (const [k, v] of Object.entries(e.body ?? {})) assert.deepEqual(body[k], v, `${where}: field ${k}`)
}

/** Sends a frozen board vector's frames in order and holds every answer to it; steps that expect no answer must get none (timeoutS per answer). */
export async function playBoardVector(h: WireHost, v: BoardVector, timeoutS = 30): Promise<void> {
  const silent: number[] = []
  const from = h.got.length
  for (const [k, st] of v.steps.entries()) {
    const frame = Uint8Array.from(Buffer.from(st.sendHex, 'hex'))
    if (st.expect === 'none') {
      silent.push(frame[3] | (frame[4] << 8))
      await h.sendFrame(frame)
    } else {
      assertAnswer(await h.callRaw(frame, timeoutS), st.expect, `${v.name}, step ${k + 1}`)
    }
  }
  // a silent step's answer, if the board wrongly sent one, would arrive after the next command's
  await new Promise((r) => setTimeout(r, 50))
  for (const seq of silent) {
    const answered = h.got.slice(from).filter((g) => g.msg?.seq === seq && !isEvent(g.msg))
    assert.equal(answered.length, 0, `${v.name}: seq ${seq} was answered: ${answered.map((g) => g.msg!.name)}`)
  }
}
