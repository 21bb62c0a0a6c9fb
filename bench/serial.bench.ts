// Training over a serial link: EqProp steps per second on a 15x15 XY lattice (XOR, batch 4) with the
// board on the far end of a socat pty, both sides pacing their writes to a UART at 921600 and 2000000
// baud (a pty has no rate of its own), next to the bound the link allows: a stop-and-wait protocol
// moves every byte of a step one after the other, so a step needs at least (bytes both ways) / (baud / 10)
// seconds. Also the host's CPU time per step, and the board's (its own process). One JSON line each
// for the C reference firmware and for the TS virtual board, at window 1 (stop-and-wait) and window 8
// (SPEC 5.3 pipelining: a full-duplex link can then carry both directions at once, so the ratio may
// pass 1; full_duplex_bound_steps_per_s is the bound then: the busier direction's bytes alone). A
// simulated board's relaxations take CPU time that the link cannot overlap (a step's states are read
// after its RELAX): link_plus_board_bound_steps_per_s adds the board's measured CPU per step to the
// link's time, separating the board's own turnaround from the host's and the pty's.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { firmwareTopology } from '../drivers/board/firmware-topology.ts'
import { loadDataset } from '../src/core/data/index.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import { createPtyPair, ensureFirmwareBuilt, openSerialBoard } from '../src/services/boards.ts'
import type { RemoteSubstrate } from '../drivers/remote/index.ts'
import type { Substrate } from '../drivers/substrate.ts'
import { CAPABILITY } from '../firmware-protocol/ts/index.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const XOR15 = 'lattice:15x15:in=6,6;7,10:out=10,8'
const BIN = fileURLToPath(new URL('../bin/eqprop-hil.js', import.meta.url))
// EQP_BENCH_SERIAL_BOARDS=c,ts, EQP_BENCH_SERIAL_BAUDS=921600,2000000, EQP_BENCH_SERIAL_WINDOWS=1,8,
// EQP_BENCH_SERIAL_PHASES=together,apart and EQP_BENCH_SERIAL_STEPS=8 narrow or lengthen a run;
// EQP_BENCH_SERIAL_FIRMWARE=a,b runs each of these C firmware binaries in turn (alternating, for an
// old-against-new comparison in one run; params_sha256 then shows whether they trained the same bits)
// (defaults: all of them, 16 steps). together: a step's phases in one relaxPhases call (SPEC 6.5
// start = readout, no SET_START); apart: phase by phase, the free states written back with SET_START.
const list = (name: string, dflt: string) => (process.env[name] ?? dflt).split(',').map((x) => x.trim()).filter((x) => x !== '')
const WARM = 1, STEPS = Number(process.env.EQP_BENCH_SERIAL_STEPS ?? 16), MAX_FRAME = 1024
const dirs: string[] = []

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function processCpuS(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100   // utime, stime in clock ticks (USER_HZ = 100)
  } catch { return NaN }
}

function startBoardProcess(impl: 'c' | 'ts', path: string, baud: number, net: ReturnType<typeof buildNetwork>, firmware?: string): Promise<ChildProcess> {
  let p: ChildProcess
  if (impl === 'c') {
    const dir = mkdtempSync(join(tmpdir(), 'eqp-bench-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'topo.txt'), firmwareTopology(net))
    p = spawn(firmware ?? ensureFirmwareBuilt(), ['--path', path, '--topology', join(dir, 'topo.txt'), '--max-frame', String(MAX_FRAME), '--baud', String(baud), '--pace'], { stdio: ['ignore', 'pipe', 'inherit'] })
  } else {
    p = spawn(process.execPath, [BIN, 'board', '--path', path, '--network', XOR15, '--max-frame', String(MAX_FRAME), '--baud', String(baud), '--pace'], { stdio: ['ignore', 'pipe', 'ignore'] })
  }
  return new Promise((resolve, reject) => {
    let out = ''
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (/ready/.test(out)) resolve(p) })
    p.on('exit', (code) => reject(new Error(`${impl} board exited with ${code}`)))
  })
}

/** The board without relaxPhases: the Trainer relaxes phase by phase and writes the free states back with SET_START (the path before SPEC 1.2). */
function phaseByPhase(sub: RemoteSubstrate): Substrate {
  return {
    get info() { return sub.info },
    setParams: (p) => sub.setParams(p), updateParams: (d) => sub.updateParams(d), getParams: () => sub.getParams(),
    relax: (r) => sub.relax(r), close: () => sub.close(),
  }
}

async function run(impl: 'c' | 'ts', baud: number, window: number, together: boolean, firmware?: string): Promise<void> {
  const net = buildNetwork(parseBuilderString(XOR15), { inputs: 2, outputs: 1 }, 0)
  const pair = await createPtyPair()
  const board = await startBoardProcess(impl, pair.boardPath, baud, net, firmware)
  const sub = await openSerialBoard({ path: pair.hostPath, baud, pace: true, maxFrame: MAX_FRAME, window })
  try {
    const cfg = TrainConfig.parse({ epochs: WARM + STEPS, batchSize: 4, seed: 1, evalEvery: 0 })
    const trainer = new Trainer(together ? sub : phaseByPhase(sub), net, loadDataset('xor', 1), cfg)
    for (let i = 0; i < WARM; i++) await trainer.runEpoch()
    const c0 = sub.status().counters, cpu0 = process.cpuUsage(), board0 = processCpuS(board.pid!), t0 = performance.now()
    for (let i = 0; i < STEPS; i++) await trainer.runEpoch()    // XOR has 4 rows: one epoch is one step of batch 4
    const s = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0), boardCpu = processCpuS(board.pid!) - board0, c1 = sub.status().counters
    const out = (c1.bytesOut - c0.bytesOut) / STEPS, inb = (c1.bytesIn - c0.bytesIn) / STEPS
    const rate = baud / 10
    const p = await sub.getParams()
    const sha = createHash('sha256')
    for (const a of [p.weights, p.h, p.psi]) if (a) sha.update(new Uint8Array(Float64Array.from(a).buffer))
    emit({
      bench: 'serial-train-step', board: impl === 'c' ? 'C reference firmware' : 'TS virtual board', ...(firmware ? { firmware } : {}), network: 'lattice 15x15 (225 nodes, 420 couplings), XOR, batch 4',
      phases: together && (sub.connection.description.device.capabilities & CAPABILITY.readoutStart) ? 'together (start = readout)' : 'one by one (SET_START)',
      baud, frame_limit_bytes: MAX_FRAME, window: sub.connection.description.device.window ?? 1, steps_per_s: Number((STEPS / s).toFixed(3)),
      link_bound_steps_per_s: Number((rate / (out + inb)).toFixed(3)), ratio_to_link_bound: Number(((STEPS / s) / (rate / (out + inb))).toFixed(3)), full_duplex_bound_steps_per_s: Number((rate / Math.max(out, inb)).toFixed(3)), bytes_per_step: { host_to_board: Math.round(out), board_to_host: Math.round(inb) },
      commands_per_step: Math.round((c1.commands - c0.commands) / STEPS), resends: c1.retries - c0.retries,
      load_avg_1m: Number(loadavg()[0].toFixed(2)), host_cpu_ms_per_step: Number(((cpu.user + cpu.system) / 1000 / STEPS).toFixed(2)),
      board_cpu_ms_per_step: Number.isNaN(boardCpu) ? null : Number(((boardCpu * 1000) / STEPS).toFixed(1)),
      // the board relaxes while the link idles (its GET_STATE replies wait for the RELAX): the link's
      // time plus the board's own CPU time is what a step needs with no host or pty overhead at all
      link_plus_board_bound_steps_per_s: Number.isNaN(boardCpu) ? null : Number((1 / ((out + inb) / rate + boardCpu / STEPS)).toFixed(3)),
      ratio_to_link_plus_board_bound: Number.isNaN(boardCpu) ? null : Number(((STEPS / s) * ((out + inb) / rate + boardCpu / STEPS)).toFixed(3)),
      params_sha256: sha.digest('hex').slice(0, 16),
    })
  } finally {
    await sub.close()
    const gone = new Promise((r) => board.once('exit', r))
    board.kill('SIGTERM')
    await gone
    await pair.close()
  }
}

try {
  const boards = list('EQP_BENCH_SERIAL_BOARDS', 'c,ts') as ('c' | 'ts')[]
  const bauds = list('EQP_BENCH_SERIAL_BAUDS', '921600,2000000').map(Number), windows = list('EQP_BENCH_SERIAL_WINDOWS', '1,8').map(Number)
  // both host paths alternate on each board, baud and window, so the load falls on both alike
  const phases = list('EQP_BENCH_SERIAL_PHASES', 'together,apart')
  const firmwares = list('EQP_BENCH_SERIAL_FIRMWARE', '')
  for (const impl of boards) {
    for (const baud of bauds) {
      for (const w of windows) {
        for (const ph of phases) {
          if (impl === 'c' && firmwares.length > 0) for (const f of firmwares) await run(impl, baud, w, ph === 'together', f)
          else await run(impl, baud, w, ph === 'together')
        }
      }
    }
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
