// Every error code the project raises. Imports nothing, so every layer (core excepted) may use it.
// Each edge translates codes for its audience: HTTP uses statusCode, the CLI prints `code: message`.

const def = <M extends (...a: never[]) => string>(statusCode: number, message: M) => ({ statusCode, message })

export const codes = {
  // input (CLI flags, files, request bodies)
  EQP_ERR_BAD_INPUT: def(400, (where: string, reason: string) => `${where}: ${reason}`),
  EQP_ERR_FILE_READ: def(400, (path: string, reason: string) => `cannot read '${path}': ${reason}`),
  // devices
  EQP_ERR_DEVICE_CLOSED: def(409, (uid: string) => `device '${uid}' is closed`),
  EQP_ERR_DEVICE_BATCH: def(400, (uid: string, got: number, max: number) => `device '${uid}' takes at most ${max} samples per relax, got ${got}`),
  EQP_ERR_DEVICE_NO_PREVIOUS: def(409, (uid: string) => `device '${uid}' has no previous equilibrium for this batch shape`),
  EQP_ERR_DEVICE_NOT_CLAMPABLE: def(400, (uid: string, node: number) => `device '${uid}' cannot clamp node ${node}`),
  // runs
  EQP_ERR_RUN_BAD_TRANSITION: def(409, (from: string, to: string) => `run cannot go ${from} -> ${to}`),
  EQP_ERR_TASK_MISMATCH: def(400, (reason: string) => `network does not fit the task: ${reason}`),
}

export type ErrorCode = keyof typeof codes

export class EqpError<C extends ErrorCode = ErrorCode> extends Error {
  readonly statusCode: number
  constructor(readonly code: C, args: Parameters<(typeof codes)[C]['message']>, options?: ErrorOptions) {
    super((codes[code].message as (...a: unknown[]) => string)(...args), options)
    this.name = `EqpError [${code}]`
    this.statusCode = codes[code].statusCode
  }
}
