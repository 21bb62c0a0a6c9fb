// `eqprop-hil devices ...` and `eqprop-hil datasets ...` against a daemon (in this process), through the real CLI binary.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { DATASETS_HELP } from '../../src/cli/commands/datasets.ts'
import { DEVICES_HELP } from '../../src/cli/commands/devices.ts'
import { BIN, inProcessDaemon, tempDir } from '../support/daemon.ts'

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000, env: { ...process.env, EQP_URL: '', EQP_TOKEN: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

describe('eqprop-hil devices and datasets', () => {
  let d: Daemon
  const dir = tempDir('cli-data')
  before(async () => { d = await inProcessDaemon() })
  after(async () => { await d.close() })

  it('attaches a lattice, lists it, prints its parameters and detaches it', async () => {
    const a = await cli(['devices', 'attach', '--url', d.url, '--builder', 'lattice:4x4', '--task', 'iris', '--seed', '1', '--name', 'bench lattice'])
    assert.equal(a.code, 0, a.stderr)
    assert.match(a.stdout, /^dev-1\s+sim-xy\s+16 nodes \/ 24 couplings {2}in 4 out 3 {2}free {2}bench lattice\n$/)
    const l = await cli(['devices', 'list', '--url', d.url])
    assert.equal(l.stdout, a.stdout)
    const p = await cli(['devices', 'params', 'dev-1', '--url', d.url])
    assert.equal(p.code, 0, p.stderr)
    assert.equal(JSON.parse(p.stdout).weights.length, 24)
    const x = await cli(['devices', 'detach', 'dev-1', '--url', d.url])
    assert.equal(x.stdout, 'detached dev-1\n')
    assert.equal((await cli(['devices', 'list', '--url', d.url])).stdout, '(no devices)\n')
  })

  it('attaches from --io and --set, and answers --json with the whole device', async () => {
    const a = await cli(['devices', 'attach', '--url', d.url, '--kind', 'sim-oim', '--builder', 'all-to-all:5', '--io', '2,1', '--set', '{"name":"oim"}', '--json'])
    assert.equal(a.code, 0, a.stderr)
    const dev = JSON.parse(a.stdout)
    assert.equal(dev.kind, 'sim-oim')
    assert.equal(dev.name, 'oim')
    assert.deepEqual([dev.network.inputs.length, dev.network.outputs.length, dev.network.nodes], [2, 1, 5])
  })

  it('refuses bad attach flags with exit 2 naming the field, and sends nothing', async () => {
    const before = d.services.devices.count()
    const noIo = await cli(['devices', 'attach', '--url', d.url, '--builder', 'lattice:4x4'])
    assert.equal(noIo.code, 2)
    assert.match(noIo.stderr, /device\.io: a builder needs io/)
    const io = await cli(['devices', 'attach', '--url', d.url, '--builder', 'lattice:4x4', '--io', '4'])
    assert.equal(io.code, 2)
    assert.match(io.stderr, /--io: '4' is not INPUTS,OUTPUTS/)
    const kind = await cli(['devices', 'attach', '--url', d.url, '--kind', 'sim-qubit', '--builder', 'lattice:4x4', '--task', 'iris'])
    assert.equal(kind.code, 2)
    assert.match(kind.stderr, /device\.kind/)
    const serial = await cli(['devices', 'attach', '--url', d.url, '--kind', 'serial'])
    assert.equal(serial.code, 2)
    assert.match(serial.stderr, /device\.path/)
    assert.equal(d.services.devices.count(), before)
    const gone = await cli(['devices', 'detach', 'dev-77', '--url', d.url])
    assert.equal(gone.code, 2)
    assert.match(gone.stderr, /^eqprop-hil devices: EQP_ERR_DEVICE_NOT_FOUND: .*dev-77/)
  })

  it('identifies a device with device variation and writes its twin; a bad option exits 2 naming it', async () => {
    const a = await cli(['devices', 'attach', '--url', d.url, '--builder', 'all-to-all:5:bias=random', '--io', '2,1', '--json', '--set', '{"sim":{"solver":"fire-newton","variation":0.2,"deviceSeed":3}}'])
    assert.equal(a.code, 0, a.stderr)
    const id = JSON.parse(a.stdout).id
    const out = join(dir, 'twin.json')
    const r = await cli(['devices', 'identify', id, '--samples', '16', '--out', out, '--url', d.url])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`^identified ${id} \\(.*\\): 9 couplings, 3 bias fields from 96 relaxations; residual force rms .*; twin written to`))
    // the simulator reports its physical couplings: the twin must match them
    const truth = JSON.parse((await cli(['devices', 'params', id, '--url', d.url])).stdout).weights as number[]
    const twin = JSON.parse(readFileSync(out, 'utf8'))
    for (let k = 1; k < 10; k++) assert.ok(Math.abs(twin.weights[k] - truth[k]) < 1e-4, `edge ${k}`)
    const bad = await cli(['devices', 'identify', id, '--setpoint-sets', '1', '--url', d.url])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /setpointSets/)
    await cli(['devices', 'detach', id, '--url', d.url])
  })

  it('uploads a CSV file under its file name and lists it among the built-in datasets', async () => {
    const path = join(dir, 'blobs.csv')
    writeFileSync(path, 'a,b,kind\n' + Array.from({ length: 20 }, (_, i) => `${i % 2 ? 1 + i / 40 : -1 - i / 40},${(i % 5) / 5},${i % 2 ? 'up' : 'down'}`).join('\n') + '\n')
    const u = await cli(['datasets', 'upload', path, '--label', 'kind', '--test-fraction', '0.2', '--url', d.url])
    assert.equal(u.code, 0, u.stderr)
    assert.match(u.stdout, /^blobs\s+uploaded {2}2 inputs -> 2 classes {2}16 train \/ 4 test\n$/)
    const l = await cli(['datasets', 'list', '--url', d.url])
    assert.match(l.stdout, /^iris\s+built-in {2}4 inputs -> 3 classes {2}120 train \/ 30 test$/m)
    assert.match(l.stdout, /^blobs\s+uploaded/m)
    const s = await cli(['datasets', 'show', 'blobs', '--url', d.url])
    assert.deepEqual(JSON.parse(s.stdout).classNames, ['down', 'up'])
    const again = await cli(['datasets', 'upload', path, '--url', d.url])
    assert.equal(again.code, 2)
    assert.match(again.stderr, /EQP_ERR_DATASET_EXISTS/)
  })

  it('refuses a bad upload with exit 2 naming the field: name, test fraction, file, CSV cell', async () => {
    const path = join(dir, 'Bad Name.csv')
    writeFileSync(path, 'x,label\n1,a\nzz,b\n3,a\n')
    const name = await cli(['datasets', 'upload', path, '--url', d.url])
    assert.equal(name.code, 2)
    assert.match(name.stderr, /--name 'Bad Name': not a dataset name/)
    const frac = await cli(['datasets', 'upload', path, '--name', 'ok', '--test-fraction', '2', '--url', d.url])
    assert.equal(frac.code, 2)
    assert.match(frac.stderr, /--test-fraction: 2 is above the maximum 0\.9/)
    const missing = await cli(['datasets', 'upload', join(dir, 'nope.csv'), '--url', d.url])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /EQP_ERR_FILE_READ: cannot read '.*nope\.csv': ENOENT/)
    const cell = await cli(['datasets', 'upload', path, '--name', 'ok', '--url', d.url])
    assert.equal(cell.code, 2)
    assert.match(cell.stderr, /EQP_ERR_BAD_INPUT: csv\.line 3: column 'x': 'zz' is not a finite number/)
  })

  it('docs/reference/cli-daemon-commands.md quotes both commands\' --help word for word', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/reference/cli-daemon-commands.md', import.meta.url)), 'utf8')
    assert.ok(doc.includes('```text\n' + DEVICES_HELP + '\n```'), 'devices --help')
    assert.ok(doc.includes('```text\n' + DATASETS_HELP + '\n```'), 'datasets --help')
  })
})
