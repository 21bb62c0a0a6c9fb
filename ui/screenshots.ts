// Draws the dashboard pictures of docs/how-to/dashboard.md: a daemon on a temp folder with two
// simulated devices (two 4x4 lattices and a layered 4-8-3 network), Iris runs on both, and headless
// Chromium photographing the overview, a run page of each while it trains, and the comparison.
// Run: node --import tsx ui/screenshots.ts [outDir]   (default docs/img; needs /usr/bin/chromium)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { ServeConfig } from '../src/api/config.ts'
import { startDaemon } from '../src/api/daemon.ts'
import { buildUi } from './build.ts'

const out = process.argv[2] ?? fileURLToPath(new URL('../docs/img/', import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'eqprop-shots-'))
const uiDir = await buildUi(join(tmp, 'ui'))
const d = await startDaemon({ ...ServeConfig.parse({ port: 0, relaxRate: 0, logLevel: 'silent', uiDir }), dataDir: join(tmp, 'data') })
const post = async (path: string, body?: unknown) => {
  const r = await fetch(d.url + path, body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`)
  return r.json() as Promise<{ id: string }>
}
const HP = { task: 'iris', seed: 1, optimiser: { kind: 'adam' }, batchSize: 16 }
try {
  await post('/devices', { kind: 'sim-xy', name: 'lattice 4x4', builder: 'lattice:4x4', task: 'iris', seed: 1 })
  await post('/devices', { kind: 'sim-xy', name: 'lattice 4x4 (twin)', builder: 'lattice:4x4', task: 'iris', seed: 1 })
  await post('/devices', { kind: 'sim-xy', name: 'layered 4-8-3', builder: 'layered:4,8,3', task: 'iris', seed: 1 })
  // two finished runs from the same start with two learning rates, to compare; then a long one on a
  // lattice and one on the layered network, photographed while they train
  await post('/runs', { device: 'dev-1', ...HP, lr: 0.05, epochs: 15, label: 'lr 0.05' })
  await post('/runs', { device: 'dev-2', ...HP, lr: 0.01, epochs: 15, label: 'lr 0.01' })
  await d.services.runs.idle('run-1'); await d.services.runs.idle('run-2')
  await post('/runs', { device: 'dev-1', ...HP, lr: 0.02, epochs: 200, label: 'long' })
  await post('/runs', { device: 'dev-3', ...HP, lr: 0.02, epochs: 200, label: 'layered' })
  const ctx = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const page = await ctx.newPage()
  const shot = async (hash: string, name: string, waitMs: number) => {
    await page.goto(`${d.url}/${hash}`)
    await page.waitForTimeout(waitMs)
    await page.screenshot({ path: join(out, name), fullPage: true })
    process.stdout.write(`${join(out, name)}\n`)
  }
  await shot('#/runs/run-3', 'dashboard-run-lattice.png', 6000)
  await shot('#/runs/run-4', 'dashboard-run-layered.png', 4000)
  await shot('#/', 'dashboard-overview.png', 2500)
  await shot('#/compare/run-1/run-2', 'dashboard-compare.png', 2500)
  await ctx.close()
  for (const id of ['run-3', 'run-4']) await post(`/runs/${id}/cancel`)
} finally {
  await d.close()
  rmSync(tmp, { recursive: true, force: true })
}
