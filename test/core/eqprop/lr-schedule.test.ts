import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { scheduledLr } from '../../../src/core/eqprop/lr-schedule.ts'

describe('scheduledLr', () => {
  it('keeps lr constant, and decays cosine / linear from lr at the start to finalScale * lr at the end', () => {
    for (const p of [0, 0.3, 1]) assert.equal(scheduledLr(0.01, 'constant', 0, p), 0.01)
    assert.equal(scheduledLr(0.01, 'cosine', 0.1, 0), 0.01)
    assert.ok(Math.abs(scheduledLr(0.01, 'cosine', 0.1, 1) - 0.001) < 1e-15)
    assert.ok(Math.abs(scheduledLr(0.01, 'cosine', 0, 0.5) - 0.005) < 1e-15)
    // a quarter of the way: (1 + cos(pi/4))/2 = 0.8536
    assert.ok(Math.abs(scheduledLr(1, 'cosine', 0, 0.25) - (1 + Math.SQRT1_2) / 2) < 1e-15)
    assert.ok(Math.abs(scheduledLr(0.01, 'linear', 0.2, 0.5) - 0.006) < 1e-15)
    assert.equal(scheduledLr(0.01, 'linear', 0, 1), 0)
  })

  it('clamps progress outside [0, 1] to the ends', () => {
    assert.equal(scheduledLr(0.01, 'linear', 0.5, -1), 0.01)
    assert.equal(scheduledLr(0.01, 'linear', 0.5, 2), 0.005)
  })
})
