// The CLI end to end over real ptys: `eqprop-hil board` in one process, `eqprop-hil train --serial` in
// another, socat in between. An undisturbed run, and a run that is unplugged mid-way (socat killed and
// started again), sees 1% corrupted bytes and a board reboot, both end with exactly the network of the
// in-process simulator at board resolution (`--device sim-wire`) for the same seed. A board that speaks
// another protocol major makes train exit with 2 and a coded error.
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createPtyPair, type PtyPair } from '../../src/services/boards.ts'

const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))
const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const dir = mkdtempSync(join(tmpdir(), 'eqp-cli-board-'))

interface Proc { p: ChildProcess; out: string; err: string; exit: Promise<number> }
const procs: Proc[] = []
const pairs: PtyPair[] = []

/** Starts the CLI in its own process group (so a board's socat goes down with it). */
function cli(args: string[]): Proc {
  const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const r: Proc = { p, out: '', err: '', exit: new Promise((res) => p.on('exit', (code, sig) => res(code ?? (sig ? 128 : 1)))) }
  p.stdout!.on('data', (d: Buffer) => { r.out += d.toString() })
  p.stderr!.on('data', (d: Buffer) => { r.err += d.toString() })
  procs.push(r)
  return r
}

/** The exit code, or a failure if the process is still running after maxS. */
async function exited(r: Proc, maxS = 60): Promise<number> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`still running after ${maxS} s: ${r.err}`)), maxS * 1000) })
  try { return await Promise.race([r.exit, late]) } finally { clearTimeout(timer) }
}

async function until(cond: () => boolean, what: string, maxS = 30): Promise<void> {
  for (let t = 0; !cond(); t += 0.02) {
    if (t > maxS) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

after(async () => {
  for (const r of procs) {
    if (r.p.exitCode !== null || r.p.signalCode !== null) continue
    try { process.kill(-r.p.pid!, 'SIGTERM') } catch { /* gone */ }
    const t = setTimeout(() => { try { process.kill(-r.p.pid!, 'SIGKILL') } catch { /* gone */ } }, 3000)
    await r.exit
    clearTimeout(t)
  }
  for (const p of pairs) await p.close().catch(() => {})
})

const TRAIN = ['train', '--task', 'xor', '--network', 'all-to-all:6', '--epochs', '30', '--seed', '3', '--eval-every', '10']

async function reference(): Promise<string> {
  const out = join(dir, 'reference.json')
  const r = cli([...TRAIN, '--device', 'sim-wire', '--out', out, '--json'])
  assert.equal(await exited(r), 0, r.err)
  return readFileSync(out, 'utf8')
}

describe('eqprop-hil board and train --serial over socat ptys', { skip: NO_SOCAT }, () => {
  it('board without --pty or --path, or with both, is a usage error (exit 2)', async () => {
    const a = cli(['board', '--network', 'all-to-all:6'])
    assert.equal(await exited(a), 2)
    assert.match(a.err, /exactly one of --pty or --path/)
  })

  it('board --pty prints the pty path, and train --serial on it ends with the network of train --device sim-wire', async () => {
    const b = cli(['board', '--pty', '--network', 'all-to-all:6'])
    await until(() => /ready on (\S+)/.test(b.out), 'the board')
    const path = /ready on (\S+)/.exec(b.out)![1]
    assert.match(path, /^\/dev\/pts\/\d+$/)
    const out = join(dir, 'undisturbed.json')
    const t = cli([...TRAIN, '--serial', path, '--out', out])
    assert.equal(await exited(t), 0, t.err)
    assert.equal(readFileSync(out, 'utf8'), await reference())
    assert.match(t.out, /device vboard-xy: \d+ commands, 0 resends, 0 timeouts, 0 damaged frames, 0 reconnects/)
  })

  it('a run unplugged mid-way, with 1% corrupted bytes and a board reboot, completes with the same network', async () => {
    const links = mkdtempSync(join(dir, 'links-'))
    let pair = await createPtyPair(links)
    pairs.push(pair)
    const b = cli(['board', '--path', pair.boardPath, '--network', 'all-to-all:6', '--corrupt', '0.01', '--reboot-after', '250', '--fault-seed', '7'])
    await until(() => /ready on/.test(b.out), 'the board')
    const out = join(dir, 'disturbed.json')
    const t = cli([...TRAIN, '--serial', pair.hostPath, '--reply-timeout', '0.03', '--out', out])
    await until(() => /epoch ([3-9]|1\d)\/30/.test(t.err), 'a few epochs', 60)
    await pair.close()                                     // unplug: both ends of the link vanish
    await new Promise((r) => setTimeout(r, 300))
    pair = await createPtyPair(links)                       // plugged back in, same paths
    pairs.push(pair)
    assert.equal(await exited(t), 0, t.err)
    assert.equal(readFileSync(out, 'utf8'), await reference(), 'the same final network as the undisturbed in-process run')
    assert.match(t.err, /device reconnecting \(LINK_LOST/, 'the unplug was noticed')
    assert.match(t.err, /BOARD_REBOOTED/, 'the reboot was noticed')
    const m = /device vboard-xy: \d+ commands, (\d+) resends, \d+ timeouts, (\d+) damaged frames, (\d+) reconnects, (\d+) parameter re-writes/.exec(t.out)
    assert.ok(m, t.out)
    assert.ok(Number(m[1]) > 0 && Number(m[2]) > 0, 'the corruption cost resends')
    assert.ok(Number(m[3]) >= 2 && Number(m[4]) >= 2, 'reconnected after the unplug and the reboot, re-writing the parameters')
  })

  it('a board speaking protocol major 2 makes train exit with 2 and EQP_ERR_PROTO_VERSION', async () => {
    const b = cli(['board', '--pty', '--network', 'all-to-all:6', '--protocol-major', '2'])
    await until(() => /ready on (\S+)/.test(b.out), 'the board')
    const path = /ready on (\S+)/.exec(b.out)![1]
    const t = cli([...TRAIN, '--serial', path, '--out', join(dir, 'never.json')])
    assert.equal(await exited(t, 20), 2, t.err)
    assert.match(t.err, /EQP_ERR_PROTO_VERSION: the board on '\/dev\/pts\/\d+' speaks protocol major 2, this host speaks 1/)
  })
})
