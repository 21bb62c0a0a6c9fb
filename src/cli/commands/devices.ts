// eqprop-hil devices ...: attach, list, inspect and detach the devices of a running daemon.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { DeviceCreate } from '../../services/devices/schemas.ts'
import { readNetworkFile } from '../../services/networks.ts'
import { checkedBody, DAEMON_FLAGS, DAEMON_FLAGS_HELP, daemonClient, onePositional, parseAction, printOut, withDaemonErrors } from '../daemon-command.ts'
import { num, UsageError } from '../usage.ts'
import { IdentifyOptions } from '../../services/twin/identify.ts'
import type { IdentifyView } from '../../services/twin/schemas.ts'

/** Writes a JSON file, making its folder. */
function writeJsonFile(path: string, v: unknown): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(v) + '\n')
}

export const DEVICES_HELP = `eqprop-hil devices <action> [options]      (talks to a running 'eqprop-hil serve')

  list                                one line per device: id, kind, size, inputs/outputs, lease, queue, name
  show ID                             one device as JSON (info, network, lease, board status)
  attach [--kind K] ...               attach a device; prints its line (--json: the whole answer)
      simulators (--kind sim-xy (default) | sim-oim | sim-resistor | sim-ising):
         --builder SPEC (lattice:4x4, all-to-all:6, layered:4,8,3, ...) with --task T or --io IN,OUT,
         or --network FILE.json; [--seed S] (random couplings of a builder)
      a serial board (--kind serial):  --path /dev/ttyACM0
      a board on MQTT (--kind mqtt):   --uid U [--broker mqtt://HOST:PORT] (default: the daemon's broker)
      any kind: [--name X] [--set JSON] (merges any other POST /devices field, e.g. '{"sim":{"noise":{"sigma":0.01}}}')
  detach ID                           detach a device (refused while a run holds it or waits for it)
  params ID                           its parameters as applied, as JSON (weights per edge, h, psi)
  identify ID [--samples N] [--model affine|direct] [--setpoint-sets K] [--perturb P] [--force F] [--readout-bits N] [--seed S] [--out FILE]
                                      fit the couplings and bias fields an XY device really has (as 'eqprop-hil identify');
                                      prints a summary, --out writes the twin network JSON, --json the whole fit

${DAEMON_FLAGS_HELP}`

interface DeviceLine {
  id: string; kind: string; name: string | null
  network: { nodes: number; couplings: number; inputs: number[]; outputs: number[] }
  lease: { run: string; client: string } | null; queued: string[]
  status?: { state: string }
}

/** One device on one line. */
export function deviceLine(d: DeviceLine): string {
  const n = d.network
  return [d.id, d.kind.padEnd(12), `${n.nodes} nodes / ${n.couplings} couplings`, `in ${n.inputs.length} out ${n.outputs.length}`,
    d.status ? d.status.state : '', d.lease ? `leased by ${d.lease.run} (${d.lease.client})` : 'free', d.queued.length ? `queued ${d.queued.join(',')}` : '',
    d.name ?? ''].filter((s) => s !== '').join('  ')
}

export async function devicesCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args
  return withDaemonErrors('devices', async () => {
    switch (action) {
      case 'list': {
        const { values: f, positionals } = parseAction(rest, DAEMON_FLAGS)
        if (positionals.length) throw new UsageError(`list takes no positional arguments (got '${positionals[0]}')`)
        const r = await daemonClient(f).request<{ devices: DeviceLine[] }>('GET', '/devices')
        printOut(f.json ? r : r.devices.length ? r.devices.map(deviceLine).join('\n') : '(no devices)')
        return 0
      }
      case 'show': case 'params': {
        const { values: f, positionals } = parseAction(rest, DAEMON_FLAGS)
        const id = encodeURIComponent(onePositional(positionals, action, 'device id'))
        printOut(await daemonClient(f).request('GET', action === 'show' ? `/devices/${id}` : `/devices/${id}/params`))
        return 0
      }
      case 'detach': {
        const { values: f, positionals } = parseAction(rest, DAEMON_FLAGS)
        const id = onePositional(positionals, action, 'device id')
        await daemonClient(f).request('DELETE', `/devices/${encodeURIComponent(id)}`)
        printOut(f.json ? { detached: id } : `detached ${id}`)
        return 0
      }
      case 'attach': {
        const { values: f, positionals } = parseAction(rest, {
          ...DAEMON_FLAGS, kind: { type: 'string' }, builder: { type: 'string' }, network: { type: 'string' }, task: { type: 'string' }, io: { type: 'string' },
          seed: { type: 'string' }, name: { type: 'string' }, path: { type: 'string' }, uid: { type: 'string' }, broker: { type: 'string' }, set: { type: 'string' },
        })
        if (positionals.length) throw new UsageError(`attach takes no positional arguments (got '${positionals[0]}')`)
        const body = attachBody(f)
        const r = await daemonClient(f).request<DeviceLine>('POST', '/devices', body)
        printOut(f.json ? r : deviceLine(r))
        return 0
      }
      case 'identify': {
        const { values: f, positionals } = parseAction(rest, {
          ...DAEMON_FLAGS, samples: { type: 'string' }, model: { type: 'string' }, 'setpoint-sets': { type: 'string' }, perturb: { type: 'string' },
          force: { type: 'string' }, 'readout-bits': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' },
        })
        const id = onePositional(positionals, action, 'device id')
        const body: Record<string, unknown> = {}
        if (f.model !== undefined) body.model = f.model
        for (const [flag, field] of [['samples', 'samples'], ['setpoint-sets', 'setpointSets'], ['perturb', 'perturb'], ['force', 'force'], ['readout-bits', 'readoutBits'], ['seed', 'seed']] as const) {
          if (f[flag] !== undefined) body[field] = num(f[flag], flag, 0)
        }
        if (body.model === 'direct' && body.setpointSets === undefined) body.setpointSets = 1
        const r = await daemonClient(f).request<IdentifyView>('POST', `/devices/${encodeURIComponent(id)}/identify`, checkedBody(body, undefined, IdentifyOptions, 'identify'))
        if (f.out !== undefined) writeJsonFile(f.out, r.twin)
        const rep = r.report
        printOut(f.json ? r : `identified ${id} (${rep.uid}): ${rep.couplings.length - rep.unobservedEdges.length} couplings, ${rep.bias.length} bias fields from ${rep.relaxations} relaxations; ` +
          `residual force rms ${rep.residualRms.toExponential(2)}${f.out !== undefined ? `; twin written to ${f.out}` : ''}`)
        return 0
      }
      default:
        throw new UsageError(action ? `unknown action '${action}'` : 'an action is required (list, show, attach, detach, params, identify)')
    }
  })
}

/** The POST /devices body the attach flags describe, checked with the daemon's own schema (exit 2 naming the field). */
function attachBody(f: Partial<Record<'kind' | 'builder' | 'network' | 'task' | 'io' | 'seed' | 'name' | 'path' | 'uid' | 'broker' | 'set', string>>): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: f.kind ?? 'sim-xy' }
  if (f.name !== undefined) body.name = f.name
  if (f.builder !== undefined) body.builder = f.builder
  if (f.network !== undefined) body.network = readNetworkFile(f.network)
  if (f.task !== undefined) body.task = f.task
  if (f.io !== undefined) {
    const m = /^(\d+),(\d+)$/.exec(f.io)
    if (!m) throw new UsageError(`--io: '${f.io}' is not INPUTS,OUTPUTS (two whole numbers)`)
    body.io = { inputs: Number(m[1]), outputs: Number(m[2]) }
  }
  if (f.seed !== undefined) body.seed = num(f.seed, 'seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 })
  if (f.path !== undefined) body.path = f.path
  if (f.uid !== undefined) body.uid = f.uid
  if (f.broker !== undefined) body.url = f.broker
  return checkedBody(body, f.set, DeviceCreate, 'device')
}
