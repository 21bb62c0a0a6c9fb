// eqprop-hil runs ...: list, inspect, create and steer runs on a running daemon.
import { ESTIMATOR_NAMES } from '../../core/eqprop/estimators.ts'
import { RunCreate } from '../../services/runs/schemas.ts'
import { checkedBody, DAEMON_FLAGS, DAEMON_FLAGS_HELP, daemonClient as client, onePositional, parseAction, printOut as out, withDaemonErrors } from '../daemon-command.ts'
import { num, oneOf, required, UsageError } from '../usage.ts'

export const RUNS_HELP = `eqprop-hil runs <action> [options]      (talks to a running 'eqprop-hil serve')

  list [--state S] [--device D]       runs, one line each
  show ID                             one run as JSON (state, progress, metrics, provenance)
  create --device D --task T [--epochs K] [--seed S] [--lr L] [--beta B] [--estimator E]
         [--optimiser sgd|momentum|adam] [--batch S] [--m-init M] [--label X] [--set JSON]
                                      queue a run; --set merges any other POST /runs fields
  pause ID | resume ID | cancel ID    steer a run
  watch ID                            follow its events until it ends (exit 0 when done)
  metrics ID [--kind batch|epoch|eval] [--csv]

${DAEMON_FLAGS_HELP}`

const COMMON = DAEMON_FLAGS

interface Summary { id: string; state: string; device: string; task: string; label: string | null; progress: { epoch: number; epochs: number; step: number; steps: number }; lastMetrics: { eval: { accuracy: number | null } | null; epoch: { distance: number | null } | null } }

const line = (r: Summary) => {
  const acc = r.lastMetrics.eval?.accuracy, d = r.lastMetrics.epoch?.distance
  return [r.id, r.state.padEnd(9), r.device, r.task, `epoch ${r.progress.epoch}/${r.progress.epochs}`,
    d != null ? `D ${d.toExponential(2)}` : '', acc != null ? `test acc ${acc.toFixed(3)}` : '', r.label ?? ''].filter((s) => s !== '').join('  ')
}

const id = (positionals: string[], action: string): string => onePositional(positionals, action, 'run id')

export async function runsCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args
  let positionals: string[] = []
  /** strict flag parsing with positionals (the run id) allowed */
  const parseFlags = <T extends Parameters<typeof parseAction>[1]>(_: unknown, options: T) => {
    const r = parseAction(rest, options)
    positionals = r.positionals
    return r.values
  }
  const flagArgs = null
  return withDaemonErrors('runs', async () => {
    switch (action) {
      case 'list': {
        const f = parseFlags(flagArgs, { ...COMMON, state: { type: 'string' }, device: { type: 'string' } })
        const q = new URLSearchParams()
        if (f.state) q.set('state', f.state)
        if (f.device) q.set('device', f.device)
        const r = await client(f).request<{ runs: Summary[] }>('GET', `/runs${q.size ? '?' + q : ''}`)
        if (f.json) out(r)
        else out(r.runs.length ? r.runs.map(line).join('\n') : '(no runs)')
        return 0
      }
      case 'show': {
        const f = parseFlags(flagArgs, COMMON)
        out(await client(f).request('GET', `/runs/${encodeURIComponent(id(positionals, action))}`))
        return 0
      }
      case 'pause': case 'resume': case 'cancel': {
        const f = parseFlags(flagArgs, COMMON)
        const r = await client(f).request<Summary>('POST', `/runs/${encodeURIComponent(id(positionals, action))}/${action}`)
        out(f.json ? r : line(r))
        return 0
      }
      case 'create': {
        const f = parseFlags(flagArgs, {
          ...COMMON, device: { type: 'string' }, task: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' }, lr: { type: 'string' },
          beta: { type: 'string' }, estimator: { type: 'string' }, optimiser: { type: 'string' }, batch: { type: 'string' }, 'm-init': { type: 'string' },
          label: { type: 'string' }, set: { type: 'string' },
        })
        if (positionals.length) throw new UsageError(`create takes no positional arguments (got '${positionals[0]}')`)
        const body: Record<string, unknown> = { device: required(f.device, 'device'), task: required(f.task, 'task') }
        if (f.epochs !== undefined) body.epochs = num(f.epochs, 'epochs', 0, { int: true, min: 1 })
        if (f.seed !== undefined) body.seed = num(f.seed, 'seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 })
        if (f.lr !== undefined) body.lr = num(f.lr, 'lr', 0, { gt: 0 })
        if (f.beta !== undefined) body.beta = num(f.beta, 'beta', 0, { gt: 0, max: 10 })
        if (f.estimator !== undefined) body.estimator = oneOf(f.estimator, 'estimator', ESTIMATOR_NAMES, 'one-sided')
        if (f.optimiser !== undefined) body.optimiser = { kind: oneOf(f.optimiser, 'optimiser', ['sgd', 'momentum', 'adam'] as const, 'sgd') }
        if (f.batch !== undefined) body.batchSize = num(f.batch, 'batch', 0, { int: true, min: 1 })
        if (f['m-init'] !== undefined) body.mInit = num(f['m-init'], 'm-init', 0, { int: true, min: 1 })
        if (f.label !== undefined) body.label = f.label
        checkedBody(body, f.set, RunCreate, 'run')
        const r = await client(f).request<Summary>('POST', '/runs', body)
        out(f.json ? r : line(r))
        return 0
      }
      case 'watch': {
        const f = parseFlags(flagArgs, COMMON)
        const runId = id(positionals, action)
        let last = ''
        await client(f).events(`/runs/${encodeURIComponent(runId)}/events`, (type, data) => {
          const e = data as { to?: string; reason?: string | null; row?: { epoch: number; distance: number; accuracy: number } }
          if (f.json) { out(JSON.stringify({ type, ...e })); }
          else if (type === 'state') process.stdout.write(`state -> ${e.to}${e.reason ? ` (${e.reason})` : ''}\n`)
          else if (type === 'epoch' && e.row) process.stdout.write(`epoch ${e.row.epoch}: D ${e.row.distance.toExponential(3)} train acc ${e.row.accuracy.toFixed(3)}\n`)
          else if (type === 'eval' && e.row) process.stdout.write(`  eval @ epoch ${e.row.epoch}: test acc ${e.row.accuracy.toFixed(3)}\n`)
          if (type === 'state' && e.to) last = e.to
        })
        return last === 'done' ? 0 : 1
      }
      case 'metrics': {
        const f = parseFlags(flagArgs, { ...COMMON, kind: { type: 'string' }, csv: { type: 'boolean' } })
        const q = new URLSearchParams()
        if (f.kind) q.set('kind', oneOf(f.kind, 'kind', ['batch', 'epoch', 'eval'] as const, 'epoch'))
        if (f.csv) q.set('format', 'csv')
        out(await client(f).request('GET', `/runs/${encodeURIComponent(id(positionals, action))}/metrics${q.size ? '?' + q : ''}`, undefined, f.csv ? 'text/csv' : 'application/json'))
        return 0
      }
      default:
        throw new UsageError(action ? `unknown action '${action}'` : 'an action is required (list, show, create, pause, resume, cancel, watch, metrics)')
    }
  })
}
