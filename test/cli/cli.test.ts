import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Network } from '../../src/core/network/network.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'

const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'eqprop-cli-'))

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

const write = (name: string, value: unknown) => {
  const p = join(dir, name)
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value))
  return p
}

describe('eqprop-hil CLI', () => {
  const net = buildNetwork({ kind: 'all-to-all', nodes: 5, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 1 }, 4)
  const netFile = write('net.json', net)
  const sampleFile = write('sample.json', { x: [Math.PI / 2, -Math.PI / 2], target: [Math.PI / 2] })

  it('grad --json prints the exact gradient and every estimator, each close to it at small beta', async () => {
    const r = await run(['grad', '--network', netFile, '--sample', sampleFile, '--beta', '1e-4', '--seed', '2', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.equal(out.free.length, 5)
    assert.ok(Number.isFinite(out.cost))
    assert.deepEqual(Object.keys(out.estimators).sort(), ['frozen-nudge', 'one-sided', 'richardson', 'symmetric'])
    const flat = (g: { weights: number[]; h: number[]; psi: number[] }) => [...g.weights, ...g.h, ...g.psi]
    assert.equal(out.exact.weights.length, net.edges.length)
    assert.equal(out.exact.h.length, 5)
    for (const [name, g] of Object.entries(out.estimators)) {
      const a = flat(g as never), b = flat(out.exact)
      const err = Math.hypot(...a.map((v, i) => v - b[i])) / Math.hypot(...b)
      assert.ok(err < 1e-3, `${name}: relative error ${err}`)
    }
  })

  it('grad rejects a sample of the wrong shape with exit code 2, naming the field', async () => {
    const bad = write('bad-sample.json', { x: [0.1], target: [0] })
    const r = await run(['grad', '--network', netFile, '--sample', bad])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /sample\.x/)
  })

  it('train rejects a bad --lr-schedule, --lr-final or --layer-lr-scale with exit code 2, naming the flag or field', async () => {
    const base = ['train', '--task', 'xor', '--network', 'layered:2,3,1', '--epochs', '1', '--out', join(dir, 'sched.json')]
    const cases: [string[], RegExp][] = [
      [['--lr-schedule', 'step'], /--lr-schedule: 'step' is not one of constant, cosine, linear/],
      [['--lr-schedule', 'cosine', '--lr-final', '1.5'], /--lr-final: 1\.5 is above the maximum 1/],
      [['--layer-lr-scale', '1,x'], /--layer-lr-scale: 'x' is not a number/],
      [['--layer-lr-scale', '1,1,1'], /layerLrScale: has 3 entries/],
    ]
    for (const [flags, want] of cases) {
      const r = await run([...base, ...flags])
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, want)
    }
    const ok = await run([...base, '--epochs', '2', '--lr-schedule', 'cosine', '--lr-final', '0.1', '--layer-lr-scale', '1,0.5', '--json'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(JSON.parse(ok.stdout).epochs, 2)
  })

  it('grad rejects a network with a self-loop, naming edges.<k>', async () => {
    const bad = write('bad-net.json', { ...net, edges: [[0, 0], ...net.edges.slice(1)] })
    const r = await run(['grad', '--network', bad, '--sample', sampleFile])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /edges\.0: self-loop/)
  })

  it('grad reports a missing file and broken JSON with exit code 2', async () => {
    const missing = await run(['grad', '--network', join(dir, 'nope.json'), '--sample', sampleFile])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /EQP_ERR_FILE_READ.*ENOENT/)
    const broken = await run(['grad', '--network', write('broken.json', '{"model":'), '--sample', sampleFile])
    assert.equal(broken.code, 2)
    assert.match(broken.stderr, /not valid JSON/)
  })

  it('train writes a valid trained network and a JSON summary; eval scores it', async () => {
    const out = join(dir, 'xor.json')
    const r = await run(['train', '--task', 'xor', '--network', 'all-to-all:6:std=0.7:bias=random', '--epochs', '200', '--m-init', '2', '--seed', '1', '--out', out, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const summary = JSON.parse(r.stdout)
    assert.equal(summary.epochs, 200)
    assert.ok(summary.train.distance < 0.01, `D ${summary.train.distance}`)
    const trained = Network.parse(JSON.parse(readFileSync(out, 'utf8')))
    assert.equal(trained.edges.length, 15)
    const e = await run(['eval', '--network', out, '--task', 'xor', '--restarts', '3', '--json'])
    assert.equal(e.code, 0, e.stderr)
    const m = JSON.parse(e.stdout)
    assert.equal(m.samples, 4)
    assert.equal(m.accuracy, 1)
  })

  it('train shows progress with an ETA on stderr and final metrics on stdout', async () => {
    const r = await run(['train', '--task', 'xor', '--network', 'all-to-all:5', '--epochs', '20', '--out', join(dir, 'p.json')])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /epoch 20\/20 .*ETA/)
    assert.match(r.stdout, /final train D/)
  })

  for (const [args, pattern] of [
    [['train', '--task', 'xor', '--network', 'all-to-all:5', '--epochs', 'ten'], /--epochs: 'ten' is not a number/],
    [['train', '--task', 'xor', '--network', 'all-to-all:5', '--bogus'], /Unknown option '--bogus'/],
    [['train', '--task', 'mnist-in-a-hat', '--network', 'all-to-all:5'], /task.*known/i],
    [['train', '--task', 'xor', '--network', 'lattice:2x2:in=5,5'], /outside the 2x2 grid|inputSites/],
    [['train', '--task', 'xor'], /--network is required/],
    [['train', '--task', 'xor', '--network', 'all-to-all:5', '--estimator', 'magic'], /--estimator: 'magic' is not one of/],
    [['frobnicate'], /unknown command/],
  ] as const) {
    it(`exits with 2 and a clear message for: ${args.join(' ')}`, async () => {
      const r = await run([...args])
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, pattern)
    })
  }
})
