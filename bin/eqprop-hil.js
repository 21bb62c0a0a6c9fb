#!/usr/bin/env node
// Starts the compiled CLI in dist/ (`npm run build`, which `npm ci` runs through `prepare`), so no
// TypeScript is transpiled at run time. Falls back to the sources through tsx when dist/ is missing
// or older than a source file (a dev checkout between edits and a build), and says so on stderr.
// EQPROP_HIL_FROM_SOURCE=1 asks for the sources on purpose (the test suite does), without the note.
import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const compiled = root + 'dist/src/cli/main.js'

/** Newest modification time (ms) of the .ts files under the given folders of the package. */
function newestSource(dirs) {
  let newest = 0
  for (const d of dirs) {
    let entries
    try { entries = readdirSync(root + d, { recursive: true, withFileTypes: true }) } catch { continue }
    for (const e of entries) {
      if (!e.isFile() || !e.name.endsWith('.ts')) continue
      const t = statSync(`${e.parentPath ?? e.path}/${e.name}`).mtimeMs
      if (t > newest) newest = t
    }
  }
  return newest
}

/** Why dist/ cannot be used, or null when it is built and current. */
function staleReason() {
  let built
  try { built = statSync(compiled).mtimeMs } catch { return 'dist/ is not built' }
  return newestSource(['src', 'drivers', 'firmware-protocol/ts']) > built ? 'dist/ is older than the sources' : null
}

let main
const reason = process.env.EQPROP_HIL_FROM_SOURCE === '1' ? 'source' : staleReason()
if (reason === null) {
  ({ main } = await import(compiled))
} else {
  if (reason !== 'source') process.stderr.write(`eqprop-hil: ${reason} (npm run build); running the TypeScript sources through tsx\n`)
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src/cli/main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
