// The eqprop-hil command line: one verb per file in commands/, each a thin adapter over services.
import { EqpError } from '../errors.ts'
import { UsageError } from './usage.ts'

interface Command { run: (args: string[]) => Promise<number>; help: string }

// Each verb is imported only when it is asked for: loading all of them (fastify, sqlite, the
// simulators, ...) would cost `eqprop-hil --help` most of its start-up time.
const COMMANDS: Record<string, () => Promise<Command>> = {
  train: async () => { const m = await import('./commands/train.ts'); return { run: m.trainCommand, help: m.TRAIN_HELP } },
  eval: async () => { const m = await import('./commands/eval.ts'); return { run: m.evalCommand, help: m.EVAL_HELP } },
  grad: async () => { const m = await import('./commands/grad.ts'); return { run: m.gradCommand, help: m.GRAD_HELP } },
  board: async () => { const m = await import('./commands/board.ts'); return { run: m.boardCommand, help: m.BOARD_HELP } },
  bridge: async () => { const m = await import('./commands/bridge.ts'); return { run: m.bridgeCommand, help: m.BRIDGE_HELP } },
  serve: async () => { const m = await import('./commands/serve.ts'); return { run: m.serveCommand, help: m.SERVE_HELP } },
  runs: async () => { const m = await import('./commands/runs.ts'); return { run: m.runsCommand, help: m.RUNS_HELP } },
  study: async () => { const m = await import('./commands/study.ts'); return { run: m.studyCommand, help: m.STUDY_HELP } },
  worker: async () => { const m = await import('./commands/worker.ts'); return { run: m.workerCommand, help: m.WORKER_HELP } },
  devices: async () => { const m = await import('./commands/devices.ts'); return { run: m.devicesCommand, help: m.DEVICES_HELP } },
  datasets: async () => { const m = await import('./commands/datasets.ts'); return { run: m.datasetsCommand, help: m.DATASETS_HELP } },
  identify: async () => { const m = await import('./commands/identify.ts'); return { run: m.identifyCommand, help: m.IDENTIFY_HELP } },
  analyse: async () => { const m = await import('./commands/analyse.ts'); return { run: m.analyseCommand, help: m.ANALYSE_HELP } },
}

const HELP = `eqprop-hil: Equilibrium Propagation for physical learning machines

usage: eqprop-hil <command> [options]     (eqprop-hil <command> --help for its options)

commands:
  train   train a network on the built-in XY simulator
  eval    evaluate a network on a task
  grad    exact gradient vs EqProp estimators for one sample
  board   run a board without hardware (TS virtual board or C reference firmware) on a pty or a broker
  bridge  put a serial board on an MQTT broker
  serve   run the daemon (REST API, durable runs, live streams)
  runs    list, create and steer runs on a running daemon
  devices attach, list and detach the devices of a running daemon
  datasets list the datasets of a running daemon, and upload a CSV table to it
  study   train several networks for several seeds and write a comparison table
  worker  train study trials taken from a queue (study --queue), on any host
  analyse minima over random starts, Hessian spectrum and input response of a trained XY network
`

/** Runs the CLI; returns the exit code (2 for bad input, 1 for failures). */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP)
    return cmd ? 0 : 2
  }
  const load = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined
  if (!load) {
    process.stderr.write(`eqprop-hil: unknown command '${cmd}'\n\n${HELP}`)
    return 2
  }
  const c = await load()
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(c.help + '\n')
    return 0
  }
  try {
    return await c.run(rest)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`eqprop-hil ${cmd}: ${e.message}\n(see eqprop-hil ${cmd} --help)\n`)
      return 2
    }
    if (e instanceof EqpError && e.statusCode < 500) {
      process.stderr.write(`eqprop-hil ${cmd}: ${e.code}: ${e.message}\n`)
      return 2
    }
    process.stderr.write(`eqprop-hil ${cmd}: ${(e as Error).stack ?? e}\n`)
    return 1
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/src/cli/main.ts')
if (isMain) process.exitCode = await main(process.argv.slice(2))
