// eqprop-hil study: trains the entries of a study config for their seeds and writes a comparison table.
import { readStudyConfig } from '../../services/study/config.ts'
import { queueRunner, studyIdFor } from '../../services/study/queue-study.ts'
import { runStudy } from '../../services/study/run.ts'
import { parseQueueUrl } from '../../services/study/trial-queue.ts'
import { availableParallelism } from 'node:os'
import { basename } from 'node:path'
import { num, parseFlags, required, UsageError } from '../usage.ts'

/** 75 s -> "1 min 15 s"; 5000 s -> "1 h 23 min". */
function formatDuration(s: number): string {
  if (s < 60) return `${Math.round(s)} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
}

export const STUDY_HELP = `eqprop-hil study --config STUDY.json [--out DIR] [--workers N|auto | --queue URL [--ack-wait S]] [--fresh] [--json]

  --config F     the study: {"name": ..., "entries": [{"label", "network", "task", "epochs", "seeds": [..] | n,
                 train hyper-parameters by their TrainConfig names (lr, beta, estimator, optimiser ("adam" or
                 {"kind": ...}), batchSize, mInit, trainBias, evalEvery, ...), solver, dynamics, dynamicsT, tol, stopAtDistance,
                 "target": {"metric": "test_acc" | "distance", "value": V}}]}; see docs/how-to/study.md
  --out DIR      where results.md, results.csv, the figures (reached, epochs, accuracy, distance, curves .png)
                 and <label>-seed<k>.json go (default out/study-<name>)
  --workers N    train N runs at once on worker threads (default auto: one per core; the results do not depend on N)
  --queue URL    run the trials on \`eqprop-hil worker\` processes (any host) through NATS JetStream:
                 nats://HOST:4222[/NAME] (NAME defaults to eqprop-study); same table as a local run
  --ack-wait S   with --queue: seconds (1-3600) without a heartbeat before a worker's trial goes to another
                 worker (default: keep the queue's setting, 30 s for a new queue)
  --fresh        retrain every run; by default a study resumes, keeping the run files in DIR whose entry
                 settings are unchanged (results.md and results.csv are rewritten as each run finishes)
  --json         print the summaries as one JSON line on stdout instead of the markdown table`

export async function studyCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    config: { type: 'string' }, out: { type: 'string' }, workers: { type: 'string' }, queue: { type: 'string' }, 'ack-wait': { type: 'string' },
    fresh: { type: 'boolean' }, json: { type: 'boolean' },
  })
  if (f.queue !== undefined && f.workers !== undefined) throw new UsageError('--workers and --queue exclude each other (with --queue, workers are `eqprop-hil worker` processes)')
  if (f.queue === undefined && f['ack-wait'] !== undefined) throw new UsageError('--ack-wait needs --queue')
  const queue = f.queue === undefined ? undefined : parseQueueUrl(f.queue)
  const ackWaitS = f['ack-wait'] === undefined ? undefined : num(f['ack-wait'], 'ack-wait', 30, { min: 1, max: 3600 })
  const config = readStudyConfig(required(f.config, 'config'))
  const outDir = f.out ?? `out/study-${config.name.replace(/[^A-Za-z0-9._-]+/g, '-')}`
  const workers = f.workers === undefined || f.workers === 'auto' ? availableParallelism() : num(f.workers, 'workers', 1, { int: true, min: 1, max: 64 })
  const r = await runStudy(config, {
    outDir, workers, resume: !f.fresh,
    runner: queue && queueRunner(queue, { studyId: studyIdFor(outDir), ackWaitS }),
    onRun: (run, done, total, etaS) => {
      if (!f.json) process.stderr.write(`[${done}/${total}] ${run.label} seed ${run.seed}: test accuracy ${run.test?.accuracy.toFixed(3) ?? '-'}, ` +
        `${run.epochs} epochs${run.epochsToTarget !== null ? `, target at epoch ${run.epochsToTarget}` : ''}, ${run.wallS.toFixed(1)} s` +
        `${etaS !== null && done < total ? `; ETA ${formatDuration(etaS)}` : ''}\n`)
    },
  })
  if (f.json) process.stdout.write(JSON.stringify({ name: config.name, out: outDir, wall_s: Number(r.wallS.toFixed(2)), entries: r.summaries, figures: r.figures }) + '\n')
  else {
    process.stdout.write(r.markdown)
    const figs = r.figures.map((p) => basename(p)).join(', ')
    process.stdout.write(`written: ${outDir}/results.md, results.csv${figs ? `, ${figs}` : ''} and ${r.runs.length} run files (${r.wallS.toFixed(1)} s)\n`)
  }
  return 0
}
