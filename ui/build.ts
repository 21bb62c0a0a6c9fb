// Bundles the dashboard (ui/src) into one script and one stylesheet with esbuild, plus index.html,
// into dist/ui (git-ignored), which the daemon serves at /. Run by `npm run build:ui`.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const HERE = fileURLToPath(new URL('.', import.meta.url))
/** dist/ui at the package root: where the daemon looks by default. */
export const UI_OUT_DIR = join(HERE, '..', 'dist', 'ui')

/** Writes index.html, app.js and app.css into outDir (replacing what was there); returns outDir. */
export async function buildUi(outDir: string = UI_OUT_DIR, opts: { minify?: boolean } = {}): Promise<string> {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  await build({
    entryPoints: { app: join(HERE, 'src', 'main.tsx') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    // browsers of the last few years; the page uses fetch streams and ES2020 syntax
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: opts.minify ?? true,
    sourcemap: false,
    legalComments: 'linked',
    logLevel: 'warning',
  })
  copyFileSync(join(HERE, 'src', 'index.html'), join(outDir, 'index.html'))
  return outDir
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildUi(process.argv[2] ?? UI_OUT_DIR)
  process.stdout.write(`dashboard bundle written to ${out}\n`)
}
