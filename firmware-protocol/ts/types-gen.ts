// Generated from firmware-protocol/messages.json by firmware-protocol/gen/gen-ts.ts. Do not edit;
// run `node --import tsx firmware-protocol/gen/gen-ts.ts` after changing the table.

export const PROTOCOL = {
  name: 'eqprop-wire',
  major: 1,
  minor: 1,
  headerSize: 8,
  crcSize: 4,
  minFrameLimit: 256,
  maxFrameLimit: 65535,
  defaultWatchdogMs: 2000,
} as const

/** The physics of the substrate. */
export type Model = 'xy' | 'oim' | 'resistor' | 'ising'
/** What GET_STATE can return: node states only, or node states and per-edge observables. */
export type Reports = 'states' | 'states+edges'
/** Which node list GET_NODE_LIST reads. */
export type NodeList = 'clampable' | 'nudgeable'
/** Relaxation phase of EqProp. */
export type Phase = 'free' | 'nudged'
/** How the nudged phase pushes the outputs: beta times a cost towards SET_TARGETS values, or the explicit SET_FORCE vector. */
export type Nudge = 'cost' | 'force'
/** Cost C(s, t) summed over the nudgeable nodes; d = s - t. log-cos: -log(1 + cos d); one-minus-cos: 1 - cos d; squared: d^2 / 2. */
export type Cost = 'log-cos' | 'one-minus-cos' | 'squared'
/** Where each sample starts: random from the seed, the sample's previous equilibrium, the SET_START states, or (since 1.2, capability readoutStart) the states its last free RELAX reported (SPEC 6.5). */
export type Start = 'random' | 'previous' | 'given' | 'readout'
/** What GET_STATE reads: node states (state_lsb units) or per-edge observables dE/dW (edge_lsb units). */
export type StateKind = 'nodes' | 'edges'
/** The board's session state (SPEC section 7). */
export type BoardState = 'boot' | 'ready' | 'busy' | 'safe' | 'offline'
/** How a board turns its two equilibria into an update (on-board learning, SPEC section 13). one-sided: Delta theta = -(eta/beta) times the mean over accumulated samples of dE/dtheta(nudged) - dE/dtheta(free). */
export type LearnEstimator = 'one-sided'

/** Optional features of a board. Bit masks. */
export const CAPABILITY = { 'forceVector': 1, 'givenStart': 2, 'bias': 4, 'onBoardLearning': 8, 'readoutStart': 16 } as const
/** Supported costs: bit k set = cost enum value k is supported. Bit masks. */
export const COSTS = { 'log-cos': 1, 'one-minus-cos': 2, 'squared': 4 } as const

/** A parameter's range: values are clipped to [min, max]; levels = 0 means continuous, otherwise that many evenly spaced values. */
export interface Range {
  min: number
  max: number
  levels: number
}
/** One coupling between nodes a and b. */
export interface Edge {
  a: number
  b: number
}
/** One clamped node and its value in state_lsb units. */
export interface Clamp {
  node: number
  value: number
}

/** HELLO (0x01, command, host-to-board): Opens (or reopens) a session. Accepted in every board state. Clears per-sample data (clamps, targets, forces, start states, previous equilibria), aborts any relaxation, re-arms the watchdog. Parameters are left as they are (zero after boot or the safe state). */
export interface HelloBody {
  /** the host's protocol minor */
  protoMinor: number
  /** largest inner frame the host accepts, bytes (>= 256) */
  maxFrame: number
  /** requested host-silence watchdog; 0 = board default; (ms) */
  watchdogMs: number
  /** since 1.1: commands the host wants to keep outstanding (SPEC 5.3); 0 or absent = 1 */
  window?: number
}
/** DEVICE_INFO (0x81, reply, board-to-host): Identity, versions, capabilities and limits. Always fits in 256 bytes. The edge and node lists are read with GET_EDGES and GET_NODE_LIST. */
export interface DeviceInfoBody {
  /** the board's protocol minor; both sides use min(host, board) */
  protoMinor: number
  model: Model
  reports: Reports
  /** bit set of CAPABILITY */
  capabilities: number
  /** bit set of COSTS */
  costs: number
  /** frame limit for this session, both directions: min(host, board), bytes */
  maxFrame: number
  /** samples per RELAX (>= 1) */
  maxBatch: number
  nodeCount: number
  edgeCount: number
  clampableCount: number
  nudgeableCount: number
  /** range of each coupling W */
  coupling: Range
  /** range of each bias strength h */
  bias: Range
  /** value of one i16 state unit (rad for xy/oim, V for resistor, 1 for ising); xy/oim boards use 2^-13 */
  stateLsb: number
  /** value of one i16 edge-observable unit; 0 if reports = states */
  edgeLsb: number
  /** watchdog in effect for this session; (ms) */
  watchdogMs: number
  /** incremented at every boot, kept in non-volatile memory */
  bootCounter: number
  /** stable board identity: [A-Za-z0-9._-], 1..32 chars; at most 32 chars */
  uid: string
  /** firmware version, e.g. 1.4.2+g1a2b3c4; at most 32 chars */
  firmware: string
  /** since 1.1: commands the host may keep outstanding in this session, min(host, board) (SPEC 5.3); 0 or absent = 1 */
  window?: number
}
/** GET_EDGES (0x02, command, host-to-board): Reads the edge list (the couplings that exist, in parameter order), in chunks. */
export interface GetEdgesBody {
  /** first edge index */
  offset: number
  /** at most this many edges; 0 = as many as fit */
  count: number
}
/** EDGES (0x82, reply, board-to-host) */
export interface EdgesBody {
  offset: number
  /** edge_count */
  total: number
  edges: Edge[]
}
/** GET_NODE_LIST (0x03, command, host-to-board): Reads the clampable or nudgeable node ids, in chunks. Their order is the order CLAMP inputs and SET_TARGETS values refer to. */
export interface GetNodeListBody {
  list: NodeList
  offset: number
  /** 0 = as many as fit */
  count: number
}
/** NODE_LIST (0x83, reply, board-to-host) */
export interface NodeListBody {
  list: NodeList
  offset: number
  total: number
  nodes: number[]
}
/** SET_PARAMS (0x10, command, host-to-board): Writes parameters [offset, offset + n). The board clips and quantises each value; the reply carries them as applied. */
export interface SetParamsBody {
  /** first parameter index (SPEC section 6.3) */
  offset: number
  values: number[]
}
/** UPDATE_PARAMS (0x11, command, host-to-board): Adds deltas to parameters [offset, offset + n), then clips and quantises. Not idempotent by itself: only the reply cache makes a retry safe. */
export interface UpdateParamsBody {
  offset: number
  deltas: number[]
}
/** GET_PARAMS (0x12, command, host-to-board): Reads parameters as applied. */
export interface GetParamsBody {
  offset: number
  /** 0 = as many as fit */
  count: number
}
/** PARAMS (0x90, reply, board-to-host): Parameters as applied, for exactly the range of the command (SET/UPDATE) or up to the requested count (GET). */
export interface ParamsBody {
  offset: number
  /** number of parameters on the board */
  total: number
  values: number[]
}
/** CLAMP (0x20, command, host-to-board): Sets the clamped nodes of one sample. Clamps persist across RELAX calls until replaced or HELLO. */
export interface ClampBody {
  /** sample index < max_batch */
  sample: number
  /** true: clear this sample's clamps first (first chunk); false: add to them */
  replace: boolean
  clamps: Clamp[]
}
/** SET_TARGETS (0x21, command, host-to-board): Target values of one sample for the nudgeable nodes [offset, offset + n), in nudgeable-list order, state_lsb units. */
export interface SetTargetsBody {
  sample: number
  offset: number
  values: number[]
}
/** SET_FORCE (0x22, command, host-to-board): Explicit nudge force of one sample on nodes [offset, offset + n), applied as is (beta ignored). Needs capability forceVector. */
export interface SetForceBody {
  sample: number
  offset: number
  /** (energy per state unit) */
  values: number[]
}
/** SET_START (0x23, command, host-to-board): Start states of one sample for nodes [offset, offset + n), state_lsb units, used by RELAX start = given. Needs capability givenStart. */
export interface SetStartBody {
  sample: number
  offset: number
  values: number[]
}
/** RELAX (0x24, command, host-to-board): Relaxes samples 0..batch-1 with their clamps, then replies when all are done or the budget is spent. The board is busy meanwhile. */
export interface RelaxBody {
  /** 1..max_batch */
  batch: number
  phase: Phase
  /** ignored when phase = free */
  nudge: Nudge
  /** used when nudged with nudge = cost */
  cost: Cost
  start: Start
  /** nudge strength, used when nudged with nudge = cost */
  beta: number
  /** start = random: sample b draws from a stream seeded (seed + b) mod 2^32 */
  seed: number
  /** wall-time budget for the batch; 0 = board default; (us) */
  budgetUs: number
  /** step budget per sample; 0 = board default */
  maxSteps: number
}
/** RELAX_DONE (0xa4, reply, board-to-host) */
export interface RelaxDoneBody {
  batch: number
  /** how many samples settled */
  settled: number
  /** (us) */
  elapsedUs: number
}
/** GET_STATE (0x25, command, host-to-board): Reads one sample's equilibrium from the last RELAX, in chunks. */
export interface GetStateBody {
  sample: number
  kind: StateKind
  /** first node (kind = nodes) or edge (kind = edges) */
  offset: number
  /** 0 = as many as fit */
  count: number
}
/** STATE (0xa5, reply, board-to-host) */
export interface StateBody {
  sample: number
  kind: StateKind
  settled: boolean
  /** solver steps or board time steps; 0 if not counted */
  steps: number
  /** internal energy E at the equilibrium (without the nudge); NaN if not measured */
  energy: number
  offset: number
  /** node_count or edge_count */
  total: number
  /** state_lsb (nodes) or edge_lsb (edges) units */
  values: number[]
}
/** STOP (0x30, command, host-to-board): Aborts any relaxation and enters the safe state at once (as the watchdog would, without a FAULT). Accepted when busy. */
export type StopBody = Record<string, never>
/** ACK (0xfe, reply, board-to-host) */
export interface AckBody {
  /** id of the acknowledged command */
  ref: number
}
/** NACK (0xff, reply, board-to-host) */
export interface NackBody {
  /** id of the refused command (0 if unknown) */
  ref: number
  /** a code of ERROR_CODES */
  code: number
  detail: number
}
/** HEARTBEAT (0x40, event, both): Liveness, every watchdog_ms / 4 from each side when it has sent nothing else. The board reads no field of a host heartbeat; the host sends zeros. */
export interface HeartbeatBody {
  state: BoardState
  bootCounter: number
  /** (ms) */
  uptimeMs: number
  /** received frames dropped (COBS, size, CRC) since boot */
  rxBad: number
}
/** FAULT (0x41, event, board-to-host): The board entered the safe state (or booted). The host fails or suspends the command in flight and re-opens the session with HELLO. */
export interface FaultBody {
  /** a code of FAULT_CODES */
  code: number
  detail: number
}
/** LEARN_CONFIG (0x50, command, host-to-board): On-board learning (SPEC section 13): sets the learning rule of the session and discards any accumulated update. Needs capability onBoardLearning. */
export interface LearnConfigBody {
  /** learning rate of the couplings (>= 0) */
  eta: number
  /** learning rate of the bias strengths h and directions psi (>= 0); 0 = biases are not learned */
  biasEta: number
  /** nudge strength of LEARN_NUDGED (non-zero) */
  beta: number
  estimator: LearnEstimator
  /** cost of the nudge, towards the SET_TARGETS values */
  cost: Cost
}
/** LEARN_FREE (0x51, command, host-to-board): Sets the clamps and targets of samples 0..batch-1 from `samples`, relaxes them freely from random starts as RELAX (phase free, start random) does, and keeps each sample's free equilibrium for LEARN_NUDGED. The board is busy meanwhile. Replies with the output states. */
export interface LearnFreeBody {
  /** 1..max_batch; batch x (clampable_count + nudgeable_count) values must fit this frame and batch x nudgeable_count the LEARN_OUTPUTS reply */
  batch: number
  /** sample b draws its start from a stream seeded (seed + b) mod 2^32 */
  seed: number
  /** wall-time budget for the batch; 0 = board default; (us) */
  budgetUs: number
  /** step budget per sample; 0 = board default */
  maxSteps: number
  /** per sample: every clampable node's clamp value (GET_NODE_LIST(clampable) order), then its targets (nudgeable order); state_lsb units. They replace the sample's clamps (all clampable nodes clamped) and targets, as CLAMP and SET_TARGETS would */
  samples: number[]
}
/** LEARN_OUTPUTS (0xd1, reply, board-to-host) */
export interface LearnOutputsBody {
  batch: number
  /** how many samples settled */
  settled: number
  /** (us) */
  elapsedUs: number
  /** free output states: batch x nudgeable_count, sample by sample, each in GET_NODE_LIST(nudgeable) order, state_lsb units */
  values: number[]
}
/** LEARN_NUDGED (0x52, command, host-to-board): Relaxes samples 0..batch-1 nudged (beta and cost of LEARN_CONFIG, targets of SET_TARGETS) from their LEARN_FREE equilibria, and adds the contrast dE/dtheta(nudged) - dE/dtheta(free) of every sample that settled to the accumulated update. RELAX_DONE.settled counts the samples added. The board is busy meanwhile. */
export interface LearnNudgedBody {
  /** 1..max_batch; every sample needs a LEARN_FREE equilibrium */
  batch: number
  /** wall-time budget for the batch; 0 = board default; (us) */
  budgetUs: number
  /** step budget per sample; 0 = board default */
  maxSteps: number
}
/** LEARN_COMMIT (0x53, command, host-to-board): Applies the accumulated update, theta += -(eta/beta) sum / samples (biasEta for h and psi), then clips and quantises every changed parameter as UPDATE_PARAMS does, and clears the accumulator. With nothing accumulated it changes nothing. */
export type LearnCommitBody = Record<string, never>
/** LEARN_DISCARD (0x54, command, host-to-board): Clears the accumulated update without applying it. The rule and the free equilibria stay. */
export type LearnDiscardBody = Record<string, never>

/** Body type of each message, by name. */
export interface MessageBodies {
  HELLO: HelloBody
  DEVICE_INFO: DeviceInfoBody
  GET_EDGES: GetEdgesBody
  EDGES: EdgesBody
  GET_NODE_LIST: GetNodeListBody
  NODE_LIST: NodeListBody
  SET_PARAMS: SetParamsBody
  UPDATE_PARAMS: UpdateParamsBody
  GET_PARAMS: GetParamsBody
  PARAMS: ParamsBody
  CLAMP: ClampBody
  SET_TARGETS: SetTargetsBody
  SET_FORCE: SetForceBody
  SET_START: SetStartBody
  RELAX: RelaxBody
  RELAX_DONE: RelaxDoneBody
  GET_STATE: GetStateBody
  STATE: StateBody
  STOP: StopBody
  ACK: AckBody
  NACK: NackBody
  HEARTBEAT: HeartbeatBody
  FAULT: FaultBody
  LEARN_CONFIG: LearnConfigBody
  LEARN_FREE: LearnFreeBody
  LEARN_OUTPUTS: LearnOutputsBody
  LEARN_NUDGED: LearnNudgedBody
  LEARN_COMMIT: LearnCommitBody
  LEARN_DISCARD: LearnDiscardBody
}
export type MessageName = keyof MessageBodies
/** Messages the host sends (and the board accepts). */
export type HostToBoardName = 'HELLO' | 'GET_EDGES' | 'GET_NODE_LIST' | 'SET_PARAMS' | 'UPDATE_PARAMS' | 'GET_PARAMS' | 'CLAMP' | 'SET_TARGETS' | 'SET_FORCE' | 'SET_START' | 'RELAX' | 'GET_STATE' | 'STOP' | 'HEARTBEAT' | 'LEARN_CONFIG' | 'LEARN_FREE' | 'LEARN_NUDGED' | 'LEARN_COMMIT' | 'LEARN_DISCARD'
/** Messages the board sends (and the host accepts). */
export type BoardToHostName = 'DEVICE_INFO' | 'EDGES' | 'NODE_LIST' | 'PARAMS' | 'RELAX_DONE' | 'STATE' | 'ACK' | 'NACK' | 'HEARTBEAT' | 'FAULT' | 'LEARN_OUTPUTS'
/** Messages that expect exactly one reply (or NACK). */
export type CommandName = 'HELLO' | 'GET_EDGES' | 'GET_NODE_LIST' | 'SET_PARAMS' | 'UPDATE_PARAMS' | 'GET_PARAMS' | 'CLAMP' | 'SET_TARGETS' | 'SET_FORCE' | 'SET_START' | 'RELAX' | 'GET_STATE' | 'STOP' | 'LEARN_CONFIG' | 'LEARN_FREE' | 'LEARN_NUDGED' | 'LEARN_COMMIT' | 'LEARN_DISCARD'

export const MESSAGE_IDS = {
  HELLO: 0x01,
  DEVICE_INFO: 0x81,
  GET_EDGES: 0x02,
  EDGES: 0x82,
  GET_NODE_LIST: 0x03,
  NODE_LIST: 0x83,
  SET_PARAMS: 0x10,
  UPDATE_PARAMS: 0x11,
  GET_PARAMS: 0x12,
  PARAMS: 0x90,
  CLAMP: 0x20,
  SET_TARGETS: 0x21,
  SET_FORCE: 0x22,
  SET_START: 0x23,
  RELAX: 0x24,
  RELAX_DONE: 0xa4,
  GET_STATE: 0x25,
  STATE: 0xa5,
  STOP: 0x30,
  ACK: 0xfe,
  NACK: 0xff,
  HEARTBEAT: 0x40,
  FAULT: 0x41,
  LEARN_CONFIG: 0x50,
  LEARN_FREE: 0x51,
  LEARN_OUTPUTS: 0xd1,
  LEARN_NUDGED: 0x52,
  LEARN_COMMIT: 0x53,
  LEARN_DISCARD: 0x54,
} as const

/** NACK codes (SPEC section 8). */
export const ERROR_CODES = {
  BAD_COBS: 1,
  FRAME_TOO_LARGE: 2,
  BAD_LENGTH: 3,
  BAD_CRC: 4,
  UNSUPPORTED_MAJOR: 5,
  UNKNOWN_INCOMPATIBLE_FLAG: 6,
  UNKNOWN_MESSAGE: 7,
  BAD_PAYLOAD: 8,
  OUT_OF_RANGE: 9,
  UNSUPPORTED: 10,
  BUSY: 11,
  NOT_READY: 12,
  NO_PREVIOUS: 13,
  INTERNAL: 14,
  LEARN_NOT_CONFIGURED: 15,
  OUT_OF_ORDER: 16,
} as const
export type ErrorName = keyof typeof ERROR_CODES
/** FAULT codes (SPEC section 8). */
export const FAULT_CODES = {
  WATCHDOG: 1,
  RESET: 2,
  OVERTEMP: 3,
  SUPPLY: 4,
  DRIVER: 5,
  INTERNAL: 6,
} as const
export type FaultName = keyof typeof FAULT_CODES
