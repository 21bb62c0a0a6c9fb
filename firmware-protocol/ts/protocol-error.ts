// The one error the codec raises on bad wire data. Its numeric code is the NACK code of messages.json,
// so a board emulator can answer with it directly and a host can count it by name.
import { ERROR_CODES, type ErrorName } from './types-gen.ts'

const NAME_BY_CODE: ReadonlyMap<number, ErrorName> = new Map(
  (Object.entries(ERROR_CODES) as [ErrorName, number][]).map(([name, code]) => [code, name]),
)

/** The table name of a NACK code, or undefined for a code this side does not know. */
export function errorName(code: number): ErrorName | undefined {
  return NAME_BY_CODE.get(code)
}

export interface ProtocolErrorInfo {
  /** the NACK detail (SPEC section 8): an offset, a size, an id, or 0 */
  detail?: number
  /** sequence number from the header, when the frame was long enough to have one */
  seq?: number
  /** message id from the header, when known */
  msgId?: number
}

/** Bad wire data: `code` is the NACK code, `codeName` its table name. */
export class ProtocolError extends Error {
  readonly code: number
  readonly codeName: ErrorName
  readonly detail: number
  readonly seq?: number
  readonly msgId?: number

  constructor(codeName: ErrorName, message: string, info: ProtocolErrorInfo = {}) {
    super(`${codeName}: ${message}`)
    this.name = 'ProtocolError'
    this.codeName = codeName
    this.code = ERROR_CODES[codeName]
    this.detail = info.detail ?? 0
    if (info.seq !== undefined) this.seq = info.seq
    if (info.msgId !== undefined) this.msgId = info.msgId
  }
}
