// niceThisThread lowers the priority of the calling thread only (Linux: per task id).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { Worker } from 'node:worker_threads'

/** nice value of a task of this process, from /proc (field 19 of stat; the name may hold spaces). */
const niceOf = (tid: number | 'self') => Number(readFileSync(`/proc/self/task/${tid === 'self' ? process.pid : tid}/stat`, 'utf8').split(') ')[1].split(' ')[16])

// the worker imports the TypeScript module through tsx, as the simulator threads do
const WORKER = `
import { parentPort, workerData } from 'node:worker_threads'
import { readlinkSync } from 'node:fs'
const { register } = await import(workerData.tsx)
register()
const { niceThisThread } = await import(workerData.module)
const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
parentPort.postMessage({ tid, set: niceThisThread(workerData.steps) })
`

describe('niceThisThread', { skip: process.platform !== 'linux' ? 'per-thread priorities are a Linux feature' : false }, () => {
  it("raises a worker thread's nice value by the steps given and leaves the main thread as it was", async () => {
    const main = niceOf('self')
    const module = new URL('../../drivers/sim/thread-priority.ts', import.meta.url).href
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER)}`), { workerData: { module, tsx: import.meta.resolve('tsx/esm/api'), steps: 3 } })
    const { tid, set } = await new Promise<{ tid: number; set: number | null }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject) })
    try {
      assert.equal(set, Math.min(19, main + 3))
      assert.equal(niceOf(tid), Math.min(19, main + 3))
      assert.equal(niceOf('self'), main)
    } finally { await w.terminate() }
  })

  it('does nothing for 0 steps', async () => {
    const { niceThisThread } = await import('../../drivers/sim/thread-priority.ts')
    assert.equal(niceThisThread(0), null)
  })
})
