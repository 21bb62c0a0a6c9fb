// Brokers in this process (the embedded aedes), by url. A client of one is handed a stream pair instead
// of a TCP socket: every MQTT packet over loopback TCP costs a write and a read system call on each
// side, and with host, board and broker in one process that was the largest single cost of a command
// after the board's own relaxation. The pair behaves like a socket: writes arrive on a later tick (no
// re-entry into the writer), and destroying one end closes the other, so the broker sees an abrupt
// loss and publishes the last will.
import { Duplex } from 'node:stream'

const brokers = new Map<string, (server: Duplex) => void>()

/** Makes clients of `url` in this process connect through a stream pair handed to `accept`; returns the undo. */
export function registerInProcessBroker(url: string, accept: (server: Duplex) => void): () => void {
  brokers.set(url, accept)
  return () => { if (brokers.get(url) === accept) brokers.delete(url) }
}

/** The client end of a new connection to the in-process broker at `url`, or null when there is none. */
export function connectInProcess(url: string): Duplex | null {
  const accept = brokers.get(url)
  if (!accept) return null
  const [client, server] = duplexPair()
  accept(server)
  return client
}

const deliver = (to: Duplex, chunk: Buffer) => { if (!to.destroyed) to.push(chunk) }
// a packet arrives in ~5 chunks (header, length, topic, payload); one push of their concatenation is
// one 'data' event and one parser pass for the reader (about 1 of 17 us per message less)
const deliverAll = (to: Duplex, chunks: { chunk: unknown }[]) => { deliver(to, Buffer.concat(chunks.map((c) => c.chunk as Buffer))) }
const endOf = (to: Duplex) => { if (!to.destroyed) to.push(null) }

/** A connection whose far end is gone at once (the broker was closed): the client sees it close and retries later. */
export function deadEnd(): Duplex {
  const [client, server] = duplexPair()
  server.destroy()
  return client
}

/** Two cross-wired Duplex streams: what one writes, the other reads (on the next tick). */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = []
  const make = (peer: () => Duplex) => new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) { process.nextTick(deliver, peer(), chunk); cb() },
    writev(chunks, cb) { process.nextTick(deliverAll, peer(), chunks); cb() },
    final(cb) { process.nextTick(endOf, peer()); cb() },
    destroy(err, cb) {
      const p = peer()
      if (!p.destroyed) process.nextTick(() => p.destroy())
      cb(err)
    },
  })
  ends.push(make(() => ends[1]), make(() => ends[0]))
  return [ends[0], ends[1]]
}
