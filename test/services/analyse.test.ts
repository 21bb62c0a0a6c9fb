import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { analyseNetwork } from '../../src/services/analyse.ts'
import { asModel } from '../../src/services/substrates.ts'
import { loadTask } from '../../src/services/training.ts'

const data = loadTask('xor', 0)
const net = buildNetwork(parseBuilderString('lattice:4x4:std=0.8:bias=random'), { inputs: 2, outputs: 1 }, 2)

describe('analyseNetwork', () => {
  it('counts every start once, and finds a minimum with a positive Hessian spectrum', async () => {
    const r = await analyseNetwork(net, data, { samples: 2, starts: 12, seed: 1 })
    assert.equal(r.samples.length, 2)
    assert.equal(r.network.freeNodes, 14)
    for (const s of r.samples) {
      assert.equal(s.minima.reduce((a, m) => a + m.starts, 0) + s.unsettled, 12)
      assert.ok(s.minima.length >= 1)
      for (let k = 1; k < s.minima.length; k++) assert.ok(s.minima[k].starts <= s.minima[k - 1].starts, 'most frequent first')
      const sp = s.spectrum!
      assert.equal(sp.negative, 0)
      assert.ok(sp.smallest[0] > 0 && sp.largest >= sp.smallest[0] && Math.abs(sp.condition - sp.largest / sp.smallest[0]) < 1e-9 * sp.condition)
      assert.ok(Math.abs(Math.hypot(...sp.softMode) - 1) < 1e-9, 'soft mode is a unit vector')
      for (const i of net.inputs) assert.equal(sp.softMode[i], 0)
    }
  })

  it('the linear response equals a finite difference of relaxed equilibria', async () => {
    const r = await analyseNetwork(net, data, { samples: 1, starts: 4, seed: 1 })
    const s = r.samples[0], phi = Float64Array.from(s.minima[0].states)
    const sim = new SimXySubstrate(net, { solver: 'flow-newton', tol: 1e-11 })
    const delta = 1e-5
    for (let k = 0; k < net.inputs.length; k++) {
      const x = Float64Array.from(data.train.x.subarray(0, 2))
      const central: Float64Array[] = []
      for (const sign of [1, -1]) {
        const xk = x.slice(); xk[k] += sign * delta
        const st = phi.slice(); st[net.inputs[k]] = xk[k]
        const rr = await sim.relax({ batch: 1, inputs: xk, phase: 'free', start: { kind: 'given', states: st } })
        assert.equal(rr.settled[0], 1)
        central.push(rr.states)
      }
      for (let i = 0; i < net.nodes; i++) {
        if (net.inputs.includes(i)) continue
        const d = central[0][i] - central[1][i]
        const fd = Math.atan2(Math.sin(d), Math.cos(d)) / (2 * delta)
        assert.ok(Math.abs(fd - s.spectrum!.response[k][i]) < 1e-5 * Math.max(1, Math.abs(fd)), `input ${k} node ${i}: ${fd} vs ${s.spectrum!.response[k][i]}`)
      }
    }
    await sim.close()
  })

  it('refuses a non-XY network, naming it', async () => {
    await assert.rejects(analyseNetwork(asModel(net, 'oim'), data), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /network/.test(e.message))
  })
})

describe('eqprop-hil analyse', () => {
  it('prints the minima and the spectrum, writes pictures, and refuses a bad flag with exit 2', async () => {
    const { execFile } = await import('node:child_process')
    const { mkdtempSync, readFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const bin = new URL('../../bin/eqprop-hil.js', import.meta.url).pathname
    const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { env: { ...process.env, EQPROP_HIL_FROM_SOURCE: '1' }, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
    })
    const dir = mkdtempSync(join(tmpdir(), 'eqp-analyse-'))
    const r = await run(['analyse', '--network', 'lattice:3x3:std=0.8', '--task', 'xor', '--samples', '1', '--starts', '6', '--plots', dir, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.equal(report.samples.length, 1)
    assert.ok(report.samples[0].spectrum.smallest[0] > 0)
    const png = readFileSync(join(dir, 'soft-mode-s0.png'))
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG')
    const text = await run(['analyse', '--network', 'lattice:3x3:std=0.8', '--task', 'xor', '--samples', '1', '--starts', '6'])
    assert.match(text.stdout, /sample 0: \d+ distinct minim/)
    assert.match(text.stdout, /condition/)
    const bad = await run(['analyse', '--network', 'lattice:3x3', '--task', 'xor', '--starts', '0'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /starts/)
  })
})
