// eqprop-hil datasets ...: list the daemon's datasets and upload a CSV table to it.
import { readFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { EqpError } from '../../errors.ts'
import { DatasetUpload } from '../../services/datasets/schemas.ts'
import { issueLines, type IssueLike } from '../../services/issues.ts'
import { DAEMON_FLAGS, DAEMON_FLAGS_HELP, daemonClient, onePositional, parseAction, printOut, withDaemonErrors } from '../daemon-command.ts'
import { num, UsageError } from '../usage.ts'

export const DATASETS_HELP = `eqprop-hil datasets <action> [options]      (talks to a running 'eqprop-hil serve')

  list                                one line per dataset: name, built-in or uploaded, inputs -> classes, split sizes
  show NAME                           one dataset as JSON (class and feature names, sizes)
  upload FILE.csv [--name N] [--label COL] [--test-fraction F] [--description TEXT]
                                      upload a table: a header row, numeric feature columns and a label column
                                      (--label, default: a column named 'label', else the last one); --name defaults
                                      to the file's name without .csv; F is the share of each class held out for
                                      testing (default 0.2). Runs then name it as their task.

${DAEMON_FLAGS_HELP}`

interface DatasetLine { name: string; builtin: boolean; nIn: number; nOut: number; classes: number; trainRows: number; testRows: number; description: string }

/** One dataset on one line. */
export function datasetLine(d: DatasetLine): string {
  return [d.name.padEnd(12), d.builtin ? 'built-in' : 'uploaded', `${d.nIn} inputs -> ${d.classes} classes`, `${d.trainRows} train / ${d.testRows} test`].join('  ')
}

export async function datasetsCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args
  return withDaemonErrors('datasets', async () => {
    switch (action) {
      case 'list': {
        const { values: f, positionals } = parseAction(rest, DAEMON_FLAGS)
        if (positionals.length) throw new UsageError(`list takes no positional arguments (got '${positionals[0]}')`)
        const r = await daemonClient(f).request<{ datasets: DatasetLine[] }>('GET', '/datasets')
        printOut(f.json ? r : r.datasets.map(datasetLine).join('\n'))
        return 0
      }
      case 'show': {
        const { values: f, positionals } = parseAction(rest, DAEMON_FLAGS)
        printOut(await daemonClient(f).request('GET', `/datasets/${encodeURIComponent(onePositional(positionals, action, 'dataset name'))}`))
        return 0
      }
      case 'upload': {
        const { values: f, positionals } = parseAction(rest, {
          ...DAEMON_FLAGS, name: { type: 'string' }, label: { type: 'string' }, 'test-fraction': { type: 'string' }, description: { type: 'string' },
        })
        const path = onePositional(positionals, action, 'CSV file')
        let csv: string
        try { csv = readFileSync(path, 'utf8') } catch (e) { throw new EqpError('EQP_ERR_FILE_READ', [path, (e as NodeJS.ErrnoException).code ?? String(e)]) }
        const body: Record<string, unknown> = { name: f.name ?? basename(path, extname(path)), csv }
        if (f.label !== undefined) body.labelColumn = f.label
        if (f['test-fraction'] !== undefined) body.testFraction = num(f['test-fraction'], 'test-fraction', 0.2, { min: 0, max: 0.9 })
        if (f.description !== undefined) body.description = f.description
        // the daemon's own schema, so a bad name or option is reported before the upload
        const checked = DatasetUpload.safeParse(body)
        if (!checked.success) {
          const lines = issueLines(checked.error.issues as unknown as IssueLike[]).map((l) => l.replace(/^name:/, `--name '${String(body.name)}':`))
          throw new UsageError(lines.join('; '))
        }
        const r = await daemonClient(f).request<DatasetLine>('POST', '/datasets', body)
        printOut(f.json ? r : datasetLine(r))
        return 0
      }
      default:
        throw new UsageError(action ? `unknown action '${action}'` : 'an action is required (list, show, upload)')
    }
  })
}
