// ListCache keeps GET /runs text until a write drops it, and never longer than its age limit.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ListCache } from '../../../src/services/runs/list-cache.ts'

describe('ListCache', () => {
  it('builds a key once, rebuilds after invalidate, and keeps keys apart', async () => {
    const c = new ListCache(1e9)
    let builds = 0
    const build = (s: string) => () => { builds++; return s }
    assert.equal(await c.get('a', build('A1')), 'A1')
    assert.equal(await c.get('a', build('A2')), 'A1')
    assert.equal(await c.get('b', build('B1')), 'B1')
    assert.equal(builds, 2)
    c.invalidate()
    assert.equal(await c.get('a', build('A3')), 'A3')
    assert.equal(await c.get('b', build('B2')), 'B2')
    assert.equal(builds, 4)
  })

  it('rebuilds an entry older than maxAgeMs (changes made by another process sharing the store)', async () => {
    let t = 0
    const c = new ListCache(250, 64, () => t)
    assert.equal(await c.get('k', () => 'old'), 'old')
    t = 250
    assert.equal(await c.get('k', () => 'new'), 'old')
    t = 251
    assert.equal(await c.get('k', () => 'new'), 'new')
  })

  it('holds at most maxEntries keys', async () => {
    const c = new ListCache(1e9, 3)
    let builds = 0
    for (const k of ['a', 'b', 'c', 'd']) await c.get(k, () => { builds++; return k })
    // the fourth key cleared the first three
    assert.equal(await c.get('a', () => { builds++; return 'a2' }), 'a2')
    assert.equal(builds, 5)
  })

  it('concurrent callers share one build; a build overtaken by a write, or one that failed, is not kept', async () => {
    const c = new ListCache(1e9)
    let builds = 0
    let release!: (s: string) => void
    const slow = () => { builds++; return new Promise<string>((r) => { release = r }) }
    const p1 = c.get('k', slow), p2 = c.get('k', slow)
    await Promise.resolve() // the build starts on the next microtask
    assert.equal(builds, 1)
    c.invalidate() // a write lands while the list is being read
    release('stale')
    assert.equal(await p1, 'stale')
    assert.equal(await p2, 'stale')
    assert.equal(await c.get('k', () => { builds++; return 'fresh' }), 'fresh')
    assert.equal(builds, 2)
    await assert.rejects(c.get('e', () => { throw new Error('db down') }), /db down/)
    assert.equal(await c.get('e', () => 'ok'), 'ok')
  })
})
