// The C reference codec: built and run against the frozen vectors, fuzzed under ASan/UBSan, and its
// generated sources (and the other generated files) checked against the table.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { generateC } from '../../firmware-protocol/gen/gen-c.ts'
import { SPEC_PATH, withGenerated } from '../../firmware-protocol/gen/gen-doc.ts'
import { TS_OUT, generateTs } from '../../firmware-protocol/gen/gen-ts.ts'
import { TABLE } from '../../firmware-protocol/ts/table.ts'

const C_DIR = fileURLToPath(new URL('../../firmware-protocol/c', import.meta.url))
const HAS_GCC = spawnSync('gcc', ['--version']).status === 0
const NO_GCC = HAS_GCC ? false : 'gcc is not installed'

function make(target: string, ...vars: string[]): { status: number | null; out: string } {
  const r = spawnSync('make', ['-s', '-C', C_DIR, target, ...vars], { encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('C codec', () => {
  it('passes every frozen vector (make test)', { skip: NO_GCC }, () => {
    const r = make('test')
    assert.equal(r.status, 0, r.out)
    assert.match(r.out, /test_vectors: \d+ checks, 0 failures/)
  })

  it('survives random and mutated frames under ASan and UBSan with every bad frame counted (make fuzz)', { skip: NO_GCC }, () => {
    // 200,000 frames take about a second under the sanitizers: bounded, and far more than the vectors
    const r = make('fuzz', 'FUZZ_ITERS=200000', 'FUZZ_SEED=14')
    assert.equal(r.status, 0, r.out)
    assert.match(r.out, /fuzz: 200000 iterations/)
    assert.doesNotMatch(r.out, /FAIL|ERROR: AddressSanitizer|runtime error/)
  })
})

describe('generated files are up to date with messages.json and the vectors', () => {
  it('c/messages_gen.h, c/messages_gen.c and c/test/vectors_gen.h', () => {
    for (const [path, text] of generateC()) {
      assert.ok(readFileSync(path, 'utf8') === text, `${path} is stale: run node --import tsx firmware-protocol/gen/gen-c.ts`)
    }
  })

  it('ts/types-gen.ts', () => {
    assert.ok(readFileSync(TS_OUT, 'utf8') === generateTs(TABLE), 'types-gen.ts is stale: run node --import tsx firmware-protocol/gen/gen-ts.ts')
  })

  it('the reference section of SPEC.md', () => {
    const spec = readFileSync(SPEC_PATH, 'utf8')
    assert.ok(spec === withGenerated(spec), 'SPEC.md section 11 is stale: run node --import tsx firmware-protocol/gen/gen-doc.ts')
  })
})
