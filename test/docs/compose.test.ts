// docker/compose.yaml and docker/Dockerfile, without Docker (none on CI machines): the file parses,
// holds the lab's services with health checks and volumes, and every eqprop-hil command in it is a
// verb with flags the CLI accepts. The daemon, a worker and the TS board are then started here with
// their compose arguments (service host names -> 127.0.0.1) against this machine's broker and NATS,
// and the daemon's health check command is run against it.
import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { freshDatabase } from '../support/postgres.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(ROOT, 'bin/eqprop-hil.js')
const env = { ...process.env, EQPROP_HIL_FROM_SOURCE: '1' }
const compose = parse(readFileSync(join(ROOT, 'docker/compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { build?: { context: string; dockerfile: string }; image?: string; command?: string[]; environment?: Record<string, string>
    depends_on?: Record<string, { condition: string }>; healthcheck?: { test: string[] }; volumes?: string[]; ports?: string[] }>
  volumes: Record<string, unknown>
}
const svc = compose.services
const ours = Object.entries(svc).filter(([, s]) => s.build !== undefined)
const children: ChildProcess[] = []
after(() => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL') })

function help(verb: string): Promise<string> {
  return new Promise((resolve, reject) => execFile(process.execPath, [BIN, verb, '--help'], { env }, (e, out) => (e ? reject(e) : resolve(out))))
}

/** Starts the CLI with these arguments; resolves with the first stdout/stderr text matching `ready`. */
function startUntil(args: string[], ready: RegExp, extraEnv: Record<string, string> = {}): Promise<{ c: ChildProcess; match: RegExpExecArray }> {
  const c = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(c)
  let text = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${ready} within 30 s: ${text}`)), 30_000)
    const on = (d: Buffer) => {
      text += d
      const m = ready.exec(text)
      if (m) { clearTimeout(timer); resolve({ c, match: m }) }
    }
    c.stdout!.on('data', on)
    c.stderr!.on('data', on)
    c.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${text}`)) })
  })
}

/** The value after a flag in a service's command. */
const flag = (service: string, name: string) => { const c = svc[service].command!; assert.ok(c.includes(name), `${service} has ${name}`); return c[c.indexOf(name) + 1] }

const local = (args: string[]) => args.map((a) => a.replace('//mosquitto:', '//127.0.0.1:').replace('//nats:', '//127.0.0.1:'))

describe('docker/compose.yaml', () => {
  it('holds the lab: daemon, broker, PostgreSQL, NATS, two workers, a TS and a C board', () => {
    assert.deepEqual(Object.keys(svc).sort(), ['board-c', 'board-ts', 'daemon', 'mosquitto', 'nats', 'postgres', 'worker-1', 'worker-2'])
    for (const [name, s] of ours) {
      assert.equal(s.build!.dockerfile, 'docker/Dockerfile', name)
      assert.ok(existsSync(join(ROOT, 'docker', s.build!.context, s.build!.dockerfile)), `${name}: the build context holds the Dockerfile`)
    }
    assert.deepEqual(ours.map(([n]) => n).sort(), ['board-c', 'board-ts', 'daemon', 'worker-1', 'worker-2'])
    const verbs = (v: string) => ours.filter(([, s]) => s.command![0] === v).map(([n]) => n).sort()
    assert.deepEqual(verbs('worker'), ['worker-1', 'worker-2'])
    assert.deepEqual(verbs('board'), ['board-c', 'board-ts'])
    assert.deepEqual(ours.filter(([, s]) => s.command!.includes('board')).map(([, s]) => s.command![s.command!.indexOf('--impl') + 1]).sort(), ['c', 'ts'])
    // the workers take trials from the compose NATS, which runs JetStream
    for (const w of ['worker-1', 'worker-2']) assert.match(svc[w].command![svc[w].command!.indexOf('--queue') + 1], /^nats:\/\/nats:4222\/[A-Za-z0-9_-]+$/)
    assert.ok(svc.nats.command!.includes('-js'))
    // boards and daemon meet on the compose broker
    for (const b of ['board-ts', 'board-c', 'daemon']) assert.ok(svc[b].command!.includes('mqtt://mosquitto:1883'), b)
    // the daemon and both workers share the compose PostgreSQL as their run store, with its user, password and database
    const pg = svc.postgres.environment!
    for (const s of ['daemon', 'worker-1', 'worker-2']) {
      const url = flag(s, '--store')
      assert.equal(url, `postgres://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`, s)
      assert.equal(svc[s].depends_on?.postgres?.condition, 'service_healthy', `${s} waits for PostgreSQL`)
    }
    // a container's host name changes when it is recreated; the daemon's id must not
    assert.match(flag('daemon', '--daemon-id'), /^[A-Za-z0-9_.-]+$/)
  })

  it('every dependency exists, waits for a health check that exists, and every volume is declared', () => {
    for (const [name, s] of Object.entries(svc)) {
      for (const [dep, how] of Object.entries(s.depends_on ?? {})) {
        assert.ok(svc[dep], `${name} depends on a service that is missing: ${dep}`)
        if (how.condition === 'service_healthy') assert.ok(svc[dep].healthcheck?.test?.length, `${name} waits for ${dep}'s health check, which it lacks`)
      }
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]
        if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(source in compose.volumes, `${name}: volume ${source} is not declared`)
      }
    }
    for (const s of ['daemon', 'mosquitto', 'postgres', 'nats']) assert.ok(svc[s].healthcheck?.test?.length, `${s} has a health check`)
    const cmd = svc.daemon.command!
    const dataDir = cmd[cmd.indexOf('--data-dir') + 1]
    assert.ok(svc.daemon.volumes!.some((v) => v.split(':')[1] === dataDir), 'the data directory is a volume')
    assert.equal(svc.daemon.ports![0].split(':').at(-1), cmd[cmd.indexOf('--port') + 1], 'the published port is the one served')
    assert.match(svc.daemon.environment!.EQP_TOKENS, /^lab=\$\{EQP_TOKEN:\?/, 'a token is required, not defaulted')
  })

  it('every command is a CLI verb with flags its --help lists', async () => {
    const verbs = [...new Set(ours.map(([, s]) => s.command![0]))]
    const helps = Object.fromEntries(await Promise.all(verbs.map(async (v) => [v, await help(v)] as const)))
    for (const [name, s] of ours) {
      const [verb, ...args] = s.command!
      assert.match(helps[verb], new RegExp(`^eqprop-hil ${verb}\\b`), `${name}: ${verb} is a verb`)
      for (const flag of args.filter((a) => a.startsWith('--'))) {
        assert.ok(new RegExp(`(^|[\\s(\\[|])${flag}\\b`, 'm').test(helps[verb]), `${name}: ${verb} --help does not list ${flag}`)
      }
    }
  })

  it('the Dockerfile exposes the daemon port, keeps /data on a volume and serves by default', () => {
    const df = readFileSync(join(ROOT, 'docker/Dockerfile'), 'utf8')
    assert.match(df, /^EXPOSE 8765$/m)
    assert.match(df, /^VOLUME \/data$/m)
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(df)![1]) as string[]
    assert.equal(cmd[0], 'serve')
    assert.equal(cmd[cmd.indexOf('--data-dir') + 1], '/data')
  })

  it('the daemon, a worker and the TS board start with their compose arguments; the health check passes', async (t) => {
    // the compose database, as a fresh database on this machine's PostgreSQL
    const db = await freshDatabase()
    t.after(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      await db.drop()
    })
    const store = (args: string[]) => args.map((a) => (a.startsWith('postgres://') ? db.url : a))
    const cmd = store([...svc.daemon.command!])
    cmd[cmd.indexOf('--port') + 1] = '0'
    cmd[cmd.indexOf('--data-dir') + 1] = mkdtempSync(join(tmpdir(), 'eqprop-compose-'))
    const daemon = await startUntil(local(cmd), /listening on http:\/\/[^:\s]+:(\d+)/, { EQP_TOKENS: 'lab=compose-test-secret' })
    const port = daemon.match[1]
    const check = svc.daemon.healthcheck!.test.slice(1).map((a) => a.replace(':8765/', `:${port}/`))
    const code = await new Promise<number>((resolve) => execFile(check[0] === 'node' ? process.execPath : check[0], check.slice(1), (e) => resolve(e ? 1 : 0)))
    assert.equal(code, 0, 'the health check command succeeds against the running daemon')
    const queue = `compose${process.pid}`
    const w = store([...svc['worker-1'].command!])
    w[w.indexOf('--queue') + 1] = `nats://nats:4222/${queue}`
    const worker = await startUntil(local(w), /worker ready on queue (\S+)/)
    assert.equal(worker.match[1], queue)
    const b = [...svc['board-ts'].command!]
    b[b.indexOf('--uid') + 1] = `compose-test-${process.pid}`
    const board = await startUntil(local(b), /board (\S+) .*ready/)
    assert.equal(board.match[1], `compose-test-${process.pid}`)
    // the daemon holds its compose id on the PostgreSQL store
    const pg = new (await import('pg')).default.Client({ connectionString: db.url })
    await pg.connect()
    const held = (await pg.query('SELECT holder FROM leases WHERE name = $1', [`daemon:${flag('daemon', '--daemon-id')}`])).rows
    await pg.end()
    assert.equal(held.length, 1, 'the daemon took its name on the store')
    for (const c of [daemon.c, worker.c, board.c]) c.kill('SIGTERM')
    // tidy the worker's streams on the machine's NATS
    const { connect } = await import('nats')
    const nc = await connect({ servers: '127.0.0.1:4222' })
    const jsm = await nc.jetstreamManager()
    for (const s of [`EQP_${queue}_TRIALS`, `EQP_${queue}_RESULTS`]) await jsm.streams.delete(s).catch(() => undefined)
    await nc.close()
  })
})
