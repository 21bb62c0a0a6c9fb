// Opening a session (SPEC 6.1): HELLO -> DEVICE_INFO, then the edge list and the clampable and
// nudgeable node lists, read in chunks that fit the session's frame limit.
import { PROTOCOL, type DeviceInfoBody } from '../../firmware-protocol/ts/index.ts'
import { ProtocolViolation, type Session } from './session.ts'

/** What a board says about itself in one handshake. */
export interface BoardDescription {
  device: DeviceInfoBody
  edges: [number, number][]
  clampable: number[]
  nudgeable: number[]
}

export interface HandshakeOptions {
  /** host receive limit (bytes, >= 256) */
  maxFrame: number
  /** requested watchdog (ms); 0 = the board's default */
  watchdogMs: number
  /** commands the host wants in flight (SPEC 5.3); default 1 */
  window?: number
}

/** Runs the handshake on a fresh session. */
export async function handshake(s: Session, o: HandshakeOptions): Promise<BoardDescription> {
  const want = Math.max(1, Math.min(255, o.window ?? 1))
  // window 1 is left out of HELLO, so a host that does not pipeline sends 1.0 bytes
  const device = await s.call('HELLO', { protoMinor: PROTOCOL.minor, maxFrame: o.maxFrame, watchdogMs: o.watchdogMs, ...(want > 1 ? { window: want } : {}) })
  const window = device.window || 1
  if (window > want) throw new ProtocolViolation(`DEVICE_INFO.window ${window} above the ${want} asked for`)
  s.setWindow(window)
  if (device.maxFrame < 256 || device.maxFrame > o.maxFrame) throw new ProtocolViolation(`DEVICE_INFO.maxFrame ${device.maxFrame} outside 256..${o.maxFrame}`)
  if (device.maxBatch < 1) throw new ProtocolViolation('DEVICE_INFO.maxBatch is 0')
  if (!(device.stateLsb > 0)) throw new ProtocolViolation(`DEVICE_INFO.stateLsb ${device.stateLsb} is not positive`)
  const edges: [number, number][] = []
  while (edges.length < device.edgeCount) {
    const r = await s.call('GET_EDGES', { offset: edges.length, count: 0 })
    if (r.offset !== edges.length || r.total !== device.edgeCount || r.edges.length === 0) throw new ProtocolViolation(`EDGES chunk at ${r.offset} (total ${r.total}, ${r.edges.length} items) does not continue the list at ${edges.length}`)
    for (const e of r.edges) {
      if (e.a >= device.nodeCount || e.b >= device.nodeCount) throw new ProtocolViolation(`edge [${e.a},${e.b}] names a node >= ${device.nodeCount}`)
      edges.push([e.a, e.b])
    }
  }
  const clampable = await nodeList(s, 'clampable', device.clampableCount, device.nodeCount)
  const nudgeable = await nodeList(s, 'nudgeable', device.nudgeableCount, device.nodeCount)
  return { device, edges, clampable, nudgeable }
}

async function nodeList(s: Session, list: 'clampable' | 'nudgeable', total: number, nodes: number): Promise<number[]> {
  const out: number[] = []
  while (out.length < total) {
    const r = await s.call('GET_NODE_LIST', { list, offset: out.length, count: 0 })
    if (r.list !== list || r.offset !== out.length || r.total !== total || r.nodes.length === 0) throw new ProtocolViolation(`NODE_LIST ${list} chunk at ${r.offset} does not continue the list at ${out.length}`)
    for (const v of r.nodes) {
      if (v >= nodes) throw new ProtocolViolation(`${list} node ${v} >= ${nodes}`)
      out.push(v)
    }
  }
  return out
}

/** Whether two descriptions are the same substrate (topology, limits and formats). */
export function sameSubstrate(a: BoardDescription, b: BoardDescription): string | null {
  const da = a.device, db = b.device
  if (da.model !== db.model) return `model ${da.model} -> ${db.model}`
  if (da.nodeCount !== db.nodeCount) return `nodes ${da.nodeCount} -> ${db.nodeCount}`
  if (a.edges.join(';') !== b.edges.join(';')) return 'edge list'
  if (a.clampable.join() !== b.clampable.join()) return 'clampable nodes'
  if (a.nudgeable.join() !== b.nudgeable.join()) return 'nudgeable nodes'
  if (da.capabilities !== db.capabilities) return 'capabilities'
  if (da.stateLsb !== db.stateLsb) return 'state resolution'
  if (da.maxBatch !== db.maxBatch) return 'maxBatch'
  return null
}
