// Boards over MQTT: relax round trips per second on a 5x5 XY lattice (free phase, batch 1, random
// start) from a host RemoteSubstrate to a TS virtual board in this process, through a broker, and the
// protocol commands per second that makes (RELAX + GET_STATE; unchanged clamps are not resent). Brokers: the
// system mosquitto on 127.0.0.1:1883 if it answers (as configured there: Nagle is on unless the
// config says set_tcp_nodelay true), a private mosquitto with set_tcp_nodelay true, and the embedded
// aedes broker. Each is measured side by side with the in-memory link (the floor of host + board CPU):
// blocks of relaxations alternate between the two, so a shared machine's changing load falls on both
// alike. One JSON line per broker at window 1 (stop-and-wait) and window 8 (SPEC 5.3: RELAX and
// GET_STATE go out together), and at QoS 0 (the default) and 1, with the in-memory rate and the ratio
// to it, and the CPU per relaxation of host, board and (for aedes) broker against the in-memory link's.
// mqtt-message-cpu lines: the CPU of one MQTT message alone, without a relaxation (see messageCost).
import { createConnection, Socket } from 'node:net'
import { loadavg } from 'node:os'
import { VirtualBoard } from '../drivers/board/virtual-board.ts'
import { openRemoteSubstrate, type RemoteSubstrate } from '../drivers/remote/index.ts'
import { attachBoardToBroker, MqttOptions, mqttConnector } from '../drivers/transports/mqtt.ts'
import { connectClient } from '../drivers/transports/mqtt/client.ts'
import { startEmbeddedBroker } from '../drivers/transports/mqtt-broker.ts'
import { buildNetwork } from '../src/core/topology/index.ts'
import { BoardOnCable } from '../test/support/board-link.ts'
import { startMosquitto } from '../test/support/mosquitto.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const net = buildNetwork({ kind: 'lattice', rows: 5, cols: 5, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 1 }, 0)
const WARM = 20, BLOCK = 50, BLOCKS = 6

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' })
    c.setTimeout(500, () => { c.destroy(); resolve(false) })
    c.once('connect', () => { c.destroy(); resolve(true) })
    c.once('error', () => resolve(false))
  })
}

/** Relaxations on one substrate, block by block: wall time, CPU, latencies and commands so far. */
class Runner {
  wallS = 0
  cpuMs = 0
  commands = 0
  resends = 0
  messages = 0
  readonly lat: number[] = []
  private i = 0
  /** linkMessages: MQTT messages the board's link received and published so far (none for the in-memory link) */
  constructor(readonly sub: RemoteSubstrate, private readonly linkMessages: () => number = () => 0) {}
  private relax(): Promise<unknown> {
    return this.sub.relax({ batch: 1, inputs: Float64Array.of(0.5, -0.5), phase: 'free', start: { kind: 'random', seed: this.i++ } })
  }
  async warm(): Promise<void> {
    await this.sub.setParams({ weights: Float64Array.from(net.weights), h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) })
    for (let k = 0; k < WARM; k++) await this.relax()
  }
  async block(): Promise<void> {
    const c0 = this.sub.status().counters, m0 = this.linkMessages(), cpu0 = process.cpuUsage(), t0 = performance.now()
    for (let k = 0; k < BLOCK; k++) {
      const t = performance.now()
      await this.relax()
      this.lat.push(performance.now() - t)
    }
    this.wallS += (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0), c1 = this.sub.status().counters
    this.cpuMs += (cpu.user + cpu.system) / 1000
    this.commands += c1.commands - c0.commands
    this.resends += c1.retries - c0.retries
    this.messages += this.linkMessages() - m0
  }
  get n(): number { return this.lat.length }
  get rate(): number { return this.n / this.wallS }
}

async function overBroker(name: string, url: string, qosList: readonly (0 | 1)[] = [0, 1]): Promise<void> {
  for (const qos of qosList) for (const window of [1, 8]) {
    const board = new VirtualBoard(net, { uid: 'bench-5x5' })
    const att = await attachBoardToBroker(board, 'bench-5x5', { url, prefix: `eqprop-bench-${process.pid}`, qos })
    const sub = await openRemoteSubstrate(mqttConnector('bench-5x5', { url, prefix: `eqprop-bench-${process.pid}`, qos }), att.where, { replyTimeoutS: 0.5, window })
    const cable = new BoardOnCable(net, { uid: 'bench-5x5-mem' })
    const mem = await openRemoteSubstrate(cable.connect, 'mem', { replyTimeoutS: 0.5, window })
    try {
      const b = new Runner(sub, () => { const st = att.link.stats(); return st.messagesIn + st.messagesOut }), m = new Runner(mem)
      await b.warm()
      await m.warm()
      for (let k = 0; k < BLOCKS; k++) { await b.block(); await m.block() }
      const lat = b.lat.slice().sort((x, y) => x - y)
      emit({
        bench: 'mqtt-relax-roundtrip-5x5', broker: name, network: 'lattice 5x5 (25 nodes), free phase, batch 1', window: sub.connection.description.device.window ?? 1,
        qos, clients_to_broker: att.link.client.stream instanceof Socket ? 'tcp' : 'in-process',
        relax_per_s: Math.round(b.rate), in_memory_relax_per_s: Math.round(m.rate), ratio_to_in_memory: Number((b.rate / m.rate).toFixed(3)),
        commands_per_s: Math.round(b.commands / b.wallS), commands_per_relax: Number((b.commands / b.n).toFixed(1)),
        mqtt_messages_per_relax: Number((b.messages / b.n).toFixed(2)),
        p50_ms: Number(lat[Math.floor(b.n / 2)].toFixed(3)), p99_ms: Number(lat[Math.floor(b.n * 0.99)].toFixed(3)),
        load_avg_1m: Number(loadavg()[0].toFixed(2)), resends: b.resends,
        cpu_ms_per_relax_host_and_board: Number((b.cpuMs / b.n).toFixed(3)), in_memory_cpu_ms_per_relax: Number((m.cpuMs / m.n).toFixed(3)),
      })
    } finally {
      await sub.close()
      await att.close()
      board.close()
      await mem.close()
      cable.close()
    }
  }
}

// the system broker (Nagle on: ~40 ms per command) at QoS 0 only; EQP_BENCH_SYSTEM_BROKER=0 skips it
/**
 * The MQTT cost alone, without a relaxation's CPU and its noise: two clients of this process bounce a
 * 120-byte message through the broker (each delivery is answered with a publish), in blocks that
 * alternate between QoS 0 and 1. CPU us per message (one publish and its delivery, broker included
 * for aedes), per broker.
 */
async function messageCost(name: string, url: string, protocolVersion?: 4): Promise<void> {
  const o = MqttOptions.parse({ url, protocolVersion, prefix: `pp${process.pid}` })
  const a = await connectClient(o, `pp-a-${process.pid}`, {}), b = await connectClient(o, `pp-b-${process.pid}`, {})
  await a.subscribeAsync(`${o.prefix}/b`, { qos: 1 })
  await b.subscribeAsync(`${o.prefix}/a`, { qos: 1 })
  let qos: 0 | 1 = 0, left = 0, done: () => void = () => {}
  b.on('message', (_t, m) => { b.publish(`${o.prefix}/b`, m, { qos }) })
  a.on('message', (_t, m) => { if (--left > 0) a.publish(`${o.prefix}/a`, m, { qos }); else done() })
  const bounce = (q: 0 | 1, n: number) => new Promise<void>((resolve) => { qos = q; left = n; done = resolve; a.publish(`${o.prefix}/a`, Buffer.alloc(120, 7), { qos }) })
  const cpuUs = { 0: 0, 1: 0 }, N = 2000
  await bounce(0, 500)
  await bounce(1, 500)
  for (let k = 0; k < 5; k++) for (const q of [0, 1] as const) {
    const c0 = process.cpuUsage()
    await bounce(q, N)
    const c = process.cpuUsage(c0)
    cpuUs[q] += (c.user + c.system) / (2 * N)
  }
  emit({ bench: 'mqtt-message-cpu', broker: name, clients_to_broker: a.stream instanceof Socket ? 'tcp' : 'in-process', message_bytes: 120,
    cpu_us_per_message_qos0: Number((cpuUs[0] / 5).toFixed(1)), cpu_us_per_message_qos1: Number((cpuUs[1] / 5).toFixed(1)), load_avg_1m: Number(loadavg()[0].toFixed(2)) })
  await a.endAsync()
  await b.endAsync()
}

// EQP_BENCH_MQTT_BROKERS=system,private,aedes (default all three) narrows a run
const BROKERS = new Set((process.env.EQP_BENCH_MQTT_BROKERS ?? 'system,private,aedes').split(','))
if (BROKERS.has('system') && process.env.EQP_BENCH_SYSTEM_BROKER !== '0' && await reachable(1883)) await overBroker('system mosquitto 127.0.0.1:1883 (its own config)', 'mqtt://127.0.0.1:1883', [0])
if (BROKERS.has('private')) {
  const mq = await startMosquitto()
  try {
    await overBroker('private mosquitto, set_tcp_nodelay true', mq.url)
    await messageCost('private mosquitto, set_tcp_nodelay true (its CPU not counted)', mq.url)
  } finally { await mq.stop() }
}
if (BROKERS.has('aedes')) {
  const a = await startEmbeddedBroker()
  try {
    await overBroker('embedded aedes (same process as host and board)', a.url)
    await messageCost('embedded aedes, clients in its process', a.url, 4)
  } finally { await a.close() }
  const tcp = await startEmbeddedBroker({ inProcess: false })
  try { await messageCost('embedded aedes, clients over loopback TCP', tcp.url, 4) } finally { await tcp.close() }
}
