// Fleet training over MQTT: wall time of one Iris epoch on 1, 2 and 4 boards, each board a TS virtual
// board in its own process (`eqprop-hil board --mqtt`) on a private mosquitto. Two kinds of board:
// CPU-bound simulators (the host machine's cores are the limit), and boards that take 20 ms before each
// reply frame, as a physical board settling would (the board is the limit, so shards overlap).
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { FleetSubstrate } from '../drivers/fleet/fleet-substrate.ts'
import type { RemoteSubstrate } from '../drivers/remote/index.ts'
import { loadDataset } from '../src/core/data/index.ts'
import { buildNetwork } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import { openMqttBoard } from '../src/services/boards.ts'
import { startMosquitto } from '../test/support/mosquitto.ts'

const BIN = fileURLToPath(new URL('../bin/eqprop-hil.js', import.meta.url))
const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const SPEC = 'layered:4,8,3'
const net = buildNetwork({ kind: 'layered', sizes: [4, 8, 3], weightStd: 0.5 }, { inputs: 4, outputs: 3 }, 2)
const cfg = TrainConfig.parse({ epochs: 1, batchSize: 32, seed: 1, evalEvery: 0, optimiser: { kind: 'adam' }, lr: 0.02 })

function startBoardProcess(url: string, uid: string, delayS: number): Promise<ChildProcess> {
  const args = [BIN, 'board', '--mqtt', url, '--uid', uid, '--network', SPEC, '--task', 'iris', '--network-seed', '2', ...(delayS > 0 ? ['--delay', String(delayS)] : [])]
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    p.stdout!.on('data', (c) => { out += c; if (out.includes('ready')) resolve(p) })
    p.once('exit', (code) => reject(new Error(`board ${uid} exited with ${code}`)))
  })
}

async function epochTime(boards: RemoteSubstrate[]): Promise<number> {
  const fleet = new FleetSubstrate(boards.map((sub, k) => ({ name: `b${k}`, sub })))
  const t = new Trainer(fleet, net, loadDataset('iris', 1), cfg)
  const t0 = performance.now()
  await t.train()
  return (performance.now() - t0) / 1000
}

const broker = await startMosquitto()
try {
  for (const delayS of [0, 0.02]) {
    const procs = await Promise.all([0, 1, 2, 3].map((k) => startBoardProcess(broker.url, `fleet-bench-${k}`, delayS)))
    const subs: RemoteSubstrate[] = []
    try {
      for (let k = 0; k < 4; k++) subs.push(await openMqttBoard({ uid: `fleet-bench-${k}`, mqtt: { url: broker.url }, replyTimeoutS: 2 }))
      await epochTime(subs.slice(0, 1))   // warm-up: JIT on both sides
      let one = 0
      for (const n of [1, 2, 4]) {
        const s = await epochTime(subs.slice(0, n))
        if (n === 1) one = s
        emit({
          bench: 'fleet-iris-epoch-mqtt', boards: n, board: delayS > 0 ? `ts virtual board, ${delayS * 1000} ms per reply frame (board-bound)` : 'ts virtual board, simulator only (CPU-bound)',
          network: SPEC, samples: 120, batch: cfg.batchSize, epoch_s: Number(s.toFixed(3)), speedup: Number((one / s).toFixed(2)),
        })
      }
    } finally {
      for (const s of subs) await s.close().catch(() => {})
      for (const p of procs) p.kill('SIGTERM')
    }
  }
} finally {
  await broker.stop()
}
