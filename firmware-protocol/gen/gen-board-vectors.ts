// Writes vectors/board.json: frozen exchanges that pin down how a board behaves (SPEC 3.5, 6.2, 6.5,
// 6.7, 8), as host frames to send and the answers to expect. Run once; like the codec vectors they are
// frozen after that (`--force` rewrites them, and only a new protocol version may do so).
//   node --import tsx firmware-protocol/gen/gen-board-vectors.ts [--force]
import { existsSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { encodeFrame, encodeMessage, ERROR_CODES, type MessageBodies, type MessageName } from '../ts/index.ts'

export const BOARD_VECTORS_PATH = fileURLToPath(new URL('../vectors/board.json', import.meta.url))
/** The on-board learning section's board vectors (SPEC 13), for the fixture board with capability onBoardLearning. */
export const LEARNING_BOARD_VECTORS_PATH = fileURLToPath(new URL('../vectors/board-learning.json', import.meta.url))
export const READOUT_BOARD_VECTORS_PATH = fileURLToPath(new URL('../vectors/board-readout.json', import.meta.url))

/** What a step expects: an answer whose name and (a subset of) body fields match, or no answer at all. */
export type Expect = { name: MessageName; body?: Record<string, unknown> } | 'none'
export interface Step { note?: string; sendHex: string; expect: Expect }
export interface BoardVector { name: string; spec: string; rule: string; needs?: 'never-settles'; steps: Step[] }

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
let seq = 0x0100
const msg = <N extends MessageName>(name: N, body: MessageBodies[N]) => encodeMessage({ name, body, seq: seq++ } as never)
/** A frame of a known message with its payload changed by `edit` (the CRC recomputed). */
function edited<N extends MessageName>(name: N, body: MessageBodies[N], edit: (p: Uint8Array) => Uint8Array): Uint8Array {
  const f = msg(name, body)
  return encodeFrame({ seq: f[3] | (f[4] << 8), msgId: f[5] }, edit(f.slice(8, f.length - 4)))
}
const step = (f: Uint8Array, expect: Expect, note?: string): Step => ({ ...(note ? { note } : {}), sendHex: hex(f), expect })
/** Couplings, bias strengths and directions with no symmetry: a landscape whose force is never exactly 0. */
const params = () => step(msg('SET_PARAMS', { offset: 0, values: Array.from({ length: 27 }, (_, k) => Math.fround(k < 15 ? (((k * 37) % 11) - 5) / 2 : k < 21 ? 0.5 + k / 20 : k * 0.3 - 6)) }),
  { name: 'PARAMS', body: { offset: 0, total: 27 } })
const hello = (maxFrame = 1024) => step(msg('HELLO', { protoMinor: 0, maxFrame, watchdogMs: 60_000 }), { name: 'DEVICE_INFO' })
const nack = (code: keyof typeof ERROR_CODES, detail: number, ref?: number): Expect =>
  ({ name: 'NACK', body: { code: ERROR_CODES[code], detail, ...(ref === undefined ? {} : { ref }) } })
const relax = (o: Partial<MessageBodies['RELAX']>): MessageBodies['RELAX'] =>
  ({ batch: 1, phase: 'free', nudge: 'cost', cost: 'log-cos', start: 'random', beta: 0, seed: 1, budgetUs: 1_000_000, maxSteps: 0xffffffff, ...o })

/** Every vector, built from the codec (the fixture board: SPEC 12.1). */
export function boardVectors(): BoardVector[] {
  seq = 0x0100
  const total = 15 + 2 * 6
  return [
    {
      name: 'relax budget runs out: not settled', spec: '6.5', needs: 'never-settles',
      rule: 'A RELAX ends when its wall-time budget is spent, whatever maxSteps says, and answers RELAX_DONE with the samples that did not settle left out of settled.',
      steps: [
        hello(),
        params(),
        step(msg('CLAMP', { sample: 0, replace: true, clamps: [{ node: 0, value: 32767 }] }), { name: 'ACK' }),
        step(msg('RELAX', relax({ budgetUs: 1_000_000, maxSteps: 0xffffffff })), { name: 'RELAX_DONE', body: { batch: 1, settled: 0 } }),
        step(msg('GET_STATE', { sample: 0, kind: 'nodes', offset: 0, count: 0 }), { name: 'STATE', body: { sample: 0, settled: false } }),
      ],
    },
    {
      name: 'a busy board answers HELLO, STOP and other commands', spec: '5.3, 6.5', needs: 'never-settles',
      rule: 'While a RELAX runs the board keeps reading its link: other commands get NACK BUSY, HELLO and STOP are executed at once and abort the relaxation, which is never answered.',
      steps: [
        hello(),
        params(),
        step(msg('RELAX', relax({ budgetUs: 60_000_000 })), 'none', 'runs for up to 60 s; never answered'),
        step(msg('GET_PARAMS', { offset: 0, count: 1 }), nack('BUSY', 0)),
        hello(),
        step(msg('GET_PARAMS', { offset: 0, count: 1 }), { name: 'PARAMS', body: { offset: 0 } }),
        params(),
        step(msg('RELAX', relax({ budgetUs: 60_000_000 })), 'none', 'never answered'),
        step(msg('STOP', {}), { name: 'ACK', body: { ref: 0x30 } }),
        step(msg('GET_PARAMS', { offset: 0, count: 1 }), nack('NOT_READY', 0)),
      ],
    },
    {
      name: 'HELLO maxFrame below 256', spec: '3.5',
      rule: 'A HELLO whose maxFrame is below 256 is read as 256: DEVICE_INFO.maxFrame is never below MIN_FRAME_LIMIT.',
      steps: [step(msg('HELLO', { protoMinor: 0, maxFrame: 100, watchdogMs: 60_000 }), { name: 'DEVICE_INFO', body: { maxFrame: 256 } })],
    },
    {
      name: 'the session frame limit is the one that counts', spec: '3.4, 3.5',
      rule: "A board drops (FRAME_TOO_LARGE, counted, not answered) a frame longer than the session's maxFrame, even when its own buffer could hold it.",
      steps: [
        hello(256),
        // 300 bytes: GET_PARAMS with extension bytes, which a board accepts while they fit the limit
        step(edited('GET_PARAMS', { offset: 0, count: 1 }, (p) => Uint8Array.from([...p, ...new Uint8Array(300 - 12 - p.length)])), 'none', 'too large for this session'),
        step(msg('GET_PARAMS', { offset: 0, count: 1 }), { name: 'PARAMS', body: { offset: 0 } }),
        hello(1024),
        step(edited('GET_PARAMS', { offset: 0, count: 1 }, (p) => Uint8Array.from([...p, ...new Uint8Array(300 - 12 - p.length)])), { name: 'PARAMS', body: { offset: 0 } }, 'fits this session'),
      ],
    },
    {
      name: 'OUT_OF_RANGE details', spec: '6.2, 11.1',
      rule: 'OUT_OF_RANGE detail: for offset + count past the end, the total (the first index past the end of the board\'s array); for a bad item in a chunk, its index in the chunk; for a sample index or a batch, that value.',
      steps: [
        hello(),
        step(msg('SET_PARAMS', { offset: total - 1, values: [0, 0] }), nack('OUT_OF_RANGE', total)),
        step(msg('GET_PARAMS', { offset: total + 5, count: 3 }), { name: 'PARAMS', body: { offset: total + 5, total, values: [] } }, 'a read past the end is an empty array, not an error'),
        step(msg('CLAMP', { sample: 0, replace: true, clamps: [{ node: 0, value: 0 }, { node: 5, value: 0 }] }), nack('OUT_OF_RANGE', 1)),
        step(msg('SET_PARAMS', { offset: 0, values: [0, Number.NaN] }), nack('OUT_OF_RANGE', 1)),
        step(msg('SET_TARGETS', { sample: 65535, offset: 0, values: [0] }), nack('OUT_OF_RANGE', 65535)),
        step(msg('RELAX', relax({ batch: 0 })), nack('OUT_OF_RANGE', 0)),
      ],
    },
    {
      name: 'an unknown enum value is refused even where the field is ignored', spec: '3.4, 4.3',
      rule: 'Every field is decoded before the command is looked at: RELAX phase = free with nudge = 7 gets BAD_PAYLOAD with detail 3, although nudge is ignored in a free phase.',
      steps: [
        hello(),
        step(edited('RELAX', relax({}), (p) => { const q = p.slice(); q[3] = 7; return q }), nack('BAD_PAYLOAD', 3, 0x24)),
      ],
    },
    {
      name: 'STOP in the safe state', spec: '6.7, 7.1',
      rule: 'STOP is accepted in every state and answered with ACK; in the safe state it changes nothing.',
      steps: [
        hello(),
        step(msg('STOP', {}), { name: 'ACK', body: { ref: 0x30 } }),
        step(msg('STOP', {}), { name: 'ACK', body: { ref: 0x30 } }),
        step(msg('GET_PARAMS', { offset: 0, count: 0 }), nack('NOT_READY', 0)),
        hello(),
      ],
    },
    {
      name: 'NACK ref for unknown and wrong-direction ids', spec: '4.4, 11.6',
      rule: 'NACK.ref is byte 5 (msg_id) of the refused frame, also when that id is unknown or meant for the other side; it is 0 only when the frame had no header.',
      steps: [
        hello(),
        step(encodeFrame({ seq: seq++, msgId: 0x77 }, new Uint8Array(0)), nack('UNKNOWN_MESSAGE', 0x77, 0x77)),
        step(msg('STATE', { sample: 0, kind: 'nodes', settled: false, steps: 0, energy: 0, offset: 0, total: 0, values: [] }), nack('UNKNOWN_MESSAGE', 0xa5, 0xa5)),
      ],
    },
    // protocol 1.1: pipelining (appended; the vectors above are unchanged)
    {
      name: 'pipelining: the window is agreed in HELLO', spec: '5.3',
      rule: 'DEVICE_INFO.window is min(HELLO.window, the board\'s own window); every board takes a window of at least 4.',
      steps: [step(msg('HELLO', { protoMinor: 1, maxFrame: 1024, watchdogMs: 60_000, window: 4 }), { name: 'DEVICE_INFO', body: { window: 4 } })],
    },
    (() => {
      const open = step(msg('HELLO', { protoMinor: 1, maxFrame: 1024, watchdogMs: 60_000, window: 4 }), { name: 'DEVICE_INFO', body: { window: 4 } })
      const write = msg('SET_PARAMS', { offset: 0, values: [1] })
      const read = msg('GET_PARAMS', { offset: 0, count: 1 })
      const s1 = write[3] | (write[4] << 8)
      return {
        name: 'pipelining: commands run strictly in seq order', spec: '5.3',
        rule: 'In a session with window > 1 a new command whose seq is not the one after the last accepted command is not executed: NACK OUT_OF_ORDER, detail the seq expected. Once the missing command arrives, both run in order.',
        steps: [
          open,
          step(read, nack('OUT_OF_ORDER', s1, 0x12), 'the SET_PARAMS before it was lost'),
          step(write, { name: 'PARAMS', body: { offset: 0, values: [1] } }),
          step(read, { name: 'PARAMS', body: { offset: 0, values: [1] } }, 'the resent copy runs after the write'),
        ],
      }
    })(),
    (() => {
      const open = step(msg('HELLO', { protoMinor: 1, maxFrame: 1024, watchdogMs: 60_000, window: 4 }), { name: 'DEVICE_INFO', body: { window: 4 } })
      const zero = msg('SET_PARAMS', { offset: 0, values: [0] })
      const u1 = msg('UPDATE_PARAMS', { offset: 0, deltas: [0.5] })
      const u2 = msg('UPDATE_PARAMS', { offset: 0, deltas: [0.25] })
      const u3 = msg('UPDATE_PARAMS', { offset: 0, deltas: [0.125] })
      return {
        name: 'pipelining: the replies of the last window commands are cached', spec: '5.3, 5.4',
        rule: 'With window w the board keeps the replies of its last w commands: a retry of any of them is answered from the cache, not executed again.',
        steps: [
          open,
          step(zero, { name: 'PARAMS', body: { values: [0] } }),
          step(u1, { name: 'PARAMS', body: { values: [0.5] } }),
          step(u2, { name: 'PARAMS', body: { values: [0.75] } }),
          step(u3, { name: 'PARAMS', body: { values: [0.875] } }),
          step(u1, { name: 'PARAMS', body: { values: [0.5] } }, 'a retry three commands back: its cached reply'),
          step(u2, { name: 'PARAMS', body: { values: [0.75] } }),
          step(msg('GET_PARAMS', { offset: 0, count: 1 }), { name: 'PARAMS', body: { values: [0.875] } }, 'each delta applied once'),
        ],
      }
    })(),
  ]
}

/** The RELAX start = readout vectors (SPEC 6.5, since 1.2, capability readoutStart). */
export function readoutBoardVectors(): BoardVector[] {
  seq = 0x0300
  const clamp = () => step(msg('CLAMP', { sample: 0, replace: true, clamps: [{ node: 0, value: 12868 }, { node: 1, value: -12868 }] }), { name: 'ACK' })
  const target = () => step(msg('SET_TARGETS', { sample: 0, offset: 0, values: [4000] }), { name: 'ACK' })
  const quick = { budgetUs: 0, maxSteps: 0 }
  return [
    {
      name: 'readout needs a free RELAX of every sample', spec: '6.5',
      rule: 'RELAX start = readout for a sample whose last free RELAX is missing gets NO_PREVIOUS with detail = that sample; a nudged RELAX does not give one.',
      steps: [
        hello(),
        params(),
        clamp(),
        target(),
        step(msg('RELAX', relax({ phase: 'nudged', beta: 0.5, start: 'readout', ...quick })), nack('NO_PREVIOUS', 0)),
        step(msg('RELAX', relax({ phase: 'nudged', beta: 0.5, start: 'random', ...quick })), { name: 'RELAX_DONE', body: { batch: 1 } }),
        step(msg('RELAX', relax({ phase: 'nudged', beta: 0.5, start: 'readout', ...quick })), nack('NO_PREVIOUS', 0)),
        step(msg('RELAX', relax({ phase: 'free', ...quick })), { name: 'RELAX_DONE', body: { batch: 1 } }),
        step(msg('RELAX', relax({ batch: 2, phase: 'nudged', beta: 0.5, start: 'readout', ...quick })), nack('NO_PREVIOUS', 1)),
      ],
    },
    {
      name: 'every nudged phase starts from the free readout', spec: '6.5',
      rule: 'After a free RELAX, any number of RELAX start = readout run (a nudged one does not replace the readout) until HELLO, which forgets it.',
      steps: [
        hello(),
        params(),
        clamp(),
        target(),
        step(msg('RELAX', relax({ phase: 'free', ...quick })), { name: 'RELAX_DONE', body: { batch: 1 } }),
        step(msg('GET_STATE', { sample: 0, kind: 'nodes', offset: 0, count: 0 }), { name: 'STATE', body: { sample: 0, total: 6 } }),
        step(msg('RELAX', relax({ phase: 'nudged', beta: 0.5, start: 'readout', ...quick })), { name: 'RELAX_DONE', body: { batch: 1 } }),
        step(msg('RELAX', relax({ phase: 'nudged', beta: -0.5, start: 'readout', ...quick })), { name: 'RELAX_DONE', body: { batch: 1 } }),
        hello(),
        step(msg('RELAX', relax({ phase: 'nudged', beta: 0.5, start: 'readout', ...quick })), nack('NO_PREVIOUS', 0)),
      ],
    },
  ]
}

/** The on-board learning vectors (SPEC 13): refusals with their codes, and what each command answers. */
export function learningBoardVectors(): BoardVector[] {
  seq = 0x0200
  const cfg = (o: Partial<MessageBodies['LEARN_CONFIG']> = {}): MessageBodies['LEARN_CONFIG'] =>
    ({ eta: 0.1, biasEta: 0.1, beta: 0.1, estimator: 'one-sided', cost: 'log-cos', ...o })
  const H = 12868   // pi/2 in state_lsb units
  const free = (o: Partial<MessageBodies['LEARN_FREE']> = {}): MessageBodies['LEARN_FREE'] =>
    ({ batch: 2, seed: 7, budgetUs: 0, maxSteps: 0, samples: [H, -H, H, -H, -H, -H], ...o })
  const first = params()
  const v0 = Math.fround((((0 * 37) % 11) - 5) / 2)
  return [
    {
      name: 'learning needs a rule', spec: '13.2',
      rule: 'LEARN_FREE, LEARN_NUDGED and LEARN_COMMIT before a LEARN_CONFIG in the session get LEARN_NOT_CONFIGURED; LEARN_DISCARD is answered ACK.',
      steps: [
        hello(),
        step(msg('LEARN_COMMIT', {}), nack('LEARN_NOT_CONFIGURED', 0, 0x53)),
        step(msg('LEARN_FREE', free()), nack('LEARN_NOT_CONFIGURED', 0, 0x51)),
        step(msg('LEARN_NUDGED', { batch: 1, budgetUs: 0, maxSteps: 0 }), nack('LEARN_NOT_CONFIGURED', 0, 0x52)),
        step(msg('LEARN_DISCARD', {}), { name: 'ACK', body: { ref: 0x54 } }),
      ],
    },
    {
      name: 'LEARN_CONFIG refusals', spec: '13.2',
      rule: 'eta or biasEta below 0 or not finite, and beta 0 or not finite, get OUT_OF_RANGE with the field index (0, 1, 2); a cost the board does not announce gets UNSUPPORTED.',
      steps: [
        hello(),
        step(msg('LEARN_CONFIG', cfg({ eta: -1 })), nack('OUT_OF_RANGE', 0)),
        step(msg('LEARN_CONFIG', cfg({ biasEta: Number.NaN })), nack('OUT_OF_RANGE', 1)),
        step(msg('LEARN_CONFIG', cfg({ beta: 0 })), nack('OUT_OF_RANGE', 2)),
        step(msg('LEARN_CONFIG', cfg({ beta: Number.POSITIVE_INFINITY })), nack('OUT_OF_RANGE', 2)),
        step(msg('LEARN_CONFIG', cfg({ cost: 'squared' })), nack('UNSUPPORTED', 0)),
        step(msg('LEARN_CONFIG', cfg()), { name: 'ACK', body: { ref: 0x50 } }),
      ],
    },
    {
      name: 'LEARN_FREE and LEARN_NUDGED refusals', spec: '13.2',
      rule: 'LEARN_NUDGED of a sample without a LEARN_FREE equilibrium gets NO_PREVIOUS (detail the sample); LEARN_FREE with batch 0 gets OUT_OF_RANGE (detail the batch), and with a samples array of another length OUT_OF_RANGE (detail batch x (clampable + nudgeable)).',
      steps: [
        hello(),
        step(msg('LEARN_CONFIG', cfg()), { name: 'ACK' }),
        step(msg('LEARN_NUDGED', { batch: 1, budgetUs: 0, maxSteps: 0 }), nack('NO_PREVIOUS', 0, 0x52)),
        step(msg('LEARN_FREE', free({ batch: 0, samples: [] })), nack('OUT_OF_RANGE', 0, 0x51)),
        step(msg('LEARN_FREE', free({ samples: [H, -H, H] })), nack('OUT_OF_RANGE', 6, 0x51)),
      ],
    },
    {
      name: 'a step, discarded and then committed', spec: '13.1, 13.2',
      rule: 'LEARN_FREE answers LEARN_OUTPUTS with one output per sample; LEARN_NUDGED answers RELAX_DONE counting the samples accumulated; nothing changes before LEARN_COMMIT, a LEARN_DISCARD drops the update, and the free equilibria stay for another LEARN_NUDGED.',
      steps: [
        hello(),
        first,
        step(msg('LEARN_CONFIG', cfg()), { name: 'ACK' }),
        step(msg('LEARN_FREE', free()), { name: 'LEARN_OUTPUTS', body: { batch: 2, settled: 2 } }),
        step(msg('LEARN_NUDGED', { batch: 2, budgetUs: 0, maxSteps: 0 }), { name: 'RELAX_DONE', body: { batch: 2, settled: 2 } }),
        step(msg('GET_PARAMS', { offset: 0, count: 1 }), { name: 'PARAMS', body: { offset: 0, values: [v0] } }, 'not applied before the commit'),
        step(msg('LEARN_DISCARD', {}), { name: 'ACK' }),
        step(msg('LEARN_COMMIT', {}), { name: 'ACK', body: { ref: 0x53 } }),
        step(msg('GET_PARAMS', { offset: 0, count: 1 }), { name: 'PARAMS', body: { offset: 0, values: [v0] } }, 'a discarded update is never applied'),
        step(msg('LEARN_NUDGED', { batch: 2, budgetUs: 0, maxSteps: 0 }), { name: 'RELAX_DONE', body: { batch: 2, settled: 2 } }, 'the free equilibria stay'),
        step(msg('LEARN_COMMIT', {}), { name: 'ACK' }),
      ],
    },
    {
      name: 'HELLO and the safe state forget the rule', spec: '13.2',
      rule: 'After HELLO the rule is gone (LEARN_NOT_CONFIGURED); in the safe state after STOP a LEARN_* command gets NOT_READY like any other.',
      steps: [
        hello(),
        step(msg('LEARN_CONFIG', cfg()), { name: 'ACK' }),
        hello(),
        step(msg('LEARN_COMMIT', {}), nack('LEARN_NOT_CONFIGURED', 0)),
        step(msg('STOP', {}), { name: 'ACK' }),
        step(msg('LEARN_CONFIG', cfg()), nack('NOT_READY', 0)),
        hello(),
      ],
    },
  ]
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]
if (isMain) {
  const force = process.argv.includes('--force')
  if (!existsSync(LEARNING_BOARD_VECTORS_PATH) || force) {
    const doc = {
      note: 'On-board learning board vectors (SPEC 13), in the format of board.json, for its fixture board with capability onBoardLearning (cost log-cos).',
      vectors: learningBoardVectors(),
    }
    writeFileSync(LEARNING_BOARD_VECTORS_PATH, `${JSON.stringify(doc, null, 2)}\n`)
    console.log(`wrote ${LEARNING_BOARD_VECTORS_PATH}: ${doc.vectors.length} vectors`)
  } else console.log(`kept ${LEARNING_BOARD_VECTORS_PATH} (frozen; --force to overwrite)`)
  if (!existsSync(READOUT_BOARD_VECTORS_PATH) || force) {
    const doc = {
      note: 'RELAX start = readout board vectors (SPEC 6.5, since 1.2), in the format of board.json, for its fixture board with capability readoutStart.',
      vectors: readoutBoardVectors(),
    }
    writeFileSync(READOUT_BOARD_VECTORS_PATH, `${JSON.stringify(doc, null, 2)}\n`)
    console.log(`wrote ${READOUT_BOARD_VECTORS_PATH}: ${doc.vectors.length} vectors`)
  } else console.log(`kept ${READOUT_BOARD_VECTORS_PATH} (frozen; --force to overwrite)`)
  if (existsSync(BOARD_VECTORS_PATH) && !force) {
    console.log(`kept ${BOARD_VECTORS_PATH} (frozen; --force rewrites it, a new protocol version only)`)
    process.exit(0)
  }
  const doc = {
    note: 'Board behaviour vectors (SPEC 12.1). Against the fixture board, open a fresh session per vector, send each sendHex (an inner frame, COBS-framed on serial) in order and wait for the answer with the same seq: it must have the expected name and every listed body field. expect "none": there is no answer to that frame (check later that none came). needs "never-settles": the board must be set up so no relaxation settles (a tolerance no solver reaches).',
    fixture: { network: 'all-to-all, 6 nodes, 15 edges (pairs in order), bias capability', clampable: [0, 1], nudgeable: [5], params: 15 + 12 },
    vectors: boardVectors(),
  }
  writeFileSync(BOARD_VECTORS_PATH, `${JSON.stringify(doc, null, 2)}\n`)
  console.log(`wrote ${BOARD_VECTORS_PATH}: ${doc.vectors.length} vectors`)
}
