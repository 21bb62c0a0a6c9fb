// Every route, fed bad input: each case asserts the status, the error code, and that the message names
// the field (or the id) at fault. No case may produce a 500.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { inProcessDaemon } from '../support/daemon.ts'

interface Case {
  name: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  url: string | (() => string)
  body?: unknown
  raw?: string
  type?: string
  status: number
  code: string
  field: string | RegExp
}

const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 5, weightStd: 0.5 }, { inputs: 2, outputs: 1 }, 0)
const sim = { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 }
let doneRun = ''

const CASES: Case[] = [
  // POST /devices
  { name: 'device body that is not JSON', method: 'POST', url: '/devices', raw: '{"kind": "sim-xy",', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body' },
  { name: 'device body without kind', method: 'POST', url: '/devices', body: {}, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.kind' },
  { name: 'device kind that does not exist', method: 'POST', url: '/devices', body: { ...sim, kind: 'carrier-pigeon' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.kind' },
  { name: 'serial device with a negative baud rate', method: 'POST', url: '/devices', body: { kind: 'serial', path: '/dev/ttyACM0', baud: -9600 }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.baud' },
  { name: 'serial device with simulator fields', method: 'POST', url: '/devices', body: { kind: 'serial', path: '/dev/ttyACM0', builder: 'lattice:4x4' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.builder: unknown field' },
  { name: 'device with an unknown field', method: 'POST', url: '/devices', body: { ...sim, colour: 'red' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.colour: unknown field' },
  { name: 'device with both network and builder', method: 'POST', url: '/devices', body: { kind: 'sim-xy', builder: 'lattice:4x4', network: xorNet }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.network' },
  { name: 'device builder without io or task', method: 'POST', url: '/devices', body: { kind: 'sim-xy', builder: 'lattice:4x4' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.io' },
  { name: 'device builder string that does not parse', method: 'POST', url: '/devices', body: { ...sim, builder: 'lattice:0x4' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'builder' },
  { name: 'device builder spec with a wrong type', method: 'POST', url: '/devices', body: { ...sim, builder: { kind: 'lattice', rows: 'four', cols: 4 } }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.builder.rows' },
  { name: 'network whose edge references a missing node', method: 'POST', url: '/devices', body: { kind: 'sim-xy', network: { ...xorNet, edges: [[0, 9], ...xorNet.edges.slice(1)] } }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /body\.network\.edges\.0: .*node >= nodes/ },
  { name: 'network with fewer weights than edges', method: 'POST', url: '/devices', body: { kind: 'sim-xy', network: { ...xorNet, weights: [0.1] } }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.network.weights' },
  { name: 'device task that does not exist', method: 'POST', url: '/devices', body: { ...sim, task: 'mnist-9000' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /task: unknown dataset 'mnist-9000'/ },
  { name: 'device over the node limit', method: 'POST', url: '/devices', body: { ...sim, builder: 'lattice:1000x1000' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /builder: 1000000 nodes/ },
  { name: 'device with a negative solver tolerance', method: 'POST', url: '/devices', body: { ...sim, sim: { tol: -1 } }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.sim.tol' },
  { name: 'device body over the size limit', method: 'POST', url: '/devices', raw: JSON.stringify({ ...sim, name: 'x'.repeat(2 * 1024 * 1024) }), status: 413, code: 'EQP_ERR_BODY_TOO_LARGE', field: 'body' },
  { name: 'device list with an unknown query field', method: 'GET', url: '/devices?colour=red', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.colour: unknown field' },
  // /devices/:id
  { name: 'unknown device id', method: 'GET', url: '/devices/dev-99', status: 404, code: 'EQP_ERR_DEVICE_NOT_FOUND', field: "'dev-99'" },
  { name: 'device id that is not an id', method: 'GET', url: '/devices/no%20such%20thing', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'params.id' },
  { name: 'detach an unknown device', method: 'DELETE', url: '/devices/dev-99', status: 404, code: 'EQP_ERR_DEVICE_NOT_FOUND', field: "'dev-99'" },
  { name: 'params of an unknown device', method: 'GET', url: '/devices/dev-99/params', status: 404, code: 'EQP_ERR_DEVICE_NOT_FOUND', field: "'dev-99'" },
  { name: 'params with the wrong number of couplings', method: 'PUT', url: '/devices/dev-1/params', body: { weights: [0.1, 0.2] }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /weights: expected 24 values/ },
  { name: 'params with a string coupling', method: 'PUT', url: '/devices/dev-1/params', body: { weights: ['a', ...new Array(23).fill(0)] }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.weights.0' },
  { name: 'params with the wrong number of bias fields', method: 'PUT', url: '/devices/dev-1/params', body: { weights: new Array(24).fill(0), h: [1] }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /^h: expected 16 values/ },
  { name: 'params with an unknown field', method: 'PUT', url: '/devices/dev-1/params', body: { weights: new Array(24).fill(0), w: [] }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.w: unknown field' },
  // relax
  { name: 'relax with inputs of the wrong width', method: 'POST', url: '/devices/dev-1/relax', body: { inputs: [[0.1, 0.2]] }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /inputs\.0: expected 4 values/ },
  { name: 'relax with no samples', method: 'POST', url: '/devices/dev-1/relax', body: { inputs: [] }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.inputs' },
  { name: 'relax nudged without a nudge', method: 'POST', url: '/devices/dev-1/relax', body: { inputs: [[0, 0, 0, 0]], phase: 'nudged' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /^nudge: / },
  { name: 'relax with a zero nudge strength', method: 'POST', url: '/devices/dev-1/relax', body: { inputs: [[0, 0, 0, 0]], phase: 'nudged', nudge: { kind: 'cost', beta: 0, targets: [[0, 0, 0]] } }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.nudge.beta' },
  { name: 'relax from given states of the wrong length', method: 'POST', url: '/devices/dev-1/relax', body: { inputs: [[0, 0, 0, 0]], start: { kind: 'given', states: [[0, 1]] } }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /start\.states\.0: expected 16/ },
  { name: 'relax batch over the limit', method: 'POST', url: '/devices/dev-1/relax', body: { inputs: new Array(300).fill([0, 0, 0, 0]) }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.inputs' },
  { name: 'relax with an unknown start kind', method: 'POST', url: '/devices/dev-1/relax', body: { inputs: [[0, 0, 0, 0]], start: { kind: 'warm' } }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.start.kind' },
  { name: 'relax on an unknown device', method: 'POST', url: '/devices/dev-99/relax', body: { inputs: [[0, 0, 0, 0]] }, status: 404, code: 'EQP_ERR_DEVICE_NOT_FOUND', field: "'dev-99'" },
  // POST /runs
  { name: 'run without a device', method: 'POST', url: '/runs', body: { task: 'iris' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.device' },
  { name: 'run on an unknown device', method: 'POST', url: '/runs', body: { device: 'dev-42', task: 'iris' }, status: 404, code: 'EQP_ERR_DEVICE_NOT_FOUND', field: "'dev-42'" },
  { name: 'run on an unknown task', method: 'POST', url: '/runs', body: { device: 'dev-1', task: 'cifar' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /^task: unknown dataset 'cifar'/ },
  { name: 'run with a negative learning rate', method: 'POST', url: '/runs', body: { device: 'dev-1', task: 'iris', lr: -0.1 }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.lr' },
  { name: 'run with fractional epochs', method: 'POST', url: '/runs', body: { device: 'dev-1', task: 'iris', epochs: 1.5 }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.epochs' },
  { name: 'run whose task does not fit the device', method: 'POST', url: '/runs', body: { device: 'dev-1', task: 'xor' }, status: 400, code: 'EQP_ERR_TASK_MISMATCH', field: /2 inputs and 1 outputs, device 'dev-1' 4 and 3/ },
  { name: 'run with an unknown field', method: 'POST', url: '/runs', body: { device: 'dev-1', task: 'iris', learningRate: 0.1 }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.learningRate: unknown field' },
  { name: 'run with an unknown optimiser', method: 'POST', url: '/runs', body: { device: 'dev-1', task: 'iris', optimiser: { kind: 'rmsprop' } }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.optimiser.kind' },
  { name: 'run with a seed above 2^32-1', method: 'POST', url: '/runs', body: { device: 'dev-1', task: 'iris', seed: 2 ** 33 }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.seed' },
  // GET /runs, /runs/:id
  { name: 'run list by an unknown state', method: 'GET', url: '/runs?state=sleeping', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.state' },
  { name: 'run list with an unknown query field', method: 'GET', url: '/runs?colour=1', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.colour: unknown field' },
  { name: 'unknown run id', method: 'GET', url: '/runs/run-77', status: 404, code: 'EQP_ERR_RUN_NOT_FOUND', field: "'run-77'" },
  { name: 'run id that is not an id', method: 'GET', url: '/runs/%2e%2e%2fetc', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'params.id' },
  // pause / resume / cancel
  { name: 'pause an unknown run', method: 'POST', url: '/runs/run-77/pause', status: 404, code: 'EQP_ERR_RUN_NOT_FOUND', field: "'run-77'" },
  { name: 'pause a finished run', method: 'POST', url: () => `/runs/${doneRun}/pause`, status: 409, code: 'EQP_ERR_RUN_BAD_TRANSITION', field: 'done -> paused' },
  { name: 'resume a finished run', method: 'POST', url: () => `/runs/${doneRun}/resume`, status: 409, code: 'EQP_ERR_RUN_BAD_TRANSITION', field: 'done -> running' },
  { name: 'cancel a finished run', method: 'POST', url: () => `/runs/${doneRun}/cancel`, status: 409, code: 'EQP_ERR_RUN_BAD_TRANSITION', field: 'done -> cancelled' },
  { name: 'pause with an unknown body field', method: 'POST', url: () => `/runs/${doneRun}/pause`, body: { now: true }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.now: unknown field' },
  // metrics, events, snapshot
  { name: 'metrics in an unknown format', method: 'GET', url: () => `/runs/${doneRun}/metrics?format=xml`, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.format' },
  { name: 'metrics since a negative step', method: 'GET', url: () => `/runs/${doneRun}/metrics?since=-1`, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.since' },
  { name: 'metrics of an unknown kind', method: 'GET', url: () => `/runs/${doneRun}/metrics?kind=loss`, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.kind' },
  { name: 'metrics of an unknown run', method: 'GET', url: '/runs/run-77/metrics', status: 404, code: 'EQP_ERR_RUN_NOT_FOUND', field: "'run-77'" },
  { name: 'events of an unknown run', method: 'GET', url: '/runs/run-77/events', status: 404, code: 'EQP_ERR_RUN_NOT_FOUND', field: "'run-77'" },
  { name: 'events since a word', method: 'GET', url: () => `/runs/${doneRun}/events?since=abc`, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.since' },
  { name: 'snapshot of an unknown run', method: 'GET', url: '/runs/run-77/snapshot', status: 404, code: 'EQP_ERR_RUN_NOT_FOUND', field: "'run-77'" },
  // datasets
  { name: 'unknown dataset', method: 'GET', url: '/datasets/nope', status: 404, code: 'EQP_ERR_DATASET_NOT_FOUND', field: "'nope'" },
  { name: 'dataset name with capitals and spaces', method: 'GET', url: '/datasets/Bad%20Name', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'params.name' },
  { name: 'dataset list with an unknown query field', method: 'GET', url: '/datasets?all=1', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.all: unknown field' },
  { name: 'CSV with a short row', method: 'POST', url: '/datasets', body: { name: 'short', csv: 'a,b,label\n1,2,x\n3,y\n5,6,y\n' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /csv\.line 3: expected 3 columns, got 2/ },
  { name: 'CSV with a non-numeric feature', method: 'POST', url: '/datasets', body: { name: 'words', csv: 'a,b,label\n1,2,x\n3,four,y\n' }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /csv\.line 3: column 'b': 'four'/ },
  { name: 'dataset with both csv and rows', method: 'POST', url: '/datasets', body: { name: 'both', csv: 'a,label\n1,x\n', rows: [] }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.csv' },
  { name: 'dataset under a built-in name', method: 'POST', url: '/datasets', body: { name: 'iris', rows: [{ features: [1], label: 0 }, { features: [2], label: 1 }] }, status: 409, code: 'EQP_ERR_DATASET_EXISTS', field: "'iris'" },
  { name: 'dataset rows of one class', method: 'POST', url: '/datasets', body: { name: 'mono', rows: [{ features: [1], label: 'a' }, { features: [2], label: 'a' }] }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: /^rows: needs at least 2 classes/ },
  { name: 'dataset rows of different widths', method: 'POST', url: '/datasets', body: { name: 'ragged', rows: [{ features: [1, 2], label: 'a' }, { features: [2], label: 'b' }] }, status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'rows.1.features' },
  { name: 'raw CSV upload without a name', method: 'POST', url: '/datasets', raw: 'a,label\n1,x\n2,y\n', type: 'text/csv', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.name' },
  { name: 'raw CSV upload with a bad test fraction', method: 'POST', url: '/datasets?name=frac&testFraction=lots', raw: 'a,label\n1,x\n2,y\n', type: 'text/csv', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'body.testFraction' },
  { name: 'dataset upload as XML', method: 'POST', url: '/datasets', raw: '<rows/>', type: 'application/xml', status: 415, code: 'EQP_ERR_MEDIA_TYPE', field: 'application/xml' },
  // system
  { name: 'health with an unknown query field', method: 'GET', url: '/health?verbose=1', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.verbose: unknown field' },
  { name: 'prometheus metrics with an unknown query field', method: 'GET', url: '/metrics?x=1', status: 400, code: 'EQP_ERR_BAD_INPUT', field: 'query.x: unknown field' },
  { name: 'a route that does not exist', method: 'GET', url: '/devicez', status: 404, code: 'EQP_ERR_ROUTE_NOT_FOUND', field: 'GET /devicez' },
  { name: 'a method the route does not have', method: 'PUT', url: '/runs', body: {}, status: 404, code: 'EQP_ERR_ROUTE_NOT_FOUND', field: 'PUT /runs' },
]

describe('malformed input on every route', () => {
  let d: Daemon
  before(async () => {
    d = await inProcessDaemon()
    const dev = await d.app.inject({ method: 'POST', url: '/devices', payload: sim })
    assert.equal(dev.statusCode, 201, dev.body)
    assert.equal(dev.json().id, 'dev-1')
    const xor = await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', network: xorNet } })
    const run = await d.app.inject({ method: 'POST', url: '/runs', payload: { device: xor.json().id, task: 'xor', epochs: 2, batchSize: 4 } })
    assert.equal(run.statusCode, 202, run.body)
    doneRun = run.json().id
    await d.services.runs.idle(doneRun)
    assert.equal((await d.services.runs.get(doneRun)).state, 'done')
  })
  after(async () => { await d.close() })

  it(`has at least 30 cases covering every route (${CASES.length})`, () => {
    assert.ok(CASES.length >= 30)
    const routes = d.app.printRoutes({ commonPrefix: false })
    for (const path of ['/devices', '/devices/:id', '/devices/:id/params', '/devices/:id/relax', '/runs', '/runs/:id', '/runs/:id/pause', '/runs/:id/metrics', '/runs/:id/events', '/runs/:id/snapshot', '/datasets', '/datasets/:name', '/health', '/metrics']) {
      assert.ok(routes.includes(path.split('/').pop()!), `route ${path} exists`)
      const re = new RegExp('^' + path.replace(/:\w+/g, '[^/?]+') + '(\\?|$)')
      assert.ok(CASES.some((c) => re.test(typeof c.url === 'string' ? c.url : c.url())), `no malformed case for ${path}`)
    }
  })

  for (const c of CASES) {
    it(`answers ${c.status} ${c.code} naming the field: ${c.name}`, async () => {
      const url = typeof c.url === 'string' ? c.url : c.url()
      const r = await d.app.inject({
        method: c.method, url,
        payload: c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body)),
        headers: c.raw !== undefined || c.body !== undefined ? { 'content-type': c.type ?? 'application/json' } : {},
      })
      assert.equal(r.statusCode, c.status, r.body)
      const body = r.json()
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message'])
      assert.equal(body.code, c.code, body.message)
      if (typeof c.field === 'string') assert.ok(body.message.includes(c.field), `'${body.message}' should name '${c.field}'`)
      else assert.match(body.message, c.field)
    })
  }

  it('left the daemon healthy: no 500 was counted and the finished run is intact', async () => {
    const m = await d.app.inject({ method: 'GET', url: '/metrics' })
    assert.doesNotMatch(m.body, /status="5\d\d"/)
    assert.equal((await d.services.runs.get(doneRun)).state, 'done')
  })
})
