// Adoption of a dead daemon's work on a shared store (serve --adopt-orphans). A daemon id whose lease
// ran out belongs to a daemon that was killed (a clean shutdown deletes the lease) and that nobody
// restarted under its name. An adopting daemon takes that id's lease itself for a moment, so one
// adopter at a time works on it and the dead daemon cannot come back halfway, moves the devices to
// itself, resumes the interrupted runs from their checkpoints, and frees the name again.
import type { DeviceService } from '../services/devices/service.ts'
import type { RunService } from '../services/runs/service.ts'
import type { Store } from '../services/store/index.ts'

export interface OrphanWatch {
  /** One pass now (tests; the timer runs them too); resolves with the daemon ids adopted. */
  scan(): Promise<string[]>
  stop(): Promise<void>
}

type Log = { info(o: object, m: string): void; warn(o: object, m: string): void; error(o: object, m: string): void }

/** Looks for dead daemons every leaseS/3 seconds (leaseS: the daemon-id lease, s) and adopts their devices and runs. */
export function watchOrphans(store: Store, devices: DeviceService, runs: RunService, opts: { self: string; leaseS: number; log: Log }): OrphanWatch {
  const holder = `adopting:${opts.self}`
  let busy: Promise<string[]> | null = null
  let stopped = false
  const pass = async (): Promise<string[]> => {
    const adopted: string[] = []
    for (const l of await store.leases.expired('daemon:')) {
      const from = l.name.slice('daemon:'.length)
      if (stopped || from === opts.self) continue
      // an expired lease is free for one taker: two adopters (or the daemon restarting) cannot both get it
      if (!await store.leases.take(l.name, holder, opts.leaseS, { adopting: from, by: opts.self, since: new Date().toISOString() })) continue
      try {
        const ids = await devices.adopt(from, (id, e) => opts.log.warn({ device: id, from, err: e.message }, 'adopted device not opened (it stays stored as ours; a restart tries again)'))
        const resumed = await runs.adopt(ids, from)
        opts.log.info({ from, devices: ids, resumed }, `adopted daemon '${from}': ${ids.length} devices, ${resumed.length} runs resumed`)
        adopted.push(from)
        // freed at once: the name is usable again, and its devices are ours now
        await store.leases.release(l.name, holder).catch(() => {})
      } catch (e) {
        // our hold on the name runs out after leaseS, and then the next pass adopts what is left
        opts.log.error({ from, err: (e as Error).message }, 'adoption stopped halfway (the rest is adopted when the name expires again)')
      }
    }
    return adopted
  }
  const scan = () => (busy ??= pass().finally(() => { busy = null }))
  const timer = setInterval(() => { scan().catch((e: Error) => opts.log.warn({ err: e.message }, 'orphan scan failed (store unreachable?)')) }, (opts.leaseS * 1000) / 3)
  timer.unref()
  return {
    scan,
    async stop() {
      stopped = true
      clearInterval(timer)
      await busy?.catch(() => {})
    },
  }
}
