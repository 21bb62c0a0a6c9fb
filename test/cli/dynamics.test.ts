import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { main } from '../../src/cli/main.ts'
import { BIN, inProcessDaemon, tempDir } from '../support/daemon.ts'

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

/** The CLI in this process (no start-up cost), its stderr captured: for calls that fail before any work. */
async function runHere(args: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((c: string | Uint8Array) => { chunks.push(String(c)); return true }) as typeof process.stderr.write
  try {
    return { code: await main(args), stderr: chunks.join('') }
  } finally {
    process.stderr.write = write
  }
}

describe('--solver implicit-flow and --dynamics on the CLI', () => {
  const out = tempDir('dynamics')
  const base = ['train', '--task', 'xor', '--network', 'all-to-all:6:std=0.7:bias=random', '--epochs', '2', '--json', '--out', `${out}/net.json`]

  it('trains with the implicit flow and with reference dynamics', async () => {
    for (const extra of [['--solver', 'implicit-flow'], ['--dynamics', 'reference', '--dynamics-t', '20']]) {
      const r = await run([...base, ...extra])
      assert.equal(r.code, 0, r.stderr)
      const s = JSON.parse(r.stdout)
      assert.equal(s.epochs, 2)
      assert.ok(s.force_evals > 0)
    }
  })

  for (const [name, extra, flag] of [
    ['an unknown dynamics', ['--dynamics', 'physical'], '--dynamics'],
    ['a negative dynamics time', ['--dynamics', 'reference', '--dynamics-t', '-1'], '--dynamics-t'],
    ['a dynamics time without reference dynamics', ['--dynamics-t', '50'], '--dynamics-t'],
    ['an unknown solver', ['--solver', 'implicit'], '--solver'],
  ] as const) {
    it(`exits 2 naming the flag on ${name}`, async () => {
      const r = await runHere([...base, ...extra])
      assert.equal(r.code, 2, r.stderr)
      assert.ok(r.stderr.includes(flag), r.stderr)
    })
  }

  it('eval validates --dynamics too', async () => {
    const r = await runHere(['eval', '--task', 'xor', '--network', 'all-to-all:6', '--dynamics', 'fixed'])
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes('--dynamics'), r.stderr)
  })
})

describe('dynamics and the implicit flow on daemon devices', () => {
  let d: Daemon
  before(async () => { d = await inProcessDaemon() })
  after(async () => { await d.close() })
  const dev = { kind: 'sim-xy', builder: 'lattice:4x4', task: 'xor', seed: 1 }
  const post = (payload: object) => d.app.inject({ method: 'POST', url: '/devices', payload })

  for (const [name, body, field] of [
    ['an unknown dynamics', { ...dev, sim: { dynamics: 'physical' } }, 'body.sim.dynamics'],
    ['a zero dynamics time', { ...dev, sim: { dynamics: 'reference', dynamicsT: 0 } }, 'body.sim.dynamicsT'],
    ['an unknown solver', { ...dev, sim: { solver: 'implicit' } }, 'body.sim.solver'],
    ['reference dynamics on a resistor network', { ...dev, kind: 'sim-resistor', sim: { dynamics: 'reference' } }, 'dynamics'],
  ] as const) {
    it(`answers 400 naming the field on ${name}`, async () => {
      const r = await post(body)
      assert.equal(r.statusCode, 400, r.body)
      assert.equal(r.json().code, 'EQP_ERR_BAD_INPUT')
      assert.ok(r.json().message.includes(field), r.json().message)
    })
  }

  it('trains a run on a reference-dynamics device whose states never settle by T (the state at T is the equilibrium)', async () => {
    const c = await post({ kind: 'sim-xy', builder: 'all-to-all:6:std=0.7:bias=random', task: 'xor', seed: 3, sim: { dynamics: 'reference', dynamicsT: 0.5 } })
    assert.equal(c.statusCode, 201, c.body)
    const before = (await d.app.inject({ method: 'GET', url: `/devices/${c.json().id}/params` })).json()
    const r = await d.app.inject({ method: 'POST', url: '/runs', payload: { device: c.json().id, task: 'xor', epochs: 3, batchSize: 4, seed: 3, evalEvery: 0 } })
    assert.equal(r.statusCode, 202, r.body)
    await d.services.runs.idle(r.json().id)
    assert.equal((await d.services.runs.get(r.json().id)).state, 'done')
    const after = (await d.app.inject({ method: 'GET', url: `/devices/${c.json().id}/params` })).json()
    const moved = before.weights.reduce((m: number, w: number, i: number) => Math.max(m, Math.abs(w - after.weights[i])), 0)
    assert.ok(moved > 1e-4, `the couplings moved by ${moved}`)
  })

  it('relaxes on a device with reference dynamics and one with the implicit flow', async () => {
    for (const sim of [{ dynamics: 'reference', dynamicsT: 50 }, { solver: 'implicit-flow' }]) {
      const c = await post({ ...dev, sim })
      assert.equal(c.statusCode, 201, c.body)
      const r = await d.app.inject({ method: 'POST', url: `/devices/${c.json().id}/relax`, payload: { inputs: [[1, -1]], start: { kind: 'random', seed: 2 } } })
      assert.equal(r.statusCode, 200, r.body)
      assert.equal(r.json().phases[0].length, 16)
      assert.equal(typeof r.json().settled[0], 'boolean')
    }
  })
})
