// `eqprop-hil train --mqtt URL --uid U` end to end: a virtual board put on a broker by `eqprop-hil
// board --mqtt` in one process, the run in another, through the embedded aedes broker; the trained
// network equals the simulator at board resolution (`--device sim-wire`) for the same seed, bit for bit.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startEmbeddedBroker } from '../../drivers/transports/mqtt-broker.ts'

const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'eqp-train-mqtt-'))
interface Proc { p: ChildProcess; out: string; err: string; exit: Promise<number> }
const procs: Proc[] = []
const cleanup: (() => Promise<unknown>)[] = []

function cli(args: string[]): Proc {
  const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EQPROP_HIL_FROM_SOURCE: '1' } })
  const r: Proc = { p, out: '', err: '', exit: new Promise((res) => p.on('exit', (code, sig) => res(code ?? (sig ? 128 : 1)))) }
  p.stdout!.on('data', (d: Buffer) => { r.out += d.toString() })
  p.stderr!.on('data', (d: Buffer) => { r.err += d.toString() })
  procs.push(r)
  return r
}

async function until(cond: () => boolean, what: string, maxS = 60): Promise<void> {
  for (let t = 0; !cond(); t += 0.05) {
    if (t > maxS) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

after(async () => {
  for (const r of procs) if (r.p.exitCode === null && r.p.signalCode === null) { r.p.kill('SIGTERM'); await r.exit }
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

const NET = 'all-to-all:6:std=0.7:bias=random'
const TRAIN = ['train', '--task', 'xor', '--network', NET, '--epochs', '20', '--m-init', '2', '--seed', '3', '--eval-every', '10']

describe('eqprop-hil train --mqtt', () => {
  it('trains a board on a broker to exactly the network of --device sim-wire', async () => {
    const broker = await startEmbeddedBroker()
    cleanup.push(() => broker.close())
    const board = cli(['board', '--mqtt', broker.url, '--uid', 'lab-7', '--network', NET])
    await until(() => /ready on /.test(board.out), `the board (${board.err})`)
    const out = join(dir, 'mqtt.json'), ref = join(dir, 'ref.json')
    const t = cli([...TRAIN, '--mqtt', broker.url, '--uid', 'lab-7', '--out', out])
    assert.equal(await t.exit, 0, t.err)
    assert.match(t.out, /device lab-7: \d+ commands/)
    const s = cli([...TRAIN, '--device', 'sim-wire', '--out', ref])
    assert.equal(await s.exit, 0, s.err)
    assert.equal(readFileSync(out, 'utf8'), readFileSync(ref, 'utf8'))
  })

  it('refuses --mqtt without --uid, with --serial, and a bad URL, with exit 2', async () => {
    for (const [args, msg] of [
      [['--mqtt', 'mqtt://127.0.0.1:1'], /--mqtt URL and --uid U go together/],
      [['--mqtt', 'mqtt://127.0.0.1:1', '--uid', 'x', '--serial', '/dev/null'], /one of --serial, --mqtt or --device/],
      [['--mqtt', 'http://example', '--uid', 'x'], /url/],
    ] as const) {
      const r = cli([...TRAIN, ...args])
      assert.equal(await r.exit, 2, r.err)
      assert.match(r.err, msg)
    }
  })
})
