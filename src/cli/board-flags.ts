// The flags that say which board a command runs on (train, identify): the simulator with a board's
// imperfections, or a real board on a serial port or an MQTT broker.
import { SOLVER_NAMES } from '../core/solvers/system.ts'
import { parseDeviceArg } from '../services/boards.ts'
import { dynamicsFlags } from './dynamics-flags.ts'
import { num, oneOf, UsageError } from './usage.ts'

/** parseFlags entries of the simulator and board flags. */
export const BOARD_FLAGS = {
  solver: { type: 'string' }, dynamics: { type: 'string' }, 'dynamics-t': { type: 'string' }, kernel: { type: 'string' }, batching: { type: 'string' }, tol: { type: 'string' },
  'coupling-levels': { type: 'string' }, 'coupling-range': { type: 'string' },
  'readout-bits': { type: 'string' }, noise: { type: 'string' }, variation: { type: 'string' }, 'device-seed': { type: 'string' }, drift: { type: 'string' },
  serial: { type: 'string' }, mqtt: { type: 'string' }, uid: { type: 'string' }, device: { type: 'string' },
} as const

type BoardFlagValues = Partial<Record<keyof typeof BOARD_FLAGS, string>>

/** The simulator options the flags give (solver, tolerance, coupling range, imperfections). */
export function simFlags(f: BoardFlagValues) {
  const levels = num(f['coupling-levels'], 'coupling-levels', 0, { int: true, min: 0 })
  let range = [-1e6, 1e6]
  if (f['coupling-range'] !== undefined) {
    range = f['coupling-range'].split(',').map((v) => num(v, 'coupling-range', NaN))
    if (range.length !== 2 || !(range[0] < range[1])) throw new UsageError(`--coupling-range: '${f['coupling-range']}' is not MIN,MAX with MIN < MAX`)
  } else if (levels > 0) throw new UsageError('--coupling-levels needs --coupling-range MIN,MAX')
  return {
    solver: oneOf(f.solver, 'solver', SOLVER_NAMES, 'auto'),
    ...dynamicsFlags(f),
    ...(f.kernel !== undefined ? { kernel: oneOf(f.kernel, 'kernel', ['auto', 'dense', 'typed'] as const, 'auto') } : {}),
    ...(f.batching !== undefined ? { batching: oneOf(f.batching, 'batching', ['lockstep', 'per-sample'] as const, 'lockstep') } : {}),
    tol: num(f.tol, 'tol', 1e-6, { gt: 0 }),
    coupling: { min: range[0], max: range[1], levels },
    readoutBits: f['readout-bits'] === undefined ? undefined : num(f['readout-bits'], 'readout-bits', 0, { int: true, min: 1, max: 16 }),
    noise: f.noise === undefined ? undefined : { sigma: num(f.noise, 'noise', 0, { min: 0 }) },
    variation: num(f.variation, 'variation', 0, { min: 0 }),
    deviceSeed: num(f['device-seed'], 'device-seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 }),
    drift: num(f.drift, 'drift', 0, { min: 0 }),
  }
}

/** The board the flags name: null for the built-in simulator, else a serial port, an MQTT board or sim-wire. */
export function boardFlags(f: BoardFlagValues) {
  if ([f.serial, f.mqtt, f.device].filter((v) => v !== undefined).length > 1) throw new UsageError('give one of --serial, --mqtt or --device')
  if ((f.mqtt === undefined) !== (f.uid === undefined)) throw new UsageError('--mqtt URL and --uid U go together')
  return f.serial !== undefined ? { kind: 'serial' as const, path: f.serial }
    : f.mqtt !== undefined ? { kind: 'mqtt' as const, uid: f.uid!, mqtt: { url: f.mqtt } }
    : f.device === undefined || f.device === 'sim' ? null : parseDeviceArg(f.device)
}
