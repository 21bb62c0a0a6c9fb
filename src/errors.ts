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
  // daemon
  EQP_ERR_ROUTE_NOT_FOUND: def(404, (method: string, url: string) => `no route ${method} ${url}`),
  EQP_ERR_DEVICE_NOT_FOUND: def(404, (id: string) => `device '${id}' does not exist`),
  EQP_ERR_DEVICE_LEASED: def(409, (id: string, holder: string) => `device '${id}' is leased by ${holder}; reads still work, writes wait until that run ends or is cancelled`),
  EQP_ERR_RUN_NOT_FOUND: def(404, (id: string) => `run '${id}' does not exist`),
  EQP_ERR_BOARD_HELD: def(409, (uid: string, owner: string) => `board '${uid}' is attached to daemon '${owner}' on the shared store: detach it there first`),
  EQP_ERR_RUN_ELSEWHERE: def(409, (id: string, owner: string) => `run '${id}' trains on a device of daemon '${owner}' (a shared store): pause, resume or cancel it there`),
  EQP_ERR_DATASET_NOT_FOUND: def(404, (name: string) => `dataset '${name}' does not exist`),
  EQP_ERR_DATASET_EXISTS: def(409, (name: string) => `dataset '${name}' already exists`),
  EQP_ERR_UNAUTHORIZED: def(401, (reason: string) => `unauthorized: ${reason}`),
  EQP_ERR_RATE_LIMITED: def(429, (route: string, perS: number) => `${route} is limited to ${perS} requests/s per client; retry later`),
  EQP_ERR_BODY_TOO_LARGE: def(413, (limit: number) => `body: larger than the limit of ${limit} bytes`),
  EQP_ERR_UPLOAD_LIMIT: def(413, (what: string, limit: number, line: number) => `csv: more than ${limit} ${what}, the upload limit; refused at line ${line}, before reading further`),
  EQP_ERR_MEDIA_TYPE: def(415, (type: string) => `content-type: '${type}' is not accepted here`),
  EQP_ERR_INSECURE_BIND: def(400, (host: string) => `refusing to listen on non-loopback address '${host}' without a bearer token (give --token or EQP_TOKENS)`),
  EQP_ERR_SHUTTING_DOWN: def(503, () => 'the daemon is shutting down'),
  EQP_ERR_DAEMON_UNREACHABLE: def(503, (url: string, reason: string) => `no daemon at ${url}: ${reason}`),
  EQP_ERR_INTERNAL: def(500, () => 'internal error (see the daemon log)'),
  // boards and wire protocol
  EQP_ERR_DEVICE_NOT_CONNECTED: def(503, (where: string) => `no board connected on '${where}' yet`),
  EQP_ERR_DEVICE_PORT_BUSY: def(409, (path: string, reason: string) => `serial port '${path}' is busy (another process holds it): ${reason}`),
  EQP_ERR_DEVICE_PORT_OPEN: def(503, (path: string, reason: string) => `cannot open serial port '${path}': ${reason}`),
  EQP_ERR_DEVICE_NO_HELLO: def(504, (where: string, waitedS: number) => `no board answered HELLO on '${where}' within ${waitedS} s`),
  EQP_ERR_DEVICE_LOST: def(503, (uid: string, silentS: number) => `device '${uid}' lost for ${silentS} s`),
  EQP_ERR_DEVICE_UID_MISMATCH: def(409, (where: string, expected: string, got: string) => `the board on '${where}' reports uid '${got}', expected '${expected}'`),
  EQP_ERR_DEVICE_CHANGED: def(409, (uid: string, what: string) => `device '${uid}' changed since the first handshake: ${what}`),
  EQP_ERR_DEVICE_UNSUPPORTED: def(400, (uid: string, what: string) => `device '${uid}' does not support ${what}`),
  EQP_ERR_PROTO_VERSION: def(409, (where: string, boardMajor: number, hostMajor: number) => `the board on '${where}' speaks protocol major ${boardMajor}, this host speaks ${hostMajor}: update the firmware or the host`),
  EQP_ERR_PROTO_NACK: def(502, (msg: string, reason: string) => `board refused ${msg}: ${reason}`),
  EQP_ERR_PROTO_VIOLATION: def(502, (where: string, what: string) => `the board on '${where}' broke the protocol: ${what}`),
  EQP_ERR_MQTT_CONNECT: def(503, (url: string, reason: string) => `cannot connect to the MQTT broker at ${url}: ${reason}`),
  EQP_ERR_MQTT_AUTH: def(403, (url: string, reason: string) => `the MQTT broker at ${url} refused the credentials: ${reason}`),
  EQP_ERR_MQTT_BOARD_OFFLINE: def(503, (uid: string, where: string, why: string) => `board '${uid}' is not online at ${where}: ${why}`),
  EQP_ERR_FLEET_MISMATCH: def(400, (why: string) => `these devices cannot train as one fleet: ${why}`),
  // paper scale
  EQP_ERR_DATASET_MISSING: def(503, (name: string, path: string, install: string) => `dataset '${name}' needs ${path}, which is not installed: ${install}`),
  EQP_ERR_PLOT_NOT_FOUND: def(404, (name: string, known: string) => `plot '${name}' does not exist; known plots: ${known}`),
  // distributed studies
  EQP_ERR_QUEUE_CONNECT: def(503, (url: string, reason: string) => `cannot reach the trial queue at ${url}: ${reason}`),
  EQP_ERR_QUEUE_TRIAL_FAILED: def(502, (label: string, seed: number, where: string, reason: string) => `trial ${label} seed ${seed} failed on ${where}: ${reason}`),
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
