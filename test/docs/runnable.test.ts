// Runs every command block of the README and docs/ that is marked runnable, and checks that it learns
// what the text claims. A block is marked by an HTML comment on the line before its ```sh fence:
//
//   <!-- runnable: min-test-accuracy=0.9 contains="\"richardson\"" ci-epochs=20 -->
//
// min-test-accuracy: the last "test accuracy X" printed on stdout must be >= the value;
// contains: a JSON string that stdout must contain; ci-epochs: replaces every `--epochs N` (CI size).
// `npm ci` and `npm test` parts of a line are skipped (installing, and this suite itself). The blocks of
// one file run in order in one scratch directory, so a later block can read what an earlier one wrote.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'bin/eqprop-hil.js')

export interface RunnableBlock { file: string; line: number; commands: string[]; minTestAccuracy?: number; contains?: string; ciEpochs?: number }

/** The runnable blocks of one markdown text, with the options of their markers. */
export function runnableBlocks(file: string, text: string): RunnableBlock[] {
  const lines = text.split('\n')
  const out: RunnableBlock[] = []
  let fence = ''   // the open fence's backticks: a marker shown inside an example block does not count
  lines.forEach((l, i) => {
    const f = /^(`{3,})/.exec(l)
    if (f && (fence === '' || (f[1].length >= fence.length && l.trim() === f[1]))) { fence = fence === '' ? f[1] : ''; return }
    if (fence !== '') return
    const m = /^<!--\s*runnable(?::\s*(.*?))?\s*-->\s*$/.exec(l)
    if (!m) return
    assert.match(lines[i + 1] ?? '', /^```(sh|bash)\s*$/, `${file}:${i + 1}: a runnable marker must sit right above a \`\`\`sh block`)
    const end = lines.findIndex((x, k) => k > i + 1 && x.startsWith('```'))
    assert.ok(end > 0, `${file}:${i + 1}: the runnable block is not closed`)
    const block: RunnableBlock = { file, line: i + 1, commands: [] }
    for (const o of (m[1] ?? '').matchAll(/([a-z-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
      const [key, raw] = [o[1], o[2]]
      if (key === 'min-test-accuracy') block.minTestAccuracy = Number(raw)
      else if (key === 'contains') block.contains = JSON.parse(raw)
      else if (key === 'ci-epochs') block.ciEpochs = Number(raw)
      else assert.fail(`${file}:${i + 1}: unknown runnable option '${key}'`)
    }
    const body = lines.slice(i + 2, end).join('\n').replace(/\s*\\\n\s*/g, ' ')
    for (const line of body.split('\n')) {
      const parts = line.replace(/\s+#.*$/, '').split('&&').map((p) => p.trim()).filter((p) => p && !p.startsWith('#'))
      for (const p of parts) if (!/^npm (ci|test)\b/.test(p)) block.commands.push(p)
    }
    assert.ok(block.commands.length > 0, `${file}:${i + 1}: the runnable block has no command`)
    out.push(block)
  })
  return out
}

/** A command as the test runs it: this checkout's CLI instead of npx, epochs cut to CI size. */
function prepare(cmd: string, b: RunnableBlock): string {
  let c = cmd.replace(/^npx eqprop-hil\b/, `node ${JSON.stringify(BIN)}`)
  if (b.ciEpochs !== undefined) c = c.replace(/--epochs \d+/g, `--epochs ${b.ciEpochs}`)
  return c
}

/** A scratch directory that looks like the checkout (sources, examples, package.json) but keeps outputs. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eqp-docs-'))
  for (const name of ['package.json', 'bin', 'src', 'drivers', 'firmware-protocol', 'examples', 'node_modules', 'tsconfig.json']) {
    symlinkSync(join(ROOT, name), join(dir, name))
  }
  return dir
}

function sh(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd, timeout: 180_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

const docs = ['README.md', ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))]
const blocks = docs.flatMap((f) => runnableBlocks(f, readFileSync(join(ROOT, f), 'utf8')))

describe('runnable command blocks of the README and docs/', () => {
  it('the README marks its first-run commands runnable', () => {
    const readme = blocks.filter((b) => b.file === 'README.md')
    assert.ok(readme.some((b) => b.commands.includes('npm run demo')), 'npm run demo is not in a runnable README block')
    assert.ok(readme.length >= 3, `only ${readme.length} runnable README blocks`)
  })

  it('the marker parser reads options, continuations and skips installs', () => {
    const [b] = runnableBlocks('x.md', '<!-- runnable: min-test-accuracy=0.9 contains="\\"a\\":1" ci-epochs=5 -->\n```sh\nnpm ci && npx eqprop-hil train \\\n  --epochs 300   # comment\n```\n')
    assert.deepEqual(b.commands, ['npx eqprop-hil train --epochs 300'])
    assert.equal(b.minTestAccuracy, 0.9)
    assert.equal(b.contains, '"a":1')
    assert.deepEqual(runnableBlocks('y.md', '````\n<!-- runnable -->\n```sh\nfalse\n```\n````\n'), [], 'a marker inside an example block counts')
    assert.equal(prepare(b.commands[0], b), `node ${JSON.stringify(BIN)} train --epochs 5`)
  })

  for (const file of new Set(blocks.map((b) => b.file))) {
    it(`${file}: every runnable block exits 0 and learns what it claims`, async () => {
      const cwd = scratch()
      for (const b of blocks.filter((x) => x.file === file)) {
        const r = await sh(b.commands.map((c) => prepare(c, b)).join('\n'), cwd)
        const where = `${b.file}:${b.line}`
        assert.equal(r.code, 0, `${where} exited ${r.code}\n${r.stderr}`)
        if (b.minTestAccuracy !== undefined) {
          const acc = [...r.stdout.matchAll(/test accuracy ([0-9.]+)/g)].map((m) => Number(m[1]))
          assert.ok(acc.length > 0, `${where}: no "test accuracy" on stdout:\n${r.stdout}`)
          assert.ok(acc[acc.length - 1] >= b.minTestAccuracy, `${where}: test accuracy ${acc[acc.length - 1]} < ${b.minTestAccuracy}`)
        }
        if (b.contains !== undefined) assert.ok(r.stdout.includes(b.contains), `${where}: stdout lacks ${b.contains}:\n${r.stdout.slice(0, 2000)}`)
      }
    })
  }
})
