// The eqprop-hil command line: one verb per file in commands/, each a thin adapter over services.
import { EqpError } from '../errors.ts'
import { BOARD_HELP, boardCommand } from './commands/board.ts'
import { BRIDGE_HELP, bridgeCommand } from './commands/bridge.ts'
import { DATASETS_HELP, datasetsCommand } from './commands/datasets.ts'
import { DEVICES_HELP, devicesCommand } from './commands/devices.ts'
import { EVAL_HELP, evalCommand } from './commands/eval.ts'
import { GRAD_HELP, gradCommand } from './commands/grad.ts'
import { RUNS_HELP, runsCommand } from './commands/runs.ts'
import { SERVE_HELP, serveCommand } from './commands/serve.ts'
import { STUDY_HELP, studyCommand } from './commands/study.ts'
import { TRAIN_HELP, trainCommand } from './commands/train.ts'
import { UsageError } from './usage.ts'

const COMMANDS: Record<string, { run: (args: string[]) => Promise<number>; help: string }> = {
  train: { run: trainCommand, help: TRAIN_HELP },
  eval: { run: evalCommand, help: EVAL_HELP },
  grad: { run: gradCommand, help: GRAD_HELP },
  board: { run: boardCommand, help: BOARD_HELP },
  bridge: { run: bridgeCommand, help: BRIDGE_HELP },
  serve: { run: serveCommand, help: SERVE_HELP },
  runs: { run: runsCommand, help: RUNS_HELP },
  devices: { run: devicesCommand, help: DEVICES_HELP },
  datasets: { run: datasetsCommand, help: DATASETS_HELP },
  study: { run: studyCommand, help: STUDY_HELP },
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
`

/** Runs the CLI; returns the exit code (2 for bad input, 1 for failures). */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP)
    return cmd ? 0 : 2
  }
  const c = COMMANDS[cmd]
  if (!c) {
    process.stderr.write(`eqprop-hil: unknown command '${cmd}'\n\n${HELP}`)
    return 2
  }
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
