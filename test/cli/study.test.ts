// eqprop-hil study end to end (the real binary): the table files and figures, one JSON per run, bad configs, and
// the per-epoch pictures of `train --plots-every`.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/eqprop-hil.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'eqprop-study-'))

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

const write = (name: string, value: unknown) => {
  const p = join(dir, name)
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value))
  return p
}

/** Width and height from a PNG's IHDR chunk, after checking the 8-byte signature. */
function pngSize(b: Buffer): { width: number; height: number } {
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature')
  assert.equal(b.subarray(12, 16).toString('latin1'), 'IHDR')
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
}

const TINY = {
  name: 'tiny',
  entries: [
    { label: 'a2a6', network: 'all-to-all:6:std=0.7:bias=random', task: 'xor', epochs: 5, seeds: 2, batchSize: 4, mInit: 2, target: { metric: 'distance', value: 0.3 } },
    { label: 'lat3', network: 'lattice:3x3', task: 'xor', epochs: 4, seeds: [3, 5], batchSize: 4, optimiser: 'adam', lr: 0.01, estimator: 'frozen-nudge', target: { metric: 'test_acc', value: 0.75 } },
  ],
}

describe('eqprop-hil study', () => {
  it('trains 2 entries x 2 seeds and writes results.md, results.csv and one JSON per run', async () => {
    const out = join(dir, 'tiny')
    const r = await run(['study', '--config', write('tiny.json', TINY), '--out', out])
    assert.equal(r.code, 0, r.stderr)
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n').map((l) => l.split(','))
    const head = csv[0]
    assert.deepEqual(head.slice(0, 6), ['label', 'network', 'task', 'couplings', 'parameters', 'seeds'])
    assert.equal(csv.length, 3, 'a header and one row per entry')
    const row = (label: string) => Object.fromEntries(head.map((h, k) => [h, csv.find((c) => c[0] === label)![k]]))
    const a = row('a2a6'), l = row('lat3')
    // all-to-all:6: 15 couplings + 2 x 6 bias values; 3x3 lattice: 12 bonds + 2 x 9
    assert.deepEqual([a.couplings, a.parameters, a.seeds, a.target_metric], ['15', '27', '2', 'distance'])
    assert.deepEqual([l.couplings, l.parameters, l.seeds, l.target_metric], ['12', '30', '2', 'test_acc'])
    // the per-run files carry what the table aggregates
    const runs = ['a2a6-seed0', 'a2a6-seed1', 'lat3-seed3', 'lat3-seed5'].map((f) => JSON.parse(readFileSync(join(out, `${f}.json`), 'utf8')))
    for (const x of runs) {
      assert.ok(x.test.accuracy >= 0 && x.test.accuracy <= 1)
      assert.equal(x.epochs, x.label === 'a2a6' ? 5 : 4)
    }
    const mean = (runs[2].test.accuracy + runs[3].test.accuracy) / 2
    assert.equal(Number(l.test_acc_mean), Number(mean.toFixed(4)))
    const reached = runs.slice(0, 2).filter((x) => x.epochsToTarget !== null).length / 2
    assert.equal(Number(a.reached_fraction), reached)
    const md = readFileSync(join(out, 'results.md'), 'utf8')
    assert.match(md, /^# tiny\n/)
    assert.match(md, /\| a2a6 \| `all-to-all:6:std=0\.7:bias=random` \| xor \| 15 \| 27 \| 2 \|/)
    assert.match(md, /\| lat3 \| `lattice:3x3` \| xor \| 12 \| 30 \| 2 \|/)
    assert.equal(r.stdout.startsWith('# tiny'), true, 'the table is printed too')
    // the figures beside the table, named on stdout (a D target and a test-accuracy target: all five)
    assert.match(r.stdout, /written: .*results\.csv, reached\.png, epochs\.png, accuracy\.png, distance\.png, curves\.png and 4 run files/)
    for (const f of ['reached', 'epochs', 'accuracy', 'distance', 'curves']) {
      const s = pngSize(readFileSync(join(out, `${f}.png`)))
      assert.ok(s.width >= 400 && s.height >= 250, `${f}: ${s.width}x${s.height}`)
    }
  })

  it('resumes: unchanged runs are read back, changed entries retrain, --fresh retrains all; ETA and partial tables', async () => {
    const out = join(dir, 'resume')
    const cfg = { name: 'resume', entries: [{ ...TINY.entries[0], seeds: 2 }] }
    const first = await run(['study', '--config', write('resume.json', cfg), '--out', out, '--workers', '1'])
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stderr, /\[1\/2\] a2a6 seed 0: .*; ETA \d+/)
    // mark a finished run: a resumed study must keep it as it is
    const f0 = join(out, 'a2a6-seed0.json')
    const marked = { ...JSON.parse(readFileSync(f0, 'utf8')), wallS: 12345 }
    writeFileSync(f0, JSON.stringify(marked))
    const again = await run(['study', '--config', write('resume.json', cfg), '--out', out, '--workers', '1'])
    assert.equal(again.code, 0, again.stderr)
    assert.doesNotMatch(again.stderr, /\] a2a6 seed/, 'nothing retrained')
    assert.equal(JSON.parse(readFileSync(f0, 'utf8')).wallS, 12345)
    assert.match(readFileSync(join(out, 'results.csv'), 'utf8'), /12345/)
    // a changed setting retrains that entry
    const changed = { name: 'resume', entries: [{ ...cfg.entries[0], lr: 0.05 }] }
    const re = await run(['study', '--config', write('resume2.json', changed), '--out', out, '--workers', '1'])
    assert.equal(re.code, 0, re.stderr)
    assert.match(re.stderr, /\[2\/2\] a2a6 seed 1/)
    assert.notEqual(JSON.parse(readFileSync(f0, 'utf8')).wallS, 12345)
    writeFileSync(f0, JSON.stringify({ ...JSON.parse(readFileSync(f0, 'utf8')), wallS: 12345 }))
    const fresh = await run(['study', '--config', write('resume2.json', changed), '--out', out, '--workers', '1', '--fresh'])
    assert.equal(fresh.code, 0, fresh.stderr)
    assert.notEqual(JSON.parse(readFileSync(f0, 'utf8')).wallS, 12345)
    assert.doesNotMatch(readFileSync(join(out, 'results.md'), 'utf8'), /Partial/, 'a finished study has a whole table')
  })

  it('writes a partial table while a study runs', async () => {
    const { runStudy } = await import('../../src/services/study/run.ts')
    const { parseStudyConfig } = await import('../../src/services/study/config.ts')
    const out = join(dir, 'partial')
    const seen: string[] = []
    await runStudy(parseStudyConfig({ name: 'partial', entries: [{ ...TINY.entries[0], seeds: 2 }] }, 'partial'), {
      outDir: out, workers: 1, onRun: () => { seen.push(readFileSync(join(out, 'results.md'), 'utf8')) },
    })
    assert.match(seen[0], /Partial: 1 of 2 runs finished/)
    assert.match(seen[0], /\| a2a6 \| .* \| 1 \|/)
    assert.doesNotMatch(seen[1], /Partial/)
  })

  it('a bad config exits with code 2 and names the field', async () => {
    const bad = { name: 'bad', entries: [{ ...TINY.entries[0], lr: -1 }] }
    const r = await run(['study', '--config', write('bad.json', bad), '--out', join(dir, 'bad')])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /EQP_ERR_BAD_INPUT: .*bad\.json: entries\.0\.lr: /)
    assert.equal(existsSync(join(dir, 'bad')), false, 'nothing is written')
    const r2 = await run(['study', '--config', write('bad2.json', { name: 'x', entries: [{ ...TINY.entries[1], network: 'lattice:3' }] })])
    assert.equal(r2.code, 2)
    assert.match(r2.stderr, /entries\.0\.network: bad network string 'lattice:3'/)
    const r3 = await run(['study', '--config', write('bad3.json', { name: 'x', entries: [{ ...TINY.entries[1], seeds: 'two' }] })])
    assert.equal(r3.code, 2)
    assert.match(r3.stderr, /entries\.0\.seeds: /)
  })

  it('train --plots-every K writes phases, couplings and response pictures for every K-th epoch', async () => {
    const plots = join(dir, 'plots')
    const r = await run(['train', '--task', 'xor', '--network', 'lattice:3x3', '--epochs', '4', '--plots', plots, '--plots-every', '2', '--out', join(dir, 'net.json')])
    assert.equal(r.code, 0, r.stderr)
    for (const e of [2, 4]) {
      for (const name of ['phases', 'couplings', 'response']) {
        const s = pngSize(readFileSync(join(plots, `epoch-${e}`, `${name}.png`)))
        assert.ok(s.width > 0 && s.height > 0)
      }
    }
    assert.equal(existsSync(join(plots, 'epoch-1')), false, 'only every 2nd epoch')
    assert.equal(existsSync(join(plots, 'epoch-3')), false)
    const bad = await run(['train', '--task', 'xor', '--network', 'lattice:3x3', '--epochs', '2', '--plots-every', '1'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--plots-every needs --plots DIR/)
  })
})
