// A private mosquitto per test file, on a free loopback port (never the system broker on 1883, which
// other sessions share): stop() and restart() are a broker crash and its return on the same port.
// Optionally with a password file (anonymous clients refused) and/or a TLS listener whose
// certificate comes from a throw-away CA made in the broker's temp dir, so the secure paths of the
// MQTT transport meet a real broker, not a mock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type AddressInfo } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

export const MOSQUITTO = '/usr/sbin/mosquitto'
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd'
/** A skip reason for node:test when mosquitto is not installed, else false. */
export const NO_MOSQUITTO: string | false = spawnSync(MOSQUITTO, ['-h']).error ? 'mosquitto is not installed' : false
/** A skip reason when mosquitto_passwd (password files) is missing, else false. */
export const NO_MOSQUITTO_PASSWD: string | false = existsSync(MOSQUITTO_PASSWD) ? false : `${MOSQUITTO_PASSWD} is not installed`
/** A skip reason when openssl (the test certificates) is missing, else false. */
export const NO_OPENSSL: string | false = spawnSync('openssl', ['version']).error ? 'openssl is not installed' : false

export interface MosquittoOptions {
  /** one user in a password file; anonymous clients are refused */
  auth?: { username: string; password: string }
  /** the listener speaks TLS with a server certificate for 127.0.0.1/localhost from a throw-away CA */
  tls?: boolean
  /** set_tcp_nodelay (default true); false is mosquitto's own default, Nagle on, as a system broker often runs */
  noDelay?: boolean
}

export interface Mosquitto {
  /** mqtt://127.0.0.1:PORT, or mqtts:// with tls */
  url: string
  port: number
  /** with tls: the CA certificate (PEM) that signed the broker's certificate */
  ca?: string
  /** stops the broker (SIGTERM) and waits for it to exit; retained messages are gone (no persistence) */
  stop(): Promise<void>
  /** starts it again on the same port */
  restart(): Promise<void>
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; it is released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' })
    c.once('connect', () => { c.destroy(); resolve(true) })
    c.once('error', () => resolve(false))
  })
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`)
}

/**
 * A CA (ca.crt) and a server certificate (server.crt, server.key) for 127.0.0.1 and localhost
 * signed by it, in dir (P-256 keys: quick to make). Own openssl config files, so the system's openssl.cnf defaults play no part.
 */
function makeCertificates(dir: string): void {
  const f = (n: string) => join(dir, n)
  writeFileSync(f('ca.cnf'), [
    '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = eqprop-hil test CA',
    '[ext]', 'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign', 'subjectKeyIdentifier = hash', '',
  ].join('\n'))
  writeFileSync(f('server.cnf'), [
    '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = localhost',
    '[ext]', 'basicConstraints = CA:FALSE', 'keyUsage = critical,digitalSignature,keyEncipherment', 'extendedKeyUsage = serverAuth',
    'subjectAltName = IP:127.0.0.1,DNS:localhost', 'authorityKeyIdentifier = keyid', 'subjectKeyIdentifier = hash', '',
  ].join('\n'))
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  run('openssl', ['req', '-x509', ...ec, '-config', f('ca.cnf'), '-extensions', 'ext', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2'])
  run('openssl', ['req', '-new', ...ec, '-config', f('server.cnf'), '-keyout', f('server.key'), '-out', f('server.csr')])
  run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-extfile', f('server.cnf'), '-extensions', 'ext', '-out', f('server.crt'), '-days', '2'])
}

/**
 * Starts mosquitto on a free loopback port and waits until it accepts connections; with options, a
 * password file and/or a TLS listener (the caller skips on NO_MOSQUITTO_PASSWD / NO_OPENSSL).
 */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'eqp-mosq-'))
  const conf = join(dir, 'mosquitto.conf')
  const passwd = join(dir, 'passwd')
  const certs = { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') }
  // (re)writes everything the broker reads: restart() after stop() finds the directory gone
  const writeFiles = () => {
    mkdirSync(dir, { recursive: true })
    const lines = [`listener ${port} 127.0.0.1`, 'persistence false', `set_tcp_nodelay ${opts.noDelay === false ? 'false' : 'true'}`]
    // run as root, mosquitto drops to user 'mosquitto', which cannot read this 0700 temp dir; naming
    // the current user keeps it as is (the setting has no effect when not root)
    lines.push(`user ${userInfo().username}`)
    if (opts.auth) {
      run(MOSQUITTO_PASSWD, ['-b', '-c', passwd, opts.auth.username, opts.auth.password])
      lines.push('allow_anonymous false', `password_file ${passwd}`)
    } else lines.push('allow_anonymous true')
    if (opts.tls) {
      if (!existsSync(certs.ca)) makeCertificates(dir)
      lines.push(`cafile ${certs.ca}`, `certfile ${certs.cert}`, `keyfile ${certs.key}`)
    }
    writeFileSync(conf, lines.join('\n') + '\n')
  }
  writeFiles()
  let proc: ChildProcess | null = null
  let err = ''

  const start = async () => {
    err = ''
    const p = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    p.stderr!.on('data', (d: Buffer) => { err += d.toString() })
    proc = p
    for (let i = 0; ; i++) {
      if (p.exitCode !== null) throw new Error(`mosquitto exited with ${p.exitCode}: ${err}`)
      if (await accepts(port)) return
      if (i > 500) throw new Error(`mosquitto did not listen on ${port}: ${err}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  const stop = async () => {
    const p = proc
    proc = null
    if (!p || p.exitCode !== null || p.signalCode !== null) return
    const gone = new Promise((r) => p.once('exit', r))
    p.kill('SIGTERM')
    await gone
  }
  try {
    await start()
  } catch (e) {
    await stop()
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  return {
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`, port,
    ...(opts.tls ? { ca: certs.ca } : {}),
    restart: async () => {
      writeFiles()
      await start()
    },
    stop: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
