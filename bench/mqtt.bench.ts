// Boards over MQTT: relax round trips per second on a 5x5 XY lattice (free phase, batch 1, random
// start) from a host RemoteSubstrate to a TS virtual board in this process, through a broker, and the
// protocol commands per second that makes (RELAX + GET_STATE; unchanged clamps are not resent). Brokers: the
// system mosquitto on 127.0.0.1:1883 if it answers (as configured there: Nagle is on unless the
// config says set_tcp_nodelay true), a private mosquitto with set_tcp_nodelay true, and the embedded
// aedes broker; plus the in-memory link as the floor of host + board CPU, measured first. One JSON line
// each, at window 1 (stop-and-wait) and window 8 (SPEC 5.3: RELAX and GET_STATE go out together), with
// the in-memory rate at the same window and the ratio to it.
import { createConnection } from 'node:net'
import { loadavg } from 'node:os'
import { VirtualBoard } from '../drivers/board/virtual-board.ts'
import { openRemoteSubstrate, type RemoteSubstrate } from '../drivers/remote/index.ts'
import { attachBoardToBroker, mqttConnector } from '../drivers/transports/mqtt.ts'
import { startEmbeddedBroker } from '../drivers/transports/mqtt-broker.ts'
import { buildNetwork } from '../src/core/topology/index.ts'
import { BoardOnCable } from '../test/support/board-link.ts'
import { startMosquitto } from '../test/support/mosquitto.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const net = buildNetwork({ kind: 'lattice', rows: 5, cols: 5, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 1 }, 0)
const WARM = 20, N = 300

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' })
    c.setTimeout(500, () => { c.destroy(); resolve(false) })
    c.once('connect', () => { c.destroy(); resolve(true) })
    c.once('error', () => resolve(false))
  })
}

/** relax/s over the in-memory link, by window: the floor each broker line is compared with */
const floor = new Map<number, number>()

async function measure(broker: string, sub: RemoteSubstrate): Promise<number> {
  await sub.setParams({ weights: Float64Array.from(net.weights), h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) })
  const inputs = Float64Array.of(0.5, -0.5)
  const relax = (i: number) => sub.relax({ batch: 1, inputs, phase: 'free', start: { kind: 'random', seed: i } })
  for (let i = 0; i < WARM; i++) await relax(i)
  const c0 = sub.status().counters, cpu0 = process.cpuUsage(), t0 = performance.now()
  const lat: number[] = []
  for (let i = 0; i < N; i++) {
    const t = performance.now()
    await relax(WARM + i)
    lat.push(performance.now() - t)
  }
  const s = (performance.now() - t0) / 1000, c1 = sub.status().counters, cpu = process.cpuUsage(cpu0)
  lat.sort((a, b) => a - b)
  const window = sub.connection.description.device.window ?? 1
  const rate = N / s
  const f = floor.get(window)
  emit({
    bench: 'mqtt-relax-roundtrip-5x5', broker, network: 'lattice 5x5 (25 nodes), free phase, batch 1', window,
    relax_per_s: Math.round(rate), in_memory_relax_per_s: f === undefined ? null : Math.round(f), ratio_to_in_memory: f === undefined ? null : Number((rate / f).toFixed(3)), commands_per_s: Math.round((c1.commands - c0.commands) / s),
    commands_per_relax: Number(((c1.commands - c0.commands) / N).toFixed(1)),
    p50_ms: Number(lat[Math.floor(N / 2)].toFixed(3)), p99_ms: Number(lat[Math.floor(N * 0.99)].toFixed(3)),
    load_avg_1m: Number(loadavg()[0].toFixed(2)), resends: c1.retries - c0.retries, cpu_ms_per_relax_host_and_board: Number(((cpu.user + cpu.system) / 1000 / N).toFixed(3)),
  })
  return rate
}

async function overBroker(name: string, url: string): Promise<void> {
  for (const window of [1, 8]) {
    const board = new VirtualBoard(net, { uid: 'bench-5x5' })
    const att = await attachBoardToBroker(board, 'bench-5x5', { url, prefix: `eqprop-bench-${process.pid}` })
    const sub = await openRemoteSubstrate(mqttConnector('bench-5x5', { url, prefix: `eqprop-bench-${process.pid}` }), att.where, { replyTimeoutS: 0.5, window })
    try {
      await measure(name, sub)
    } finally {
      await sub.close()
      await att.close()
      board.close()
    }
  }
}

for (const window of [1, 8]) {
  const cable = new BoardOnCable(net, { uid: 'bench-5x5' })
  const mem = await openRemoteSubstrate(cable.connect, 'mem', { replyTimeoutS: 0.5, window })
  try { floor.set(window, await measure('none: in-memory link (host + board CPU floor)', mem)) } finally { await mem.close(); cable.close() }
}

if (await reachable(1883)) await overBroker('system mosquitto 127.0.0.1:1883 (its own config)', 'mqtt://127.0.0.1:1883')
const m = await startMosquitto()
try { await overBroker('private mosquitto, set_tcp_nodelay true', m.url) } finally { await m.stop() }
const a = await startEmbeddedBroker()
try { await overBroker('embedded aedes (same process as host and board)', a.url) } finally { await a.close() }
