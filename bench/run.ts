// npm run bench: runs every bench/*.bench.ts in its own process (so one workload's heap and JIT
// state do not colour the next) and passes their JSON lines through. Optional args filter by name.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const filters = process.argv.slice(2)
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
let failed = 0
for (const f of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', dir + f], { stdio: 'inherit' })
  if (r.status !== 0) { failed++; process.stderr.write(`bench ${f} exited with ${r.status}\n`) }
}
process.exitCode = failed ? 1 : 0
