// The study configs shipped in examples/ must stay runnable as the schemas and builders change: each
// parses, names known tasks, and its networks build for those tasks.
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { entrySeeds, readStudyConfig } from '../../src/services/study/config.ts'
import { networkFromArg } from '../../src/services/networks.ts'
import { loadTask } from '../../src/services/training.ts'

const dir = fileURLToPath(new URL('../../examples/', import.meta.url))
const files = readdirSync(dir).filter((f) => /^study-.*\.json$/.test(f)).sort()

describe('examples/study-*.json', () => {
  it('ships the XOR lattice, Iris size, MNIST and quick studies', () => {
    assert.deepEqual(files, ['study-iris-size.json', 'study-mnist.json', 'study-quick.json', 'study-xor-lattice.json'])
  })
  for (const f of files) {
    it(`${f} parses and every network builds for its task`, () => {
      const cfg = readStudyConfig(dir + f)
      assert.ok(cfg.entries.length >= 3, `${cfg.entries.length} entries`)
      assert.equal(new Set(cfg.entries.map((e) => e.label)).size, cfg.entries.length, 'labels are unique')
      for (const e of cfg.entries) {
        assert.ok(entrySeeds(e).length >= 1)
        const data = loadTask(e.task, 0)
        const net = networkFromArg(e.network, { inputs: data.nIn, outputs: data.nOut }, 0)
        assert.equal(net.inputs.length, data.nIn, `${e.label}: inputs`)
        assert.equal(net.outputs.length, data.nOut, `${e.label}: outputs`)
      }
    })
  }
})

const paperDir = fileURLToPath(new URL('../../examples/paper/', import.meta.url))

describe('examples/paper/ (one study per paper figure)', () => {
  const paper = readdirSync(paperDir).filter((f) => f.endsWith('.json')).sort()
  it('ships the XOR 15x15 (and its training recipe), Iris size, MNIST hidden-layer (and its CI-scale cut), fixed-T, accuracy and full Fashion-MNIST studies', () => {
    assert.deepEqual(paper, ['a-xor-15x15-ci.json', 'a-xor-15x15-recipe.json', 'a-xor-15x15.json', 'c-iris-size.json', 'd-mnist-hidden-ci.json', 'd-mnist-hidden.json', 'e-fixed-t-hypothesis.json', 'f-accuracy.json', 'f-fashion-oim.json', 'f-fashion-resistor.json'])
  })
  for (const f of paper) {
    it(`${f} parses and every network builds for its task`, () => {
      const cfg = readStudyConfig(paperDir + f)
      for (const e of cfg.entries) {
        const data = loadTask(e.task, 0)
        const net = networkFromArg(e.network, { inputs: data.nIn, outputs: data.nOut }, 0)
        assert.equal(net.inputs.length, data.nIn, `${e.label}: inputs`)
        assert.equal(net.outputs.length, data.nOut, `${e.label}: outputs`)
      }
    })
  }
  it('a study entry trains the substrate it names, with its input values, and refuses input values on XY', async () => {
    const { runStudySeed, entryKey } = await import('../../src/services/study/run.ts')
    const { StudyEntry } = await import('../../src/services/study/config.ts')
    const base = { label: 'x', network: 'layered:4,6,3', task: 'iris', epochs: 2, seeds: 1, evalEvery: 0, optimiser: 'adam', lr: 0.02 }
    const oim = StudyEntry.parse({ ...base, substrate: 'oim', inputValues: 'unit' })
    assert.notEqual(entryKey(oim), entryKey(StudyEntry.parse(base)), 'the substrate is part of the fingerprint')
    const run = await runStudySeed(oim, 0)
    assert.ok(run.test !== null && run.test.accuracy >= 0 && run.test.accuracy <= 1)
    assert.equal(run.nodes, 13)
    await assert.rejects(runStudySeed(StudyEntry.parse({ ...base, inputValues: 'unit' }), 0), (e: Error & { code?: string }) => e.code === 'EQP_ERR_BAD_INPUT' && /inputValues/.test(e.message))
  })
  it('the XOR study compares converged equilibria with reference dynamics for every lattice, 100 initialisations each', () => {
    const cfg = readStudyConfig(paperDir + 'a-xor-15x15.json')
    const kinds = new Set(cfg.entries.map((e) => e.label.replace(/-(converged|reference)$/, '')))
    for (const k of kinds) {
      const pair = cfg.entries.filter((e) => e.label.startsWith(k + '-'))
      assert.deepEqual(pair.map((e) => e.dynamics).sort(), ['converged', 'reference'], k)
      for (const e of pair) assert.equal(entrySeeds(e).length, 100)
    }
    assert.ok(kinds.size >= 4, 'n4, n8, skip and stacked lattices')
  })
  it('the CI-scale XOR study is the full one on seeds 0 and 1 for 150 epochs', () => {
    const full = readStudyConfig(paperDir + 'a-xor-15x15.json').entries, ci = readStudyConfig(paperDir + 'a-xor-15x15-ci.json').entries
    assert.equal(ci.length, full.length)
    ci.forEach((e, k) => {
      const { seeds, epochs, ...rest } = e
      const { seeds: _s, epochs: _e, ...fullRest } = full[k]
      assert.deepEqual(rest, fullRest, e.label)
      assert.deepEqual([entrySeeds(e), epochs], [[0, 1], 150])
    })
  })
  it('the CI-scale MNIST study is the full one with only the documented cuts', () => {
    const full = readStudyConfig(paperDir + 'd-mnist-hidden.json').entries, ci = readStudyConfig(paperDir + 'd-mnist-hidden-ci.json').entries
    // cut: the two-layer entry (no bipartite split for eliminate; fire-newton too slow here), the data, epochs, seeds, target
    assert.deepEqual(ci.map((e) => e.label), full.filter((e) => !e.network.includes(',c8k3s1')).map((e) => e.label))
    for (const e of ci) {
      const f = full.find((x) => x.label === e.label)!
      const cut = ['solver', 'trainPerClass', 'testPerClass', 'epochs', 'seeds', 'target'] as const
      const rest = (x: typeof e) => Object.fromEntries(Object.entries(x).filter(([k]) => !(cut as readonly string[]).includes(k)))
      assert.deepEqual(rest(e), rest(f), e.label)
      assert.deepEqual([e.solver, e.trainPerClass, e.testPerClass, e.epochs, entrySeeds(e).length, e.target?.value], ['eliminate', 300, 100, 3, 3, 0.8])
    }
  })
  it("the 15x15 recipe keeps the paper's task settings: its sites, beta 0.1, M_init 5 averaged, 100 initialisations", () => {
    for (const e of readStudyConfig(paperDir + 'a-xor-15x15-recipe.json').entries) {
      assert.match(e.network, /^lattice:15x15:.*in=6,6;7,10:out=10,8/)
      assert.equal(e.beta, 0.1)
      assert.equal(e.mInit, 5)
      assert.notEqual(e.mInitSelect, 'lowest')
      assert.equal(entrySeeds(e).length, 100)
    }
  })
})
