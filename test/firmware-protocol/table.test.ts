import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileTable, MESSAGES_BY_NAME, TABLE, type TableJson } from '../../firmware-protocol/ts/table.ts'
import { ERROR_CODES, FAULT_CODES, MESSAGE_IDS } from '../../firmware-protocol/ts/types-gen.ts'

const clone = (): TableJson => JSON.parse(JSON.stringify(TABLE)) as TableJson

describe('the message table', () => {
  it('compiles, with unique ids and names', () => {
    assert.equal(MESSAGES_BY_NAME.size, TABLE.messages.length)
    assert.equal(new Set(TABLE.messages.map((m) => m.id)).size, TABLE.messages.length)
  })

  it('has every message without an array fit in the 256-byte minimum frame, strings at their maximum', () => {
    for (const m of MESSAGES_BY_NAME.values()) if (!m.array) assert.ok(m.fixedMaxSize + 12 <= TABLE.protocol.minFrameLimit, m.name)
  })

  it('gives every command a reply and every reply a command', () => {
    const replies = new Set(TABLE.messages.flatMap((m) => m.reply ?? []))
    for (const m of TABLE.messages) if (m.kind === 'reply' && m.name !== 'NACK') assert.ok(replies.has(m.name), m.name)
  })

  it('has the error codes the SPEC requires', () => {
    for (const name of ['BAD_CRC', 'BAD_LENGTH', 'UNKNOWN_MESSAGE', 'UNSUPPORTED_MAJOR', 'UNKNOWN_INCOMPATIBLE_FLAG', 'BAD_PAYLOAD', 'OUT_OF_RANGE', 'BUSY', 'NOT_READY']) {
      assert.ok(TABLE.errors.some((e) => e.name === name), name)
    }
  })

  it('agrees both ways with the generated constants', () => {
    assert.deepEqual(ERROR_CODES, Object.fromEntries(TABLE.errors.map((e) => [e.name, e.code])))
    assert.deepEqual(FAULT_CODES, Object.fromEntries(TABLE.faults.map((e) => [e.name, e.code])))
    assert.deepEqual(MESSAGE_IDS, Object.fromEntries(TABLE.messages.map((m) => [m.name, m.id])))
  })

  it('refuses a duplicate message id', () => {
    const t = clone()
    t.messages[1].id = t.messages[0].id
    assert.throws(() => compileTable(t), /duplicate id/)
  })

  it('refuses an unknown field type', () => {
    const t = clone()
    t.messages[0].fields[0].type = 'u24'
    assert.throws(() => compileTable(t), /unknown type/)
  })

  it('refuses two arrays in one message', () => {
    const t = clone()
    const m = t.messages.find((x) => x.name === 'SET_PARAMS')!
    m.fields.push({ name: 'more', type: 'array', of: 'u8' })
    assert.throws(() => compileTable(t), /at most one array/)
  })

  it('refuses a message that cannot fit the minimum frame', () => {
    const t = clone()
    t.messages[0].fields.push({ name: 'big', type: 'string', max: 255 })
    assert.throws(() => compileTable(t), /minimum frame limit/)
  })

  it('refuses a command without a reply', () => {
    const t = clone()
    delete t.messages[0].reply
    assert.throws(() => compileTable(t), /needs a reply/)
  })
})
