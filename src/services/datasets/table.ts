// Uploaded tables: CSV parsing with errors that name the line and column, and the encoding into a
// Dataset (features min-max scaled to [-pi/2, pi/2] on the train split, classes as +-pi/2 targets).
import type { Dataset, Split } from '../../core/data/dataset.ts'
import { randomSplit, regressionDataset } from '../../core/data/regression.ts'
import { Rng } from '../../core/rng/rng.ts'
import { EqpError } from '../../errors.ts'
import { checkCsvLimits } from './csv-limits.ts'
import { DATASET_LIMITS, type DatasetUpload, type StoredTable } from './schemas.ts'

const H = Math.PI / 2

const bad = (where: string, reason: string): never => { throw new EqpError('EQP_ERR_BAD_INPUT', [where, reason]) }

/** Splits CSV text into records of fields (RFC 4180 quoting; CRLF or LF), with each record's line number. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = []
  let fields: string[] = [], field = '', quoted = false, line = 1, start = 1, i = 0
  const endRecord = () => {
    fields.push(field)
    if (!(fields.length === 1 && fields[0].trim() === '')) out.push({ line: start, fields })
    fields = []; field = ''
  }
  while (i < text.length) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue }
        quoted = false; i++; continue
      }
      if (ch === '\n') line++
      field += ch; i++; continue
    }
    if (ch === '"' && field === '') { quoted = true; i++; continue }
    if (ch === ',') { fields.push(field); field = ''; i++; continue }
    if (ch === '\r' && text[i + 1] === '\n') { i++; continue }
    if (ch === '\n') { endRecord(); line++; start = line; i++; continue }
    field += ch; i++
  }
  if (quoted) bad(`csv.line ${start}`, 'a quoted field is not closed')
  if (field !== '' || fields.length) endRecord()
  return out
}

/** A number from a CSV cell, or a 400 naming the line and column. */
function cell(v: string, line: number, col: string): number {
  const t = v.trim()
  const x = Number(t)
  if (t === '' || !Number.isFinite(x)) bad(`csv.line ${line}`, `column '${col}': '${v.length > 40 ? v.slice(0, 40) + '...' : v}' is not a finite number`)
  return x
}

/** Checks and converts an upload into the stored table form; every problem names its row and field. */
export function tableFromUpload(u: DatasetUpload): StoredTable {
  let featureNames: string[]
  let targetName = 'y'
  const raw: { x: number[]; label: string }[] = []
  if (u.csv !== undefined) {
    // CSV inside a JSON body: the limits are checked by a scan that stops at the first one crossed
    checkCsvLimits(u.csv)
    const recs = parseCsv(u.csv)
    if (recs.length < 3) bad('csv', `needs a header and at least 2 data rows, got ${Math.max(0, recs.length - 1)} data rows`)
    const header = recs[0].fields.map((h) => h.trim())
    if (header.length < 2) bad('csv.line 1', 'the header needs at least one feature column and a label column')
    if (header.length - 1 > DATASET_LIMITS.features) bad('csv.line 1', `at most ${DATASET_LIMITS.features} feature columns`)
    const seen = new Set<string>()
    header.forEach((h, k) => {
      if (h === '') bad('csv.line 1', `column ${k + 1} has no name`)
      if (seen.has(h)) bad('csv.line 1', `column '${h}' appears twice`)
      seen.add(h)
    })
    const lab = u.labelColumn ?? (header.includes('label') ? 'label' : header[header.length - 1])
    const li = header.indexOf(lab)
    if (li < 0) bad('labelColumn', `no column '${lab}' in the header (${header.join(', ')})`)
    featureNames = header.filter((_, k) => k !== li)
    targetName = lab
    if (recs.length - 1 > DATASET_LIMITS.rows) bad('csv', `at most ${DATASET_LIMITS.rows} rows, got ${recs.length - 1}`)
    for (const r of recs.slice(1)) {
      if (r.fields.length !== header.length) bad(`csv.line ${r.line}`, `expected ${header.length} columns, got ${r.fields.length}`)
      const label = r.fields[li].trim()
      if (label === '') bad(`csv.line ${r.line}`, `column '${lab}': the label is empty`)
      if (u.kind === 'regression') cell(label, r.line, lab)
      raw.push({ x: r.fields.flatMap((v, k) => (k === li ? [] : [cell(v, r.line, header[k])])), label })
    }
  } else {
    const rows = u.rows ?? []
    if (rows.length < 2) bad('rows', `needs at least 2 rows, got ${rows.length}`)
    const nf = rows[0].features.length
    rows.forEach((r, k) => { if (r.features.length !== nf) bad(`rows.${k}.features`, `has ${r.features.length} values, row 0 has ${nf}`) })
    featureNames = Array.from({ length: nf }, (_, k) => `x${k}`)
    rows.forEach((r, k) => {
      if (u.kind === 'regression' && typeof r.label !== 'number') bad(`rows.${k}.label`, 'a regression target must be a number')
      if (u.kind !== 'regression' && typeof r.label === 'number' && !Number.isInteger(r.label)) bad(`rows.${k}.label`, 'a class label is text or a whole number (kind "regression" takes numeric targets)')
    })
    for (const r of rows) raw.push({ x: r.features, label: String(r.label) })
  }
  if (u.kind === 'regression') {
    const target = raw.map((r) => Number(r.label))
    if (target.every((v) => v === target[0])) bad(u.csv !== undefined ? 'csv' : 'rows', 'the regression target has the same value on every row')
    return { featureNames, classNames: [], x: raw.map((r) => r.x), label: [], testFraction: u.testFraction, kind: 'regression', target, targetName }
  }
  // numeric labels sort numerically, others lexically, so class k is the same for the same table
  const names = [...new Set(raw.map((r) => r.label))]
  const numeric = names.every((n) => /^-?\d+(\.\d+)?$/.test(n))
  names.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined)
  if (names.length < 2) bad(u.csv !== undefined ? 'csv' : 'rows', `needs at least 2 classes, got ${names.length}`)
  if (names.length > DATASET_LIMITS.classes) bad(u.csv !== undefined ? 'csv' : 'rows', `at most ${DATASET_LIMITS.classes} classes, got ${names.length}`)
  const index = new Map(names.map((n, k) => [n, k]))
  return { featureNames, classNames: names, x: raw.map((r) => r.x), label: raw.map((r) => index.get(r.label)!), testFraction: u.testFraction }
}

/** The Dataset of a stored table: per-class split by seed, features scaled on train, +-pi/2 targets (regression: regressionDataset). */
export function tableDataset(name: string, t: StoredTable, seed: number): Dataset {
  if (t.kind === 'regression') {
    // no classes to stratify: a random split, then features and the target scaled on train (regression.ts)
    const target = t.target ?? []
    return regressionDataset(name, t.x, target.map((v) => [v]), randomSplit(target.length, t.testFraction, seed))
  }
  const nIn = t.featureNames.length, C = t.classNames.length
  const nOut = C === 2 ? 1 : C
  const rng = new Rng(seed)
  const trainIdx: number[] = [], testIdx: number[] = []
  for (let k = 0; k < C; k++) {
    const idx = t.label.flatMap((l, i) => (l === k ? [i] : []))
    rng.shuffle(idx)
    const nTest = Math.min(idx.length - 1, Math.round(t.testFraction * idx.length))
    testIdx.push(...idx.slice(0, nTest))
    trainIdx.push(...idx.slice(nTest))
  }
  trainIdx.sort((a, b) => a - b)
  testIdx.sort((a, b) => a - b)
  const lo = new Array<number>(nIn).fill(Infinity), hi = new Array<number>(nIn).fill(-Infinity)
  for (const i of trainIdx) for (let f = 0; f < nIn; f++) { lo[f] = Math.min(lo[f], t.x[i][f]); hi[f] = Math.max(hi[f], t.x[i][f]) }
  const split = (rows: number[]): Split => {
    const n = rows.length
    const x = new Float64Array(n * nIn), y = new Float64Array(n * nOut).fill(-H), label = new Int32Array(n)
    rows.forEach((i, r) => {
      for (let f = 0; f < nIn; f++) {
        const span = hi[f] - lo[f]
        x[r * nIn + f] = span > 0 ? -H + (Math.PI * (t.x[i][f] - lo[f])) / span : 0
      }
      label[r] = t.label[i]
      if (nOut === 1) y[r] = t.label[i] === 1 ? H : -H
      else y[r * nOut + t.label[i]] = H
    })
    return { x, y, label, rows: n }
  }
  const train = split(trainIdx)
  const test = testIdx.length ? split(testIdx) : { x: train.x.slice(), y: train.y.slice(), label: train.label.slice(), rows: train.rows }
  return { name, nIn, nOut, classes: C, train, test }
}
