// The study table: one row per entry, aggregated over its seeds, as markdown and CSV.
import type { StudyEntry } from './config.ts'
import type { StudyRun } from './run.ts'

/** One entry aggregated over its seeds (accuracies as fractions, wall time in s). */
export interface EntrySummary {
  label: string
  network: string
  task: string
  couplings: number
  parameters: number
  seeds: number
  testAcc: { mean: number; std: number } | null
  trainAcc: { mean: number; std: number } | null
  target: StudyEntry['target'] | null
  /** seeds that met the target / seeds (null without a target) */
  reached: number | null
  /** median over the seeds that met the target (null when none did or there is no target) */
  medianEpochsToTarget: number | null
  /** sum of the runs' wall times */
  wallS: number
}

/** Mean and sample standard deviation (n - 1; 0 for one value), or null for none. */
export function meanStd(v: number[]): { mean: number; std: number } | null {
  if (v.length === 0) return null
  const mean = v.reduce((a, b) => a + b, 0) / v.length
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0
  return { mean, std }
}

/** Median (mean of the middle two for an even count), or null for none. */
export function median(v: number[]): number | null {
  if (v.length === 0) return null
  const s = [...v].sort((a, b) => a - b), h = s.length >> 1
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2
}

/** Wilson score interval of a binomial proportion k/n (95% for z = 1.96); [0, 1] for n = 0. */
export function wilsonInterval(k: number, n: number, z = 1.959964): [number, number] {
  if (n <= 0) return [0, 1]
  const p = k / n, z2 = z * z, d = 1 + z2 / n
  const centre = (p + z2 / (2 * n)) / d
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / d
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}

/** Aggregates an entry's runs. */
export function summarise(entry: StudyEntry, runs: StudyRun[]): EntrySummary {
  const reachedEpochs = runs.flatMap((r) => (r.epochsToTarget === null ? [] : [r.epochsToTarget]))
  return {
    label: entry.label, network: entry.network, task: entry.task,
    couplings: runs[0]?.couplings ?? 0, parameters: runs[0]?.parameters ?? 0, seeds: runs.length,
    testAcc: meanStd(runs.flatMap((r) => (r.test ? [r.test.accuracy] : []))),
    trainAcc: meanStd(runs.flatMap((r) => (r.train ? [r.train.accuracy] : []))),
    target: entry.target ?? null,
    reached: entry.target ? reachedEpochs.length / Math.max(1, runs.length) : null,
    medianEpochsToTarget: entry.target ? median(reachedEpochs) : null,
    wallS: runs.reduce((a, r) => a + r.wallS, 0),
  }
}

const pct = (x: { mean: number; std: number } | null) => (x ? `${(100 * x.mean).toFixed(1)} ± ${(100 * x.std).toFixed(1)}` : '-')
const targetText = (t: EntrySummary['target']) => (t ? (t.metric === 'test_acc' ? `test acc >= ${t.value}` : `D < ${t.value}`) : '-')

/** The markdown report: a heading, the table, and what the columns mean. */
export function studyMarkdown(name: string, rows: EntrySummary[], progress?: { done: number; total: number }): string {
  const head = ['entry', 'network', 'task', 'couplings', 'trainable params', 'seeds', 'test acc % (mean ± std)', 'train acc % (mean ± std)', 'target', 'reached', 'median epochs to target', 'wall s']
  const lines = [
    `# ${name}`, '',
    ...(progress && progress.done < progress.total ? [`Partial: ${progress.done} of ${progress.total} runs finished; the table grows as runs finish.`, ''] : []),
    `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${[
      r.label, `\`${r.network}\``, r.task, r.couplings, r.parameters, r.seeds, pct(r.testAcc), pct(r.trainAcc), targetText(r.target),
      r.reached === null ? '-' : `${Math.round(r.reached * r.seeds)}/${r.seeds}`, r.medianEpochsToTarget ?? '-', r.wallS.toFixed(1),
    ].join(' | ')} |`),
    '',
    'test acc: the final test evaluation; train acc: the last epoch\'s training batches (free phase); std over seeds (n - 1).',
    'reached: seeds whose test accuracy at an evaluation met the target (test acc), or whose epoch-mean training D fell below it (D);',
    'median epochs over those seeds. trainable params: coupling values (tied kernels count once) plus h and psi per node when trained.',
    'wall s: sum over the seeds.', '',
  ]
  return lines.join('\n')
}

/** The CSV report: one header line and one line per entry (fractions, not percent). */
export function studyCsv(rows: EntrySummary[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  const n = (x: number | null | undefined, d = 4) => (x === null || x === undefined ? '' : Number(x.toFixed(d)).toString())
  const head = 'label,network,task,couplings,parameters,seeds,test_acc_mean,test_acc_std,train_acc_mean,train_acc_std,target_metric,target_value,reached_fraction,median_epochs_to_target,wall_s'
  return [head, ...rows.map((r) => [
    q(r.label), q(r.network), q(r.task), r.couplings, r.parameters, r.seeds, n(r.testAcc?.mean), n(r.testAcc?.std), n(r.trainAcc?.mean), n(r.trainAcc?.std),
    r.target?.metric ?? '', r.target ? String(r.target.value) : '', n(r.reached), n(r.medianEpochsToTarget, 1), n(r.wallS, 2),
  ].join(','))].join('\n') + '\n'
}
