// Where an MQTT relaxation's time goes: one host and one TS board in this process, window 8, QoS 0,
// free relaxations of batch 1 on the 5x5 lattice of bench/mqtt.bench.ts, one after another; the
// MQTT.js clients' publish packets are timestamped as they are sent and received, and each round
// trip is split into host -> broker -> board, the board's turn, board -> broker -> host, and the
// host's turn (medians). Also relaxations per second and this process's CPU per relaxation.
//   node --import tsx bench/mqtt-hops.ts system|private|private-nagle|aedes|mem|URL [relaxations]
// system: the broker on 127.0.0.1:1883; private: a mosquitto of ours (set_tcp_nodelay true; -nagle:
// false); aedes: the embedded broker in this process; mem: the in-memory link (no MQTT); or a broker's
// mqtt:// URL.
import { MqttClient } from 'mqtt'
import { VirtualBoard } from '../drivers/board/virtual-board.ts'
import { openRemoteSubstrate, type RemoteSubstrate } from '../drivers/remote/index.ts'
import { attachBoardToBroker, mqttConnector } from '../drivers/transports/mqtt.ts'
import { buildNetwork } from '../src/core/topology/index.ts'
import { BoardOnCable } from '../test/support/board-link.ts'
import { startMosquitto } from '../test/support/mosquitto.ts'
import { startEmbeddedBroker } from '../drivers/transports/mqtt-broker.ts'
const ev: [number, string, string][] = []
const orig = MqttClient.prototype.emit
MqttClient.prototype.emit = function (this: MqttClient, name: string, ...a: unknown[]) {
  if ((name === 'packetsend' || name === 'packetreceive') && (a[0] as { cmd: string }).cmd === 'publish') {
    const topic = (a[0] as { topic: string }).topic
    if (!/status/.test(topic)) ev.push([performance.now(), /board/.test(this.options.clientId ?? '') ? 'B' : 'H', name === 'packetsend' ? 's' : 'r'])
  }
  return (orig as (this: MqttClient, ...x: unknown[]) => boolean).call(this, name, ...a)
} as typeof orig
process.on('exit', () => {
  // sequences H s, B r, B s, H r
  const rows: number[][] = []
  for (let i = 0; i + 4 < ev.length; i++) {
    const [a, b, c, d, e] = ev.slice(i, i + 5)
    if (a[1] + a[2] === 'Hs' && b[1] + b[2] === 'Br' && c[1] + c[2] === 'Bs' && d[1] + d[2] === 'Hr' && e[1] + e[2] === 'Hs') { rows.push([b[0] - a[0], c[0] - b[0], d[0] - c[0], e[0] - d[0]]); i += 3 }
  }
  const med = (k: number) => { const v = rows.map((r) => r[k]).sort((x, y) => x - y); return v[v.length >> 1]?.toFixed(3) }
  console.log(JSON.stringify({ rounds: rows.length, events: ev.length, ids: [...new Set(ev.map((e) => e[1]))], hop_host_to_board_ms: med(0), board_ms: med(1), hop_board_to_host_ms: med(2), host_ms: med(3) }))
})
const net = buildNetwork({ kind: 'lattice', rows: 5, cols: 5, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 1 }, 0)
const which = process.argv[2] ?? 'system', N = Number(process.argv[3] ?? 3000)
let url = which.startsWith('mqtt://') ? which : 'mqtt://127.0.0.1:1883', close = async () => {}
let sub: RemoteSubstrate, att: Awaited<ReturnType<typeof attachBoardToBroker>> | undefined, board: VirtualBoard | undefined, cable: BoardOnCable | undefined
if (which === 'mem') {
  cable = new BoardOnCable(net, { uid: 'p-mem' })
  sub = await openRemoteSubstrate(cable.connect, 'mem', { replyTimeoutS: 0.5, window: 8 })
} else {
  if (which === 'aedes') { const a = await startEmbeddedBroker(); url = a.url; close = () => a.close() }
  if (which === 'private' || which === 'private-nagle') { const mq = await startMosquitto(which === 'private' ? {} : { noDelay: false }); url = mq.url; close = () => mq.stop() }
  board = new VirtualBoard(net, { uid: 'p5x5' })
  att = await attachBoardToBroker(board, 'p5x5', { url, prefix: `pp-${process.pid}`, qos: 0 })
  sub = await openRemoteSubstrate(mqttConnector('p5x5', { url, prefix: `pp-${process.pid}`, qos: 0 }), att.where, { replyTimeoutS: 0.5, window: 8 })
}
await sub.setParams({ weights: Float64Array.from(net.weights), h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) })
for (let i = 0; i < 200; i++) await sub.relax({ batch: 1, inputs: Float64Array.of(0.5, -0.5), phase: 'free', start: { kind: 'random', seed: i } })
const c0 = process.cpuUsage(), t0 = performance.now()
for (let i = 0; i < N; i++) await sub.relax({ batch: 1, inputs: Float64Array.of(0.5, -0.5), phase: 'free', start: { kind: 'random', seed: i } })
const c = process.cpuUsage(c0), s = (performance.now() - t0) / 1000
console.log(JSON.stringify({ which, relax_per_s: Math.round(N / s), cpu_ms_per_relax: ((c.user + c.system) / 1000 / N).toFixed(3), user: (c.user / 1000 / N).toFixed(3), sys: (c.system / 1000 / N).toFixed(3) }))
await sub.close(); if (att) await att.close(); board?.close(); cable?.close(); await close()
