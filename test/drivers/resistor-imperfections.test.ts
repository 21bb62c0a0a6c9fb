import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { voltageLsb } from '../../drivers/sim/imperfections.ts'
import { defaultReadoutRange, SimResistorSubstrate, type SimResistorOptionsInput } from '../../drivers/sim/resistor.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { asModel, openSimulator, withResistorGain } from '../../src/services/substrates.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

const layered = asModel(buildNetwork({ kind: 'layered', sizes: [3, 6, 2], weightStd: 0.8, bias: 'random' }, { inputs: 3, outputs: 2 }, 5), 'resistor')
const n = layered.nodes
const inputs = Float64Array.of(0.5, -1, 0.25, 1, 0.1, -0.6)
const free = { batch: 2, inputs, phase: 'free' as const, start: { kind: 'random' as const, seed: 8 } }
const isInput = (i: number) => layered.inputs.includes(i)

/** One input source (V) feeding free nodes in a chain through conductances g (S): input 0, then 1, 2, ...; the last node is the output. */
function chain(g: number[]): Network {
  const nodes = g.length + 1
  return {
    model: 'resistor', nodes, edges: g.map((_, k) => [k, k + 1] as [number, number]), weights: g, inputs: [0], outputs: [nodes - 1],
    bias: { h: new Array<number>(nodes).fill(0), psi: new Array<number>(nodes).fill(0) },
  }
}

/** Mean and (co)variances of nodes a and b over a batch of samples of `nodes` nodes each. */
function moments(s: Float64Array, nodes: number, a: number, b: number): { ma: number; mb: number; va: number; vb: number; cab: number } {
  const B = s.length / nodes
  let ma = 0, mb = 0
  for (let k = 0; k < B; k++) { ma += s[k * nodes + a]; mb += s[k * nodes + b] }
  ma /= B; mb /= B
  let va = 0, vb = 0, cab = 0
  for (let k = 0; k < B; k++) {
    const da = s[k * nodes + a] - ma, db = s[k * nodes + b] - mb
    va += da * da; vb += db * db; cab += da * db
  }
  return { ma, mb, va: va / (B - 1), vb: vb / (B - 1), cab: cab / (B - 1) }
}

substrateContract('simulated resistor network with a 6-bit voltage readout', async () =>
  new SimResistorSubstrate(layered, { readoutBits: 6 }), { targets: 'values', conductances: true, stateLsb: voltageLsb(6, 1) })

describe('SimResistorSubstrate: voltage readout (readoutBits, readoutRange)', () => {
  it('returns free node voltages on the ADC grid over [-vMax, vMax) and input voltages as given', async () => {
    const lsb = voltageLsb(5, 1)
    const r = await new SimResistorSubstrate(layered, { readoutBits: 5 }).relax(free)
    const exact = await new SimResistorSubstrate(layered).relax(free)
    let offGrid = 0
    for (let k = 0; k < r.states.length; k++) {
      const i = k % n, v = r.states[k]
      if (isInput(i)) { assert.equal(v, exact.states[k]); continue }
      assert.ok(Number.isInteger(v / lsb) || Math.abs(v / lsb - Math.round(v / lsb)) < 1e-12, `${v} is not a multiple of 1/16 V`)
      assert.ok(v >= -1 && v <= 1 - lsb, `${v} outside the ADC range`)
      // round to nearest: within half a step of the physical voltage (none of these clip)
      assert.ok(Math.abs(v - exact.states[k]) <= lsb / 2 + 1e-15, `${v} vs exact ${exact.states[k]}`)
      if (Math.abs(exact.states[k] / lsb - Math.round(exact.states[k] / lsb)) > 1e-6) offGrid++
    }
    // the exact voltages are off the grid, so the option did something
    assert.ok(offGrid >= 10, `only ${offGrid} exact voltages off the grid`)
  })

  it('clips readings outside the range to the end codes', async () => {
    const lsb = voltageLsb(4, 0.05)
    const r = await new SimResistorSubstrate(layered, { readoutBits: 4, readoutRange: 0.05 }).relax(free)
    const exact = await new SimResistorSubstrate(layered).relax(free)
    let clipped = 0
    for (let k = 0; k < r.states.length; k++) {
      if (isInput(k % n)) continue
      const e = exact.states[k]
      if (e >= 0.05) { assert.equal(r.states[k], 0.05 - lsb); clipped++ }
      if (e < -0.05 - lsb / 2) { assert.equal(r.states[k], -0.05); clipped++ }
    }
    assert.ok(clipped >= 2, `${clipped} readings clipped`)
  })

  it("continues 'previous' starts from the physical voltages, not the readings", async () => {
    const sub = new SimResistorSubstrate(layered, { readoutBits: 4 })
    await sub.relax(free)
    // at the physical equilibrium one sweep moves nothing; from the rounded readings it would
    const again = await sub.relax({ batch: 2, inputs, phase: 'free', start: { kind: 'previous' }, budget: { maxEvals: 1 } })
    assert.deepEqual([...again.settled], [1, 1])
    const fromReadings = await new SimResistorSubstrate(layered, { readoutBits: 4 }).relax({ batch: 2, inputs, phase: 'free', start: { kind: 'given', states: again.states }, budget: { maxEvals: 1 } })
    assert.deepEqual([...fromReadings.settled], [0, 0])
  })

  it('defaults the full scale to the largest source-driven voltage, max(1, G, G A1, G A1 A2, ...)', () => {
    assert.equal(defaultReadoutRange(layered), 1)
    assert.equal(defaultReadoutRange({ ...layered, gain: { input: 0.5 } }), 1)
    assert.equal(defaultReadoutRange({ ...layered, gain: { input: 4 } }), 4)
    assert.equal(defaultReadoutRange({ ...layered, gain: { input: 2, layers: [3, 0.5] } }), 6)
  })

  it('reads an input-gain network with the wider default range', async () => {
    const net = withResistorGain(layered, { input: 4 })
    const r = await new SimResistorSubstrate(net, { readoutBits: 6 }).relax(free)
    const lsb = voltageLsb(6, 4)
    for (let k = 0; k < r.states.length; k++) if (!isInput(k % n)) assert.ok(Math.abs(r.states[k] / lsb - Math.round(r.states[k] / lsb)) < 1e-12)
  })
})

describe('SimResistorSubstrate: thermal noise (noise: {sigma, dt, time})', () => {
  it('is bit-identical to the noise-free simulator with every option off or at sigma 0', async () => {
    const plain = new SimResistorSubstrate(layered)
    const off = new SimResistorSubstrate(layered, { noise: { sigma: 0 }, noiseSeed: 7, readoutRange: 3, deviceSeed: 4 })
    for (const req of [free, { ...free, start: { kind: 'previous' as const } }]) {
      const a = await plain.relax(req), b = await off.relax(req)
      assert.deepEqual([...a.states], [...b.states])
      assert.deepEqual([...a.energy], [...b.energy])
      assert.deepEqual([...a.steps], [...b.steps])
    }
  })

  it('draws the same noise for the same random seed, whatever the batch chunking, and other noise for another seed', async () => {
    const o: SimResistorOptionsInput = { noise: { sigma: 0.05 } }
    const whole = await new SimResistorSubstrate(layered, o).relax({ batch: 4, inputs: Float64Array.of(...inputs, ...inputs), phase: 'free', start: { kind: 'random', seed: 11 } })
    const sub = new SimResistorSubstrate(layered, o)
    const first = await sub.relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 11 } })
    const second = await sub.relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 13 } })
    assert.deepEqual([...whole.states], [...first.states, ...second.states])
    const other = await new SimResistorSubstrate(layered, o).relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 12 } })
    assert.notDeepEqual([...other.states.subarray(0, n)], [...first.states.subarray(0, n)])
    // and it is noise: the states differ from the equilibrium, which the same sample without noise reaches
    const exact = await new SimResistorSubstrate(layered).relax({ batch: 2, inputs, phase: 'free', start: { kind: 'random', seed: 11 } })
    let moved = 0
    for (let k = 0; k < exact.states.length; k++) if (!isInput(k % n) && Math.abs(first.states[k] - exact.states[k]) > 1e-3) moved++
    assert.ok(moved >= 6, `only ${moved} free voltages moved`)
  })

  it("seeds 'given' starts from noiseSeed: same seed same noise, another seed other noise", async () => {
    const given = { batch: 1, inputs: inputs.subarray(0, 3), phase: 'free' as const, start: { kind: 'given' as const, states: new Float64Array(n) } }
    const a = await new SimResistorSubstrate(layered, { noise: { sigma: 0.05 }, noiseSeed: 1 }).relax(given)
    const b = await new SimResistorSubstrate(layered, { noise: { sigma: 0.05 }, noiseSeed: 1 }).relax(given)
    const c = await new SimResistorSubstrate(layered, { noise: { sigma: 0.05 }, noiseSeed: 2 }).relax(given)
    assert.deepEqual([...a.states], [...b.states])
    assert.notDeepEqual([...a.states], [...c.states])
  })

  it('reports the noise sweeps in steps, and unsettled samples when the sweep budget cuts the noise time', async () => {
    const exact = await new SimResistorSubstrate(layered).relax(free)
    const noisy = await new SimResistorSubstrate(layered, { noise: { sigma: 0.01, dt: 0.1, time: 5 } }).relax(free)
    assert.deepEqual([...noisy.steps], [...exact.steps].map((s) => s + 50))
    assert.deepEqual([...noisy.settled], [1, 1])
    const cut = await new SimResistorSubstrate(layered, { noise: { sigma: 0.01, dt: 0.1, time: 5 } }).relax({ ...free, budget: { maxEvals: 40 } })
    assert.deepEqual([...cut.settled], [0, 0])
  })

  it('keeps diode nodes on their side under noise', async () => {
    const r = await new SimResistorSubstrate(layered, { noise: { sigma: 0.3 } }).relax(free)
    const hidden = [...Array(n).keys()].filter((i) => !isInput(i) && !layered.outputs.includes(i))
    let atZero = 0
    for (let b = 0; b < 2; b++) hidden.forEach((i, h) => {
      const v = r.states[b * n + i]
      assert.ok(h % 2 === 0 ? v >= 0 : v <= 0, `hidden ${i} (${h % 2 === 0 ? 'V >= 0' : 'V <= 0'}) at ${v}`)
      if (v === 0) atZero++
    })
    assert.ok(atZero < 2 * hidden.length, 'every diode node sits at 0: the test would not see a sign error')
  })

  // one free node tied to a source x by g, with leak l: dV = -(g + l)(V - V*) dt + sigma dW, so V is
  // Gaussian around V* = g x / (g + l) with variance sigma^2 / (2 (g + l)). The per-node update is the
  // exact OU step, so this holds at any dt (Euler-Maruyama would give sigma^2 / ((g + l)(2 - (g + l) dt)),
  // 34% more at dt = 1).
  for (const dt of [0.05, 1]) {
    it(`gives one free node the stationary variance sigma^2 / (2 (g + leak)) at dt ${dt} (4000 samples)`, async () => {
      const g = 0.5, leak = 0.01, sigma = 0.1, x = 1, B = 4000
      const sub = new SimResistorSubstrate(chain([g]), { noise: { sigma, dt, time: 40 }, leak })
      const r = await sub.relax({ batch: B, inputs: new Float64Array(B).fill(x), phase: 'free', start: { kind: 'random', seed: 3 } })
      const m = moments(r.states, 2, 1, 1)
      const want = sigma * sigma / (2 * (g + leak))
      assert.ok(Math.abs(m.va / want - 1) < 0.07, `variance ${m.va} vs ${want}`)
      // mean within 4 standard errors of V*
      assert.ok(Math.abs(m.ma - g * x / (g + leak)) < 4 * Math.sqrt(want / B), `mean ${m.ma}`)
    })
  }

  it('samples the Boltzmann law exp(-2E/sigma^2) of a two-node chain: covariance (sigma^2 / 2) H^-1 (4000 samples)', async () => {
    // input -g1- hidden (diode V >= 0, sits near 0.66 V, far from 0 at this noise) -g2- output
    const g1 = 1, g2 = 1, leak = 0.01, sigma = 0.1, B = 4000
    const sub = new SimResistorSubstrate(chain([g1, g2]), { noise: { sigma }, leak })
    const r = await sub.relax({ batch: B, inputs: new Float64Array(B).fill(1), phase: 'free', start: { kind: 'random', seed: 5 } })
    const m = moments(r.states, 3, 1, 2)
    // H = [[g1 + g2 + l, -g2], [-g2, g2 + l]]
    const h11 = g1 + g2 + leak, h22 = g2 + leak, h12 = -g2, det = h11 * h22 - h12 * h12, T = sigma * sigma / 2
    const want = { va: T * h22 / det, vb: T * h11 / det, cab: -T * h12 / det }
    for (const k of ['va', 'vb', 'cab'] as const) assert.ok(Math.abs(m[k] / want[k] - 1) < 0.1, `${k}: ${m[k]} vs ${want[k]}`)
  })

  it('learns XOR on a layered 2-8-1 network under noise 0.02 and a 6-bit readout (3 of 3 seeds; chance is 50%)', async () => {
    const acc: number[] = []
    for (const seed of [0, 1, 2]) {
      const net = asModel(buildNetwork(parseBuilderString('layered:2,8,1:std=0.5'), { inputs: 2, outputs: 1 }, seed), 'resistor')
      // dt 0.25 (80 noise sweeps, not 400) keeps it CI-sized; the exact per-node step is stable at any dt
      const tr = new Trainer(new SimResistorSubstrate(net, { noise: { sigma: 0.02, dt: 0.25 }, readoutBits: 6 }), net, loadDataset('xor', seed),
        TrainConfig.parse({ epochs: 300, seed, batchSize: 4, evalEvery: 0, estimator: 'symmetric', beta: 0.5, optimiser: { kind: 'adam' }, lr: 0.05 }))
      acc.push((await tr.train())?.accuracy ?? 0)
    }
    assert.deepEqual(acc, [1, 1, 1])
  })
})

describe('resistor imperfections through the services and the CLI', () => {
  it('openSimulator passes readoutBits, readoutRange and noise to the resistor simulator', async () => {
    const sub = openSimulator(layered, { readoutBits: 3, readoutRange: 2, noise: { sigma: 0.05 } }) as SimResistorSubstrate
    const lsb = voltageLsb(3, 2)
    const r = await sub.relax(free)
    for (let k = 0; k < r.states.length; k++) if (!isInput(k % n)) assert.ok(Number.isInteger(r.states[k] / lsb), `${r.states[k]} off the 3-bit grid`)
    const quiet = await (openSimulator(layered, { readoutBits: 3, readoutRange: 2 }) as SimResistorSubstrate).relax({ ...free, budget: { maxEvals: 20_000 } })
    assert.ok(r.steps[0] > quiet.steps[0], 'no noise sweeps: the noise option did not arrive')
  })

  it('train --substrate resistor takes --readout-bits and --noise (exit 0, and a different trained network)', async () => {
    const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))
    const dir = mkdtempSync(join(tmpdir(), 'eqprop-resistor-imp-'))
    const run = (args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }))
    })
    const base = ['train', '--task', 'xor', '--network', 'layered:2,4,1', '--substrate', 'resistor', '--epochs', '3', '--eval-every', '0', '--json']
    const plain = await run([...base, '--out', join(dir, 'plain.json')])
    assert.equal(plain.code, 0, plain.stderr)
    const noisy = await run([...base, '--readout-bits', '4', '--noise', '0.05', '--out', join(dir, 'noisy.json')])
    assert.equal(noisy.code, 0, noisy.stderr)
    const w = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')).weights as number[]
    assert.notDeepEqual(w('noisy.json'), w('plain.json'))
  })
})
