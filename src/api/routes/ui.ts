// The dashboard: GET / answers the bundle's index.html and GET /ui/<file> its scripts and styles, read
// from the folder `npm run build:ui` writes. The bundle is optional: without it / explains how to
// build it instead of failing, and the API works as before.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { extname, join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { EqpError } from '../../errors.ts'
import { PACKAGE_ROOT } from '../../package-root.ts'

/** Where `npm run build:ui` writes the bundle: dist/ui at the package root (from source and compiled alike). */
export const DEFAULT_UI_DIR = join(PACKAGE_ROOT, 'dist', 'ui')

export interface UiRouteOptions { dir: string }

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

// same-origin only; uPlot positions its cursor and legend with inline styles
const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

const MISSING = `<!doctype html><html><head><meta charset="utf-8"><title>eqprop-hil: dashboard not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The dashboard is not built</h1>
<p>This daemon found no dashboard bundle. Run <code>npm run build:ui</code> in the eqprop-hil folder, then reload this page
(no restart needed).</p>
<p>The API works without it: <a href="/docs">/docs</a> lists every route.</p>
</body></html>
`

/** The files of the bundle folder by name (flat: esbuild writes no subfolders); empty when it is missing. */
function bundleFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  let names: string[]
  try { names = readdirSync(dir) } catch { return out }
  for (const n of names) {
    const p = join(dir, n)
    if (TYPES[extname(n)] && statSync(p).isFile()) out.set(n, p)
  }
  return out
}

/** Whether dir holds a built dashboard (its index.html). */
export function uiBuilt(dir: string): boolean {
  return bundleFiles(dir).has('index.html')
}

export const uiRoutes: FastifyPluginAsync<UiRouteOptions> = async (app, { dir }) => {
  // listed per request, so a bundle built while the daemon runs is served at once; only names in the
  // listing are ever read, so a request path never reaches the file system
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    const index = bundleFiles(dir).get('index.html')
    if (!index) return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(MISSING)
    return reply.type(TYPES['.html']).header('cache-control', 'no-cache').header('content-security-policy', CSP).send(readFileSync(index))
  })

  app.get('/ui/:file', { schema: { hide: true } }, async (req, reply) => {
    const name = (req.params as { file: string }).file
    const path = bundleFiles(dir).get(name)
    if (!path) throw new EqpError('EQP_ERR_ROUTE_NOT_FOUND', ['GET', `/ui/${name}`])
    return reply.type(TYPES[extname(name)]).header('cache-control', 'no-cache').send(readFileSync(path))
  })
}
