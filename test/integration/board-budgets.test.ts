// RELAX budgets and a board that never hangs (issue 14): both boards (TS virtual board and C reference
// firmware) over socat ptys, driven frame by frame. A relaxation that cannot settle (a tolerance no
// solver reaches) ends when its wall-time budget or its step budget runs out, clamped by the board's
// own limits, and answers "not settled"; while it runs, the board answers HELLO, STOP and other
// commands; SIGTERM ends a busy board process at once.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { firmwareTopology } from '../../drivers/board/firmware-topology.ts'
import { ERROR_CODES, toFixed, PHASE_LSB, type DecodedMessage, type MessageBodies, type MessageName } from '../../firmware-protocol/ts/index.ts'
import { Rng } from '../../src/core/rng/rng.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { createPtyPair, ensureFirmwareBuilt, startBoard, type BoardJobInput } from '../../src/services/boards.ts'
import { WireHost } from '../support/wire-host.ts'

const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const NO_GCC = spawnSync('gcc', ['--version']).status === 0 ? false : 'gcc is not installed'
const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))

// the repro of issue 14: all-to-all:6, random couplings, an input clamped to 1000 rad (the wire holds
// at most 32767 state units, about 4 rad, so that is what arrives)
const net = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 1, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)
const NEVER = 1e-300  // no solver gets max |force| below this: the relaxation never settles

const cleanup: (() => Promise<unknown>)[] = []
after(async () => { for (const c of cleanup.reverse()) await c().catch(() => {}) })

type Impl = 'ts' | 'c'
async function boardHost(impl: Impl, board: BoardJobInput['board'] = {}): Promise<WireHost> {
  const b = await startBoard({ network: net, impl, board: { maxBatch: 4, ...board } })
  cleanup.push(() => b.close())
  const h = await WireHost.open(b.hostPath)
  cleanup.push(() => h.close())
  return h
}

const relax = (o: Partial<MessageBodies['RELAX']> = {}): MessageBodies['RELAX'] =>
  ({ batch: 1, phase: 'free', nudge: 'cost', cost: 'log-cos', start: 'random', beta: 0, seed: 7, budgetUs: 1_000_000, maxSteps: 0xffffffff, ...o })

/** HELLO, random couplings, input 0 clamped to 1000 rad, as the repro does. */
async function setUp(h: WireHost): Promise<void> {
  assert.equal((await h.hello()).name, 'DEVICE_INFO')
  const rng = new Rng(14)
  const total = net.edges.length + 2 * net.nodes
  const r = await h.call('SET_PARAMS', { offset: 0, values: Array.from({ length: total }, () => Math.fround(rng.uniform(-8, 8))) })
  assert.equal(r.name, 'PARAMS')
  const c = await h.call('CLAMP', { sample: 0, replace: true, clamps: [{ node: net.inputs[0], value: toFixed(1000, PHASE_LSB) }] })
  assert.equal(c.name, 'ACK')
}

function body<N extends MessageName>(m: DecodedMessage | null, name: N): MessageBodies[N] {
  assert.ok(m, `expected ${name}, got nothing`)
  assert.equal(m.name, name, `expected ${name}, got ${m.name} ${JSON.stringify(m.body)}`)
  return m.body as MessageBodies[N]
}

async function stateOf(h: WireHost): Promise<MessageBodies['STATE']> {
  return body(await h.call('GET_STATE', { sample: 0, kind: 'nodes', offset: 0, count: 0 }), 'STATE')
}

for (const impl of ['ts', 'c'] as const) {
  describe(`RELAX budgets on the ${impl === 'ts' ? 'TS virtual board' : 'C reference firmware'} over a socat pty`, { skip: NO_SOCAT || (impl === 'c' && NO_GCC) }, () => {
    it('the issue 14 repro (default physics) is answered, settled, and the board answers HELLO after it', async () => {
      const h = await boardHost(impl)
      await setUp(h)
      const d = body(await h.call('RELAX', relax(), 30), 'RELAX_DONE')
      assert.deepEqual([d.batch, d.settled], [1, 1])
      assert.equal((await stateOf(h)).settled, true)
      assert.equal((await h.call('HELLO', { protoMinor: 0, maxFrame: 1024, watchdogMs: 60_000 })).name, 'DEVICE_INFO')
    })

    it('a RELAX that cannot settle ends when budgetUs runs out, not settled, and maxSteps 0xFFFFFFFF does not keep it going', async () => {
      const h = await boardHost(impl, { tol: NEVER, maxStepsLimit: 0xffffffff })
      await setUp(h)
      const d = body(await h.call('RELAX', relax({ budgetUs: 1_000_000 }), 30), 'RELAX_DONE')
      assert.equal(d.settled, 0)
      assert.ok(d.elapsedUs >= 1_000_000, `ended at ${d.elapsedUs} us, before its budget`)
      assert.ok(d.elapsedUs < 20_000_000, `ended at ${d.elapsedUs} us`)
      const s = await stateOf(h)
      assert.equal(s.settled, false)
      assert.ok(s.steps > 0)
    })

    it('honours maxSteps across slices, and clamps it to the board limit', async () => {
      const h = await boardHost(impl, { tol: NEVER, maxStepsLimit: 50_000 })
      await setUp(h)
      // 30000 steps: one full slice of 20000, then the rest (an RK45 step takes 6 evaluations)
      body(await h.call('RELAX', relax({ budgetUs: 60_000_000, maxSteps: 30_000 }), 30), 'RELAX_DONE')
      let s = await stateOf(h)
      assert.equal(s.settled, false)
      assert.ok(s.steps >= 30_000 && s.steps <= 30_012, `steps ${s.steps}`)
      body(await h.call('RELAX', relax({ budgetUs: 60_000_000, maxSteps: 0xffffffff }), 30), 'RELAX_DONE')
      s = await stateOf(h)
      assert.ok(s.steps >= 50_000 && s.steps <= 50_012, `steps ${s.steps}: the limit is 50000`)
    })

    it('clamps budgetUs to the board limit, and reads budgetUs = 0 as the board default', async () => {
      const h = await boardHost(impl, { tol: NEVER, maxStepsLimit: 0xffffffff, budgetLimitUs: 300_000, defaultBudgetUs: 200_000 })
      await setUp(h)
      let d = body(await h.call('RELAX', relax({ budgetUs: 0xffffffff }), 30), 'RELAX_DONE')
      assert.equal(d.settled, 0)
      assert.ok(d.elapsedUs >= 300_000 && d.elapsedUs < 20_000_000, `elapsed ${d.elapsedUs} us, limit 300000`)
      d = body(await h.call('RELAX', relax({ budgetUs: 0 }), 30), 'RELAX_DONE')
      assert.ok(d.elapsedUs >= 200_000 && d.elapsedUs < 20_000_000, `elapsed ${d.elapsedUs} us, default 200000`)
    })

    it('answers BUSY, HELLO and STOP while a RELAX runs; HELLO and STOP abort it and it is never answered', async () => {
      const h = await boardHost(impl, { tol: NEVER, maxStepsLimit: 0xffffffff })
      await setUp(h)
      const from = h.got.length
      const seq = h.nextSeq()
      const frame = await h.send('RELAX', relax({ budgetUs: 60_000_000 }), seq)
      const busy = body(await h.call('GET_PARAMS', { offset: 0, count: 1 }), 'NACK')
      assert.equal(busy.code, ERROR_CODES.BUSY)
      // a retry of the running RELAX is ignored; HELLO is answered and aborts it
      await h.sendFrame(frame)
      body(await h.call('HELLO', { protoMinor: 0, maxFrame: 1024, watchdogMs: 60_000 }), 'DEVICE_INFO')
      assert.equal(body(await h.call('GET_PARAMS', { offset: 0, count: 1 }), 'PARAMS').offset, 0, 'ready again after HELLO')
      assert.equal(h.got.slice(from).filter((g) => g.msg?.seq === seq).length, 0, 'the aborted RELAX got an answer')
      // again, aborted by STOP this time: ACK, then the safe state
      await setUp(h)
      const seq2 = h.nextSeq()
      await h.send('RELAX', relax({ budgetUs: 60_000_000 }), seq2)
      assert.equal(body(await h.call('GET_PARAMS', { offset: 0, count: 1 }), 'NACK').code, ERROR_CODES.BUSY)
      body(await h.call('STOP', {}), 'ACK')
      assert.equal(body(await h.call('GET_PARAMS', { offset: 0, count: 1 }), 'NACK').code, ERROR_CODES.NOT_READY)
      assert.equal(h.got.filter((g) => g.msg?.seq === seq2).length, 0, 'the stopped RELAX got an answer')
    })
  })
}

describe('SIGTERM ends a board that is relaxing', { skip: NO_SOCAT }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'eqp-sigterm-'))
  const procs: import('node:child_process').ChildProcess[] = []
  after(() => { for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL') })

  async function busyThenTerm(cmd: string, args: string[], hostPath: string): Promise<number | string> {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    procs.push(p)
    const exit = new Promise<number | string>((res) => p.on('exit', (code, sig) => res(code ?? sig ?? -1)))
    await new Promise<void>((res, rej) => {
      let out = ''
      p.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (/ready/.test(out)) res() })
      void exit.then((c) => rej(new Error(`exited with ${c} before it was ready`)))
    })
    const h = await WireHost.open(hostPath)
    try {
      await setUp(h)
      await h.send('RELAX', relax({ budgetUs: 60_000_000 }))
      assert.equal(body(await h.call('GET_PARAMS', { offset: 0, count: 1 }), 'NACK').code, ERROR_CODES.BUSY, 'the board is relaxing')
      p.kill('SIGTERM')
      // a hung board would run for its whole 60 s budget; 15 s is far more than a prompt exit needs
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<string>((res) => { timer = setTimeout(() => res('still running 15 s after SIGTERM'), 15_000) })
      const r = await Promise.race([exit, late])
      clearTimeout(timer)
      return r
    } finally {
      await h.close().catch(() => {})
    }
  }

  it('the TS board (eqprop-hil board) exits 0', async () => {
    const pair = await createPtyPair(mkdtempSync(join(dir, 'ts-')))
    cleanup.push(() => pair.close())
    const r = await busyThenTerm(process.execPath, [BIN, 'board', '--path', pair.boardPath, '--network', 'all-to-all:6', '--tol', String(NEVER)], pair.hostPath)
    assert.equal(r, 0)
  })

  it('the C firmware exits 0', { skip: NO_GCC }, async () => {
    const pair = await createPtyPair(mkdtempSync(join(dir, 'c-')))
    cleanup.push(() => pair.close())
    const topo = join(dir, 'topology.txt')
    writeFileSync(topo, firmwareTopology(net))
    const r = await busyThenTerm(ensureFirmwareBuilt(), ['--path', pair.boardPath, '--topology', topo, '--tol', String(NEVER), '--max-steps-limit', '4294967295'], pair.hostPath)
    assert.equal(r, 0)
  })
})
