// train and eval on a CSV file or an uploaded table, the best checkpoint beside the last network,
// `mnist` as a task name, and eval/grad as text; bad input exits 2 naming the field.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { DATASETS } from '../../src/core/data/index.ts'
import { Network } from '../../src/core/network/network.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { BIN, call, inProcessDaemon, tempDir } from '../support/daemon.ts'

const dir = tempDir('train-tasks')

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000, env: { ...process.env, EQP_DATA_DIR: join(dir, 'no-daemon'), ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

// two classes on either side of a line: 40 rows, the label in a column named 'cls'
const ROWS = Array.from({ length: 40 }, (_, i) => ({ u: ((i * 7) % 19) / 9 - 1, v: ((i * 11) % 17) / 8 - 1 })).map((r) => ({ ...r, cls: r.u + 0.5 * r.v > 0 ? 'right' : 'left' }))
const CSV = join(dir, 'halfplane.csv')
writeFileSync(CSV, 'u,v,cls\n' + ROWS.map((r) => `${r.u},${r.v},${r.cls}`).join('\n') + '\n')
const NET = 'all-to-all:5:std=0.7:bias=random'

describe('train and eval on your own data, with a best checkpoint', () => {
  it('trains on a CSV file and keeps the network of the best validation evaluation beside the last one', async () => {
    const out = join(dir, 'hp.json')
    const r = await run(['train', '--task', CSV, '--label', 'cls', '--network', NET, '--epochs', '12', '--eval-every', '2', '--val-fraction', '0.25',
      '--seed', '1', '--optimiser', 'adam', '--lr', '0.05', '--out', out, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const s = JSON.parse(r.stdout)
    assert.equal(s.task, 'halfplane')
    assert.equal(s.best.split, 'validation')
    assert.equal(s.best.out, join(dir, 'hp.best.json'))
    assert.ok(s.best.epoch >= 2 && s.best.epoch <= 12 && s.best.epoch % 2 === 0, `epoch ${s.best.epoch}`)
    Network.parse(JSON.parse(readFileSync(out, 'utf8')))
    Network.parse(JSON.parse(readFileSync(s.best.out, 'utf8')))
    // the reported test score of the best network is what eval measures on the same split
    const e = await run(['eval', '--network', s.best.out, '--task', CSV, '--label', 'cls', '--data-seed', '1', '--seed', '1', '--json'])
    assert.equal(e.code, 0, e.stderr)
    const m = JSON.parse(e.stdout)
    assert.equal(m.samples, 8)
    assert.ok(Math.abs(m.accuracy - s.best.test.accuracy) < 1e-12 && Math.abs(m.distance - s.best.test.distance) < 1e-9, `${JSON.stringify(m)} vs ${JSON.stringify(s.best.test)}`)
  })

  it('says on stdout where the best network went, and that a choice on the test split is optimistic', async () => {
    const r = await run(['train', '--task', CSV, '--label', 'cls', '--network', NET, '--epochs', '4', '--eval-every', '1', '--seed', '2', '--out', join(dir, 'hp2.json')])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^best test accuracy \d\.\d{3} \(D [\d.e+-]+\) at epoch [1-4]; written to .*hp2\.best\.json\n {2}\(chosen on the test split, so its score is optimistic/m)
    assert.ok(existsSync(join(dir, 'hp2.best.json')))
  })

  it('trains on a table uploaded to a daemon, read from its data directory', async () => {
    const dataDir = tempDir('train-upload')
    const d = await inProcessDaemon({ dataDir })
    try {
      const up = await call(d.url, 'POST', '/datasets', { name: 'hp-upload', rows: ROWS.map((r) => ({ features: [r.u, r.v], label: r.cls })) })
      assert.equal(up.status, 201, up.text)
      const r = await run(['train', '--task', 'hp-upload', '--data-dir', dataDir, '--network', NET, '--epochs', '2', '--seed', '1', '--out', join(dir, 'up.json'), '--json'])
      assert.equal(r.code, 0, r.stderr)
      const s = JSON.parse(r.stdout)
      assert.equal(s.task, 'hp-upload')
      assert.equal(s.test.accuracy >= 0 && s.test.accuracy <= 1, true)
    } finally {
      await d.close()
    }
    const missing = await run(['train', '--task', 'hp-upload', '--network', NET, '--epochs', '1'])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /EQP_ERR_BAD_INPUT: --task: unknown dataset 'hp-upload'; known: xor, iris, .*a path to a \.csv file \(no daemon database in .*give --data-dir/)
  })

  it('knows mnist as the MNIST task (digits)', () => {
    assert.deepEqual(DATASETS.mnist.sizes, DATASETS.digits.sizes)
    assert.deepEqual(DATASETS.mnist.load(3).train.label, DATASETS.digits.load(3).train.label)
  })

  it('prints eval and grad as text, and JSON with --json', async () => {
    const net = buildNetwork({ kind: 'all-to-all', nodes: 5, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 1 }, 4)
    const netFile = join(dir, 'net.json'), sample = join(dir, 'sample.json')
    writeFileSync(netFile, JSON.stringify(net))
    writeFileSync(sample, JSON.stringify({ x: [Math.PI / 2, -Math.PI / 2], target: [Math.PI / 2] }))
    const e = await run(['eval', '--network', netFile, '--task', 'xor'])
    assert.equal(e.code, 0, e.stderr)
    assert.match(e.stdout, /^xor test split, 4 samples: accuracy \d\.\d{3} {2}D [\d.e+-]+ {2}C [\d.e+-]+ {2}settled \d+\.\d%\n$/)
    const g = await run(['grad', '--network', netFile, '--sample', sample, '--beta', '1e-4', '--seed', '2'])
    assert.equal(g.code, 0, g.stderr)
    assert.match(g.stdout, /^5 nodes, 10 couplings; beta 0\.0001;/)
    assert.match(g.stdout, /^estimator\s+rel\. error\s+cosine\s+max \|diff\|$/m)
    const rows = [...g.stdout.matchAll(/^(one-sided|symmetric|frozen-nudge|richardson)\s+(\S+)\s+(\S+)\s+(\S+)$/gm)]
    assert.deepEqual(rows.map((m) => m[1]).sort(), ['frozen-nudge', 'one-sided', 'richardson', 'symmetric'])
    for (const m of rows) {
      assert.ok(Number(m[2]) < 1e-3, `${m[1]} relative error ${m[2]}`)
      assert.ok(Number(m[3]) > 0.999999, `${m[1]} cosine ${m[3]}`)
    }
  })

  for (const [name, args, pattern] of [
    ['a validation fraction above 0.5', ['--task', CSV, '--label', 'cls', '--val-fraction', '0.7'], /--val-fraction: 0\.7 is above the maximum 0\.5/],
    ['a label column the CSV lacks', ['--task', CSV, '--label', 'colour'], /EQP_ERR_BAD_INPUT: .*halfplane\.csv: --label: no column 'colour' in the header \(u, v, cls\)/],
    ['a CSV cell that is not a number', ['--task', join(dir, 'bad.csv')], /EQP_ERR_BAD_INPUT: .*bad\.csv: csv\.line 3: column 'x': 'zz' is not a finite number/],
    ['a CSV file that does not exist', ['--task', join(dir, 'nope.csv')], /EQP_ERR_FILE_READ: cannot read '.*nope\.csv': ENOENT/],
    ['--label on a built-in task', ['--task', 'iris', '--label', 'species'], /--task: 'iris' is not a \.csv file/],
  ] as const) {
    it(`train refuses ${name} with exit 2 naming the field`, async () => {
      writeFileSync(join(dir, 'bad.csv'), 'x,label\n1,a\nzz,b\n3,a\n')
      const r = await run(['train', ...args, '--network', NET, '--epochs', '1', '--out', join(dir, 'never.json')])
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, pattern)
      assert.ok(!existsSync(join(dir, 'never.json')))
    })
  }
})
