import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { DeviceCreate } from '../../src/services/devices/schemas.ts'
import { RunCreate } from '../../src/services/runs/schemas.ts'
import { inProcessDaemon } from '../support/daemon.ts'

describe('run service', () => {
  let d: Daemon
  before(async () => { d = await inProcessDaemon() })
  after(async () => { await d.close() })

  it('suspends a run whose device fails under it, keeps the lease, and lets it be cancelled', async () => {
    const { devices, runs } = d.services
    const dev = await devices.attach(DeviceCreate.parse({ kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris' }))
    const run = await runs.create(RunCreate.parse({ device: dev.id, task: 'iris', epochs: 100 }), 'tester')
    // the board goes away under the run
    const handle = (devices as unknown as { devices: Map<string, { sub: { close(): Promise<void> } }> }).devices.get(dev.id)!
    await handle.sub.close()
    await runs.idle(run.id)
    const v = await runs.get(run.id)
    assert.equal(v.state, 'suspended')
    assert.match(v.stateReason!, /^device fault: EQP_ERR_DEVICE_CLOSED/)
    assert.equal(devices.leaseOf(dev.id)?.run, run.id)
    assert.equal((await runs.cancel(run.id)).state, 'cancelled')
    assert.equal(devices.leaseOf(dev.id), null)
  })
})
