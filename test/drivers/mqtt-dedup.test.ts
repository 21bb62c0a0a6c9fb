// SPEC 10.3 on a board's MQTT link, frame by frame: which copies of commands it passes on, in a 1.0
// session (window 1) and in a session whose DEVICE_INFO agreed a window of 8.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CommandDedup } from '../../drivers/transports/mqtt/dedup.ts'
import { encodeMessage, type DeviceInfoBody } from '../../firmware-protocol/ts/index.ts'

const get = (seq: number) => encodeMessage({ name: 'GET_PARAMS', body: { offset: 0, count: 1 }, seq })
const hello = (seq: number, window?: number) => encodeMessage({ name: 'HELLO', body: { protoMinor: 1, maxFrame: 1024, watchdogMs: 0, ...(window ? { window } : {}) }, seq })
const stop = (seq: number) => encodeMessage({ name: 'STOP', body: {}, seq })
const hb = encodeMessage({ name: 'HEARTBEAT', body: { state: 'boot', bootCounter: 0, uptimeMs: 0, rxBad: 0 }, seq: 1 })
function deviceInfo(seq: number, window?: number): Uint8Array {
  const body: DeviceInfoBody = {
    protoMinor: 1, model: 'xy', reports: 'states', capabilities: 0, costs: 1, maxFrame: 1024, maxBatch: 4, nodeCount: 6, edgeCount: 15,
    clampableCount: 6, nudgeableCount: 6, coupling: { min: -1, max: 1, levels: 0 }, bias: { min: -1, max: 1, levels: 0 }, stateLsb: 2 ** -13, edgeLsb: 0,
    watchdogMs: 2000, bootCounter: 1, uid: 'u1', firmware: 'test', ...(window ? { window } : {}),
  }
  return encodeMessage({ name: 'DEVICE_INFO', body, seq })
}

/** A session: HELLO at seq 100 and the board's DEVICE_INFO (window w, absent for 1), then commands 101..100+n. */
function session(w: number, n: number): CommandDedup {
  const d = new CommandDedup()
  assert.equal(d.judge(hello(100, w > 1 ? w : undefined)), 'new')
  d.boardSent(deviceInfo(100, w > 1 ? w : undefined))
  assert.equal(d.window, w)
  for (let s = 101; s <= 100 + n; s++) assert.equal(d.judge(get(s)), 'new')
  return d
}

describe('CommandDedup (SPEC 10.3)', () => {
  it('window 1: passes a retry of the newest command, drops a copy of any older one, HEARTBEATs exempt', () => {
    const d = session(1, 3)
    assert.equal(d.judge(get(103)), 'retry')
    assert.equal(d.judge(get(102)), 'drop')
    assert.equal(d.judge(hello(100)), 'drop')
    assert.equal(d.judge(hb), 'exempt')
    assert.equal(d.judge(hb), 'exempt')
    assert.equal(d.judge(get(104)), 'new')
  })

  it('window 8: passes copies of the last 8 commands (a resend after a lost reply), drops older ones', () => {
    const d = session(8, 12)   // commands 101..112: the last 8 are 105..112
    for (const s of [105, 108, 111]) assert.equal(d.judge(get(s)), 'window-copy', `seq ${s}`)
    assert.equal(d.judge(get(112)), 'retry')
    assert.equal(d.judge(get(104)), 'drop', 'older than the board\'s reply cache')
    assert.equal(d.judge(get(101)), 'drop')
    // a copy does not move its command: after one more new command, 105 is out of the last 8
    assert.equal(d.judge(get(113)), 'new')
    assert.equal(d.judge(get(105)), 'drop')
    assert.equal(d.judge(get(106)), 'window-copy')
  })

  it('window 8: a copy of HELLO or STOP passes only while it is the newest (the board runs them out of order)', () => {
    const d = session(8, 0)
    assert.equal(d.judge(hello(100, 8)), 'retry')
    assert.equal(d.judge(get(101)), 'new')
    assert.equal(d.judge(hello(100, 8)), 'drop', 'a late HELLO would start a new session')
    assert.equal(d.judge(stop(102)), 'new')
    assert.equal(d.judge(stop(102)), 'retry')
    assert.equal(d.judge(get(103)), 'new')
    assert.equal(d.judge(stop(102)), 'drop', 'a late STOP would enter the safe state')
  })

  it('a new HELLO goes back to window 1 until the board\'s DEVICE_INFO; a 1.0 DEVICE_INFO (no window) means 1', () => {
    const d = session(8, 3)
    assert.equal(d.judge(hello(500)), 'new')
    assert.equal(d.window, 1)
    assert.equal(d.judge(get(103)), 'drop', 'a copy from the old session, before the new DEVICE_INFO')
    d.boardSent(deviceInfo(500))
    assert.equal(d.window, 1)
    d.boardSent(get(7))               // not a DEVICE_INFO: ignored
    d.boardSent(deviceInfo(500).subarray(0, 20))   // damaged: ignored
    assert.equal(d.window, 1)
    d.boardSent(deviceInfo(500, 4))
    assert.equal(d.window, 4)
  })

  it('remembers `depth` distinct frames; depth 0 passes everything', () => {
    const d = new CommandDedup(4)
    for (let s = 1; s <= 6; s++) d.judge(get(s))
    assert.equal(d.judge(get(1)), 'new', 'forgotten after 4 newer ones')
    assert.equal(d.judge(get(4)), 'drop')
    const off = new CommandDedup(0)
    off.judge(get(1)); off.judge(get(2))
    assert.equal(off.judge(get(1)), 'exempt')
  })
})
