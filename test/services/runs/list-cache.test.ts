// ListCache keeps GET /runs text until a write drops it, and never longer than its age limit.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ListCache } from '../../../src/services/runs/list-cache.ts'

describe('ListCache', () => {
  it('builds a key once, rebuilds after invalidate, and keeps keys apart', () => {
    const c = new ListCache(1e9)
    let builds = 0
    const build = (s: string) => () => { builds++; return s }
    assert.equal(c.get('a', build('A1')), 'A1')
    assert.equal(c.get('a', build('A2')), 'A1')
    assert.equal(c.get('b', build('B1')), 'B1')
    assert.equal(builds, 2)
    c.invalidate()
    assert.equal(c.get('a', build('A3')), 'A3')
    assert.equal(c.get('b', build('B2')), 'B2')
    assert.equal(builds, 4)
  })

  it('rebuilds an entry older than maxAgeMs (changes made by another process sharing the store)', () => {
    let t = 0
    const c = new ListCache(250, 64, () => t)
    assert.equal(c.get('k', () => 'old'), 'old')
    t = 250
    assert.equal(c.get('k', () => 'new'), 'old')
    t = 251
    assert.equal(c.get('k', () => 'new'), 'new')
  })

  it('holds at most maxEntries keys', () => {
    const c = new ListCache(1e9, 3)
    let builds = 0
    for (const k of ['a', 'b', 'c', 'd']) c.get(k, () => { builds++; return k })
    // the fourth key cleared the first three
    assert.equal(c.get('a', () => { builds++; return 'a2' }), 'a2')
    assert.equal(builds, 5)
  })
})
