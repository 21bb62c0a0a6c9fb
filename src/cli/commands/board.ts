// eqprop-hil board: a board without hardware (the TS virtual board, or the C reference firmware) on a
// pty or a serial path, speaking the wire protocol until interrupted. For tests and for trying the
// host without a lab board.
import { startBoard } from '../../services/boards.ts'
import { networkFromArg } from '../../services/networks.ts'
import { loadTask } from '../../services/training.ts'
import { num, oneOf, parseFlags, required, UsageError } from '../usage.ts'
import { MQTT_FLAGS, MQTT_HELP, mqttOptionsFromFlags } from './bridge.ts'

export const BOARD_HELP = `eqprop-hil board (--pty | --path P | --mqtt URL) --network SPEC|FILE.json [options]

Runs a board that speaks the wire protocol (firmware-protocol/SPEC.md) until interrupted, and prints
"board <uid> ready on <path>": train it with eqprop-hil train --serial <path>.

  --pty               make a pseudo-terminal pair (socat) and print the host's end
  --path P            open this serial path instead; it is reopened whenever it goes away
  --mqtt URL          put the board on this MQTT broker as <prefix>/<uid> instead (retained status,
                      last will); --impl c runs the firmware on a pty behind an in-process bridge
  --impl I            ts (the TypeScript virtual board, default) or c (the reference firmware's host build)
  --network N         the board's wiring: a builder string or a network JSON file (weights are not
                      used: the host writes them)
  --task T            input and output counts of this task, for a builder (default xor)
  --network-seed S    seed of the builder (default 0)
  --uid U             identity the board reports (default vboard-xy; ref-fw-xy for --impl c)
  --boot-counter N    boot counter at start (ts; c keeps it in a file)
  --max-batch N       samples per relaxation (default 64; c at most 16)
  --max-frame N       frame limit, bytes (default 4096; c at most 1024)
  --window N          commands a host may keep outstanding (SPEC 5.3; default 8, at most 8 for c;
                      1 = stop-and-wait)
  --coupling-range A,B and --coupling-levels N   the coupling DAC (default [-8, 8], continuous)
  --baud N --pace     pace the board's writes like a UART at N baud (a pty has no rate of its own)
  --tol T             settling tolerance of the simulated physics (default 1e-6); a tiny value such as
                      1e-300 makes relaxations that never settle, to try the RELAX budgets
  --learn             offer on-board learning (SPEC 13): the board applies the EqProp update itself
fault injection (ts; --protocol-major also for c):
  --corrupt P         flip one bit in each byte on the line with probability P, both directions
  --drop P            lose each frame the board sends with probability P
  --delay S           send every frame S seconds late
  --reboot-after N    reboot once after N commands (boot counter + 1, parameters lost)
  --hang-after N      stop answering after N commands, for --hang S seconds (default 3)
  --protocol-major M  speak protocol major M: an incompatible firmware
  --fault-seed S      seed of the fault stream (default 1)
${MQTT_HELP}
SIGUSR1 reboots the board; SIGINT or SIGTERM stops it at once, even mid-relaxation, and closes its port.`

export async function boardCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    pty: { type: 'boolean' }, path: { type: 'string' }, impl: { type: 'string' }, network: { type: 'string' }, task: { type: 'string' },
    'network-seed': { type: 'string' }, uid: { type: 'string' }, 'boot-counter': { type: 'string' }, 'max-batch': { type: 'string' },
    'max-frame': { type: 'string' }, window: { type: 'string' }, 'coupling-range': { type: 'string' }, 'coupling-levels': { type: 'string' }, baud: { type: 'string' },
    pace: { type: 'boolean' }, learn: { type: 'boolean' }, tol: { type: 'string' }, corrupt: { type: 'string' }, drop: { type: 'string' }, delay: { type: 'string' }, 'reboot-after': { type: 'string' },
    'hang-after': { type: 'string' }, hang: { type: 'string' }, 'protocol-major': { type: 'string' }, 'fault-seed': { type: 'string' },
    ...MQTT_FLAGS,
  })
  if ([f.pty, f.path, f.mqtt].filter((x) => x !== undefined).length !== 1) throw new UsageError('give exactly one of --pty or --path P (or --mqtt URL)')
  const mqtt = f.mqtt === undefined ? undefined : mqttOptionsFromFlags(f)
  const impl = oneOf(f.impl, 'impl', ['ts', 'c'] as const, 'ts')
  const data = loadTask(f.task ?? 'xor', 0)
  const network = networkFromArg(required(f.network, 'network'), { inputs: data.nIn, outputs: data.nOut }, num(f['network-seed'], 'network-seed', 0, { int: true, min: 0 }))
  let coupling = { min: -8, max: 8, levels: num(f['coupling-levels'], 'coupling-levels', 0, { int: true, min: 0 }) }
  if (f['coupling-range'] !== undefined) {
    const r = f['coupling-range'].split(',').map((v) => num(v, 'coupling-range', NaN))
    if (r.length !== 2 || !(r[0] < r[1])) throw new UsageError(`--coupling-range: '${f['coupling-range']}' is not MIN,MAX with MIN < MAX`)
    coupling = { ...coupling, min: r[0], max: r[1] }
  }
  const opt = (v: string | undefined, flag: string, o: Parameters<typeof num>[3] = {}) => (v === undefined ? undefined : num(v, flag, 0, o))
  const faults = {
    corrupt: opt(f.corrupt, 'corrupt', { min: 0, max: 1 }),
    drop: opt(f.drop, 'drop', { min: 0, max: 1 }),
    delayS: opt(f.delay, 'delay', { min: 0, max: 60 }),
    rebootAfter: opt(f['reboot-after'], 'reboot-after', { int: true, min: 1 }),
    hangAfter: opt(f['hang-after'], 'hang-after', { int: true, min: 1 }),
    hangS: opt(f.hang, 'hang', { gt: 0, max: 600 }),
    protocolMajor: opt(f['protocol-major'], 'protocol-major', { int: true, min: 0, max: 255 }),
    seed: opt(f['fault-seed'], 'fault-seed', { int: true, min: 0, max: 2 ** 32 - 1 }),
  }
  const log = (line: string) => process.stderr.write(`board: ${line}\n`)
  const running = await startBoard({
    network, impl, path: f.path, mqtt, baud: num(f.baud, 'baud', 115200, { int: true, min: 1 }), pace: f.pace === true,
    board: {
      uid: f.uid ?? (impl === 'c' ? 'ref-fw-xy' : 'vboard-xy'),
      bootCounter: opt(f['boot-counter'], 'boot-counter', { int: true, min: 0 }),
      maxBatch: opt(f['max-batch'], 'max-batch', { int: true, min: 1, max: 65535 }),
      maxFrame: opt(f['max-frame'], 'max-frame', { int: true, min: 256, max: 65535 }),
      window: opt(f.window, 'window', { int: true, min: 1, max: impl === 'c' ? 8 : 255 }),
      coupling, bias: { min: -8, max: 8, levels: 0 }, tol: opt(f.tol, 'tol', { gt: 0 }), onBoardLearning: f.learn === true,
      faults: Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined)),
    },
  }, log)
  process.stdout.write(`board ${running.uid} (${impl}) ready on ${running.hostPath}\n`)
  const onUsr1 = () => running.reboot()
  process.on('SIGUSR1', onUsr1)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  process.off('SIGUSR1', onUsr1)
  await running.close()
  return 0
}
