import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { inProcessDaemon, tempDir } from '../support/daemon.ts'

describe('dashboard route', () => {
  describe('without a bundle', () => {
    let d: Daemon
    before(async () => { d = await inProcessDaemon({ uiDir: join(tempDir('no-ui'), 'missing') }) })
    after(async () => { await d.close() })

    it('answers / with a page that says to run npm run build:ui, and the API still works', async () => {
      const r = await d.app.inject({ method: 'GET', url: '/' })
      assert.equal(r.statusCode, 503)
      assert.match(r.headers['content-type'] as string, /^text\/html/)
      assert.match(r.body, /npm run build:ui/)
      assert.equal((await d.app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
      assert.equal((await d.app.inject({ method: 'GET', url: '/ui/app.js' })).statusCode, 404)
    })
  })

  describe('with a bundle', () => {
    let d: Daemon
    let dir: string
    before(async () => {
      dir = tempDir('ui')
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>dash</title>')
      writeFileSync(join(dir, 'app.js'), 'console.log(1)')
      writeFileSync(join(dir, 'notes.txt'), 'not a bundle file')
      mkdirSync(join(dir, 'sub'))
      writeFileSync(join(dir, 'sub', 'x.js'), 'nested')
      d = await inProcessDaemon({ uiDir: dir, tokens: [{ name: 'lab', token: 'lab-secret-token' }] })
    })
    after(async () => { await d.close() })

    it('serves index.html at / without a token (the page asks for it), with a same-origin content policy', async () => {
      const r = await d.app.inject({ method: 'GET', url: '/' })
      assert.equal(r.statusCode, 200)
      assert.equal(r.body, '<!doctype html><title>dash</title>')
      assert.match(r.headers['content-type'] as string, /^text\/html/)
      assert.match(r.headers['content-security-policy'] as string, /default-src 'self'/)
    })

    it('serves the bundle files by name with their types', async () => {
      const r = await d.app.inject({ method: 'GET', url: '/ui/app.js' })
      assert.equal(r.statusCode, 200)
      assert.equal(r.body, 'console.log(1)')
      assert.match(r.headers['content-type'] as string, /^text\/javascript/)
    })

    it('serves nothing else: other types, subfolders, parent paths and unknown names are 404', async () => {
      for (const url of ['/ui/notes.txt', '/ui/sub', '/ui/sub/x.js', '/ui/..%2Fpackage.json', '/ui/%2E%2E%2Fpackage.json', '/ui/nope.js']) {
        const r = await d.app.inject({ method: 'GET', url })
        assert.equal(r.statusCode, 404, url)
        assert.equal(r.json().code, 'EQP_ERR_ROUTE_NOT_FOUND', url)
      }
    })

    it('serves a bundle built while the daemon runs', async () => {
      writeFileSync(join(dir, 'later.css'), 'body{}')
      const r = await d.app.inject({ method: 'GET', url: '/ui/later.css' })
      assert.equal(r.statusCode, 200)
      assert.match(r.headers['content-type'] as string, /^text\/css/)
    })
  })
})
