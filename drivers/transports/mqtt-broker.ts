// An MQTT broker inside this process (aedes), for a lab without mosquitto and for tests. aedes speaks
// MQTT 3.1.1 only: our clients try 5 first and fall back (see connectClient in mqtt.ts).
import { createServer, type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { Aedes } from 'aedes'
import { EqpError } from '../../src/errors.ts'
import { registerInProcessBroker } from './mqtt/in-process.ts'

export interface EmbeddedBrokerOptions {
  /** address to listen on (default 127.0.0.1) */
  host?: string
  /** TCP port (default 0 = any free one) */
  port?: number
  /** clients in this process that connect to this broker's url skip TCP (default true; see mqtt/in-process.ts) */
  inProcess?: boolean
}

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** mqtt://host:port */
  url: string
  port: number
  /** the aedes instance (connected clients, events) */
  aedes: Aedes
  /** disconnects every client and stops listening */
  close(): Promise<void>
}

/** Starts an aedes broker on host:port (port 0 = a free one) and resolves once it listens. */
export async function startEmbeddedBroker(o: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = o.host ?? '127.0.0.1'
  const aedes = await Aedes.createBroker()
  const sockets = new Set<Duplex>()
  const accept = (s: Duplex) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    aedes.handle(s)
  }
  const server = createServer((s) => {
    s.setNoDelay(true)   // small request/reply messages: no Nagle delay
    accept(s)
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new EqpError('EQP_ERR_MQTT_CONNECT', [`mqtt://${host}:${o.port ?? 0}`,
        `cannot listen: ${e.code === 'EADDRINUSE' ? 'the port is in use (EADDRINUSE)' : e.code ?? e.message}`], { cause: e })))
      server.listen(o.port ?? 0, host, () => resolve())
    })
  } catch (e) {
    // aedes' timers would keep the process alive after a failed start
    await new Promise<void>((r) => aedes.close(() => r()))
    throw e
  }
  const port = (server.address() as AddressInfo).port
  const url = `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`
  const unregister = o.inProcess === false ? () => {} : registerInProcessBroker(url, accept)
  let closed = false
  return {
    url, port, aedes,
    close: async () => {
      if (closed) return
      closed = true
      unregister()
      const done = new Promise<void>((r) => server.close(() => r()))
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => aedes.close(() => r()))
      await done
    },
  }
}
