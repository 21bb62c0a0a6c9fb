// The dashboard's pure parts, in Node: time left from step samples, and where nodes go on a map.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { absMax, signedColour } from '../../ui/src/colours.ts'
import { formatDuration, StepRate } from '../../ui/src/eta.ts'
import { nodePositions } from '../../ui/src/network-map.tsx'
import { linkHealth } from '../../ui/src/overview.tsx'

describe('StepRate', () => {
  it('estimates time left from the steps done over the window', () => {
    const r = new StepRate()
    assert.equal(r.etaS(0, 100), null)
    r.add(0, 10)
    r.add(2000, 30)
    assert.equal(r.rate(), 10)
    assert.equal(r.etaS(30, 100), 7)
  })

  it('starts afresh when the step goes back (a resumed run from a checkpoint) and after reset', () => {
    const r = new StepRate()
    r.add(0, 50); r.add(1000, 60)
    r.add(2000, 40)
    assert.equal(r.rate(), null)
    r.add(3000, 44)
    assert.equal(r.rate(), 4)
    r.reset()
    assert.equal(r.etaS(44, 100), null)
  })

  it('keeps only the last samples, so the rate follows a change of speed', () => {
    const r = new StepRate(3)
    r.add(0, 0); r.add(1000, 100); r.add(2000, 110); r.add(3000, 120)
    assert.equal(r.rate(), 10)
  })
})

describe('formatDuration', () => {
  it('writes hours, minutes or seconds, and a dash for unknown', () => {
    assert.equal(formatDuration(null), '—')
    assert.equal(formatDuration(12.4), '12 s')
    assert.equal(formatDuration(200), '3 min 20 s')
    assert.equal(formatDuration(3900), '1 h 05 min')
  })
})

describe('nodePositions', () => {
  it('puts lattice node r*cols+c at row r, column c', () => {
    const p = nodePositions({ nodes: 6, edges: [], inputs: [0], layout: { kind: 'grid', rows: 2, cols: 3 } })
    assert.deepEqual(p[5], { x: 2.5 / 3, y: 0.75 })
    assert.deepEqual(p[1], { x: 1.5 / 3, y: 0.25 })
  })

  it('puts a layered network in columns by distance from the inputs, unreached nodes last', () => {
    // 0,1 inputs -> 2 hidden -> 3 output; 4 is connected to nothing
    const p = nodePositions({ nodes: 5, edges: [[0, 2], [1, 2], [2, 3]], inputs: [0, 1], layout: null })
    assert.deepEqual(p.map((q) => q.x), [0.125, 0.125, 0.375, 0.625, 0.875])
    assert.deepEqual([p[0].y, p[1].y, p[2].y], [0.25, 0.75, 0.5])
  })
})

describe('colour scales', () => {
  it('maps signed values to blue, white and red, and NaN to grey', () => {
    assert.equal(signedColour(0, 1), 'rgb(255, 255, 255)')
    assert.equal(signedColour(2, 2), 'rgb(255, 0, 0)')
    assert.equal(signedColour(-5, 2), 'rgb(0, 0, 255)')
    assert.equal(signedColour(NaN, 1), '#bbb')
    assert.equal(absMax([0, -3, NaN, 2]), 3)
    assert.equal(absMax([0, 0]), 1)
  })
})

describe('linkHealth', () => {
  const base = {
    id: 'dev-1', kind: 'serial', name: null, createdAt: '', lease: null, queued: [],
    info: {} as never, network: { nodes: 4, couplings: 3, inputs: [0], outputs: [3], layout: null },
    stats: { relaxCalls: 7, relaxSamples: 70, errors: 0 },
  }
  it('says a simulator is ready and counts its calls', () => {
    assert.deepEqual(linkHealth(base), { state: 'ready', health: 'simulator · 7 relax calls · 0 errors', ok: true })
  })

  it('sums up a board: round trip, the counters that went wrong, the diagnostics; ok only when ready', () => {
    const status = {
      state: 'reconnecting' as const, where: '/dev/ttyACM0', uid: 'b1',
      diagnostics: { CRC_ERRORS: { count: 2, message: 'bad CRC', atS: 1 } },
      counters: { rtt: { lastS: 0.002, meanS: 0.0015, maxS: 0.003, samples: 9 }, retries: 3, timeouts: 0, crcErrors: 2, reconnects: 1 },
    }
    assert.deepEqual(linkHealth({ ...base, status }), { state: 'reconnecting', health: 'rtt 1.5 ms · 3 retries · 2 CRC errors · 1 reconnects · CRC_ERRORS×2', ok: false })
    assert.equal(linkHealth({ ...base, status: { ...status, state: 'ready', diagnostics: {}, counters: { rtt: { lastS: 0, meanS: 0, maxS: 0, samples: 0 } } } }).health, 'no problems seen')
  })
})
