// The compiled CLI (dist/, what `npm ci` builds through `prepare` and bin/eqprop-hil.js runs): built
// here when missing or older than the sources, then driven end to end, so the build cannot rot while
// every other test runs the sources through tsx.
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(ROOT, 'bin', 'eqprop-hil.js')
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js')
const dir = mkdtempSync(join(tmpdir(), 'eqprop-compiled-'))

function newestSource(): number {
  let t = 0
  for (const d of ['src', 'drivers', 'firmware-protocol/ts']) {
    for (const e of readdirSync(join(ROOT, d), { recursive: true, withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.ts')) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs)
    }
  }
  return t
}

function builtAt(): number {
  try { return statSync(MAIN).mtimeMs } catch { return -1 }
}

/** Runs the real binary with no request for the sources, so it must take dist/. */
function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env }
  delete env.EQPROP_HIL_FROM_SOURCE
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

describe('compiled CLI (dist/)', () => {
  before(() => {
    if (builtAt() < newestSource()) execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', timeout: 300_000 })
    assert.ok(builtAt() >= newestSource(), 'dist/ is built and current')
  })

  it('--help answers from dist without falling back to tsx', async () => {
    const r = await run(['--help'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^eqprop-hil: Equilibrium Propagation/)
    assert.match(r.stdout, /train\s+train a network/)
    assert.equal(r.stderr, '', 'no tsx fallback note')
    const t = await run(['train', '--help'])
    assert.equal(t.code, 0, t.stderr)
    assert.match(t.stdout, /--workers N/)
  })

  it('trains XOR through dist on two compiled worker threads and writes the network', async () => {
    const out = join(dir, 'xor.json')
    const r = await run(['train', '--task', 'xor', '--network', 'all-to-all:5', '--epochs', '2', '--seed', '3', '--workers', '2', '--json', '--out', out])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /tsx/)
    const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
    assert.equal(s.task, 'xor')
    assert.equal(s.epochs, 2)
    assert.equal(s.couplings, 10)
    assert.ok(s.force_evals > 0)
    assert.ok(s.test.accuracy >= 0 && s.test.accuracy <= 1)
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).edges.length, 10)
  })

  it('runs a study on compiled worker threads', async () => {
    const cfg = join(dir, 'study.json')
    writeFileSync(cfg, JSON.stringify({ name: 'tiny', entries: [{ label: 'a', network: 'all-to-all:4', task: 'xor', epochs: 1, seeds: 2, batchSize: 4 }] }))
    const r = await run(['study', '--config', cfg, '--out', join(dir, 'study'), '--workers', '2', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(readFileSync(join(dir, 'study', 'results.csv'), 'utf8').trim().split('\n').length, 2)
  })

  it('bad input from dist is still `code: message` and exit 2', async () => {
    const r = await run(['train', '--task', 'xor', '--network', join(dir, 'missing.json')])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /EQP_ERR_FILE_READ.*ENOENT/)
  })

  it('run-time assets resolve from dist: the package version and the firmware sources', async () => {
    const daemon = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'api', 'daemon.js')).href) as { softwareVersions(): Record<string, string> }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    assert.equal(daemon.softwareVersions()['eqprop-hil'], pkg.version)
    const boards = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'services', 'boards.js')).href) as { FIRMWARE_BINARY: string }
    assert.equal(boards.FIRMWARE_BINARY, join(ROOT, 'firmware-protocol', 'c', 'build', 'eqp-board'))
    const table = await import(pathToFileURL(join(ROOT, 'dist', 'firmware-protocol', 'ts', 'table.js')).href) as { MESSAGES_BY_NAME: ReadonlyMap<string, unknown> }
    const raw = JSON.parse(readFileSync(join(ROOT, 'firmware-protocol', 'messages.json'), 'utf8')) as { messages: unknown[] }
    assert.equal(table.MESSAGES_BY_NAME.size, raw.messages.length, 'messages.json travels into dist')
  })
})
