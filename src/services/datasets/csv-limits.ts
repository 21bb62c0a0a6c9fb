// The upload limits of a CSV table, checked as the text arrives: a scanner that follows RFC 4180
// quoting across chunk boundaries and counts columns and records, so an upload over a limit is
// refused at the first record that crosses it, before anything is parsed or kept.
import { EqpError } from '../../errors.ts'
import { DATASET_LIMITS } from './schemas.ts'

export interface CsvLimits {
  /** data rows (records after the header) */
  rows: number
  /** feature columns (header fields minus the label) */
  features: number
}

/** Counts CSV records chunk by chunk and throws at the first limit crossed. */
export class CsvLimitScanner {
  /** non-blank records seen so far, the header included */
  records = 0
  private quoted = false
  /** a '"' ended the last chunk inside a quoted field: an escaped quote or the closing one */
  private quoteAtEnd = false
  private fieldStart = true
  private fields = 1
  private blank = true
  private line = 1
  private recordLine = 1

  constructor(private readonly limits: CsvLimits = DATASET_LIMITS) {}

  /** Scans the next piece of text (any split, even inside a quoted field). */
  push(text: string): void {
    let i = 0
    if (this.quoteAtEnd) {
      this.quoteAtEnd = false
      if (text[0] === '"') i = 1          // "" : an escaped quote, still inside
      else this.quoted = false
    }
    for (; i < text.length; i++) {
      const ch = text[i]
      if (this.quoted) {
        if (ch === '"') {
          if (i + 1 === text.length) { this.quoteAtEnd = true; continue }
          if (text[i + 1] === '"') { i++; continue }
          this.quoted = false
        } else if (ch === '\n') this.line++
        continue
      }
      if (ch === '"' && this.fieldStart) { this.quoted = true; this.fieldStart = false; this.blank = false; continue }
      if (ch === ',') { this.fields++; this.fieldStart = true; this.blank = false; continue }
      if (ch === '\n') { this.endRecord(); this.line++; this.recordLine = this.line; continue }
      if (ch !== '\r' && ch !== ' ' && ch !== '\t') this.blank = false
      this.fieldStart = false
    }
  }

  /** The end of the text: a last record without a newline counts too. */
  end(): void {
    if (this.quoteAtEnd) { this.quoteAtEnd = false; this.quoted = false }
    if (!this.blank || this.fields > 1) this.endRecord()
  }

  private endRecord(): void {
    const blank = this.blank && this.fields === 1
    const fields = this.fields
    this.fields = 1
    this.fieldStart = true
    this.blank = true
    if (blank) return
    this.records++
    if (this.records === 1 && fields - 1 > this.limits.features) {
      throw new EqpError('EQP_ERR_BAD_INPUT', ['csv.line 1', `at most ${this.limits.features} feature columns, got ${fields - 1}`])
    }
    if (this.records - 1 > this.limits.rows) throw new EqpError('EQP_ERR_UPLOAD_LIMIT', ['rows', this.limits.rows, this.recordLine])
  }
}

/** Checks a whole CSV text against the limits (for CSV that came inside a JSON body). */
export function checkCsvLimits(text: string, limits: CsvLimits = DATASET_LIMITS): void {
  const s = new CsvLimitScanner(limits)
  s.push(text)
  s.end()
}
