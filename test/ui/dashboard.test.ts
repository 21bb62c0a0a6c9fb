// The dashboard end to end in headless Chromium: the real bundle (built here), a real daemon on a
// loopback port, a simulator device and a small Iris run. The page must show the curve growing and the
// maps changing while the run trains, and pause it; with a token, pause must wait for the token.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { BrowserContext, Page } from 'playwright-core'
import type { Daemon } from '../../src/api/daemon.ts'
import { buildUi } from '../../ui/build.ts'
import { browserMissing, launchChromium } from '../support/browser.ts'
import { call, inProcessDaemon, tempDir } from '../support/daemon.ts'

// long enough (1,600 steps) that it is still training when the page looks; every case cancels it
const RUN = { device: 'dev-1', task: 'iris', seed: 1, optimiser: { kind: 'adam' }, lr: 0.02, batchSize: 16, epochs: 200 }
const WAIT = { timeout: 15_000 }

const points = (page: Page, id: string) => page.getAttribute(`[data-testid=${id}]`, 'data-points').then(Number)
const mapPixels = (page: Page, field: string) => page.$eval(`[data-testid=map-${field}] canvas`, (c) => (c as HTMLCanvasElement).toDataURL())
const mapVersion = (page: Page, field: string) => page.getAttribute(`[data-testid=map-${field}]`, 'data-version').then(Number)

/** A daemon with the bundle, one 4x4 lattice simulator, and run-1 training on it. */
async function daemonWithRun(uiDir: string, headers: Record<string, string> = {}, cfg: Parameters<typeof inProcessDaemon>[0] = {}): Promise<Daemon> {
  const d = await inProcessDaemon({ uiDir, ...cfg })
  const dev = await call(d.url, 'POST', '/devices', { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 }, headers)
  assert.equal(dev.status, 201, dev.text)
  const run = await call(d.url, 'POST', '/runs', RUN, headers)
  assert.equal(run.status, 202, run.text)
  return d
}

describe('dashboard in headless Chromium', () => {
  let uiDir: string
  let browser: BrowserContext
  const errors: string[] = []
  before(async () => {
    const missing = browserMissing()
    if (missing) throw new Error(`the dashboard tests need Chromium: ${missing}`)
    uiDir = await buildUi(tempDir('ui'))
    browser = await launchChromium()
  })
  after(async () => { await browser?.close() })

  const open = async (url: string): Promise<Page> => {
    const page = await browser.newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(url)
    return page
  }

  it('shows the loss curve growing and the maps changing while a run trains, and pauses it', async () => {
    const d = await daemonWithRun(uiDir)
    try {
      const page = await open(`${d.url}/#/runs/run-1`)
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=chart-loss]')?.getAttribute('data-points')) > 0, null, WAIT)
      await page.waitForSelector('[data-testid=map-couplings] canvas', WAIT)
      const n1 = await points(page, 'chart-loss')
      const px1 = await mapPixels(page, 'couplings')
      const v1 = await mapVersion(page, 'couplings')
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid=chart-loss]')?.getAttribute('data-points')) > n, n1, WAIT)
      // a newer snapshot, drawn with other pixels (the couplings moved)
      await page.waitForFunction(([v, px]) => {
        const fig = document.querySelector('[data-testid=map-couplings]')
        return Number(fig?.getAttribute('data-version')) > Number(v) && fig?.querySelector('canvas')?.toDataURL() !== px
      }, [v1, px1] as const, WAIT)
      assert.ok(await points(page, 'chart-loss') > n1, 'the loss curve has more points')
      assert.notEqual(await mapPixels(page, 'couplings'), px1, 'the couplings map is drawn differently')
      assert.ok(await mapVersion(page, 'couplings') > v1)
      // the phases map shows what the device reported while training
      assert.equal(await page.getAttribute('[data-testid=map-phases]', 'data-phases'), 'reported')
      assert.equal(await page.textContent('[data-testid=run-state]'), 'running')

      await page.click('[data-testid=pause-run-1]')
      await page.waitForFunction(() => document.querySelector('[data-testid=run-state]')?.textContent === 'paused', null, WAIT)
      assert.equal((await call(d.url, 'GET', '/runs/run-1')).body.state, 'paused')
      assert.ok(await page.isEnabled('[data-testid=resume-run-1]'), 'resume is offered')
      assert.ok(!(await page.isEnabled('[data-testid=pause-run-1]')), 'pause is not')

      // the overview lists the device with its lease and the run as paused
      await page.goto(`${d.url}/#/`)
      await page.waitForSelector('[data-testid=run-run-1][data-state=paused]', WAIT)
      assert.match(await page.textContent('[data-testid=device-dev-1]') ?? '', /run-1/)

      // a short second run with another learning rate, compared with the first
      assert.equal((await call(d.url, 'POST', '/devices', { kind: 'sim-xy', builder: 'lattice:4x4', task: 'iris', seed: 1 })).status, 201)
      assert.equal((await call(d.url, 'POST', '/runs', { ...RUN, device: 'dev-2', epochs: 2, lr: 0.05 })).status, 202)
      await d.services.runs.idle('run-2')
      await page.goto(`${d.url}/#/compare/run-1/run-2`)
      await page.waitForSelector('[data-testid=compare-table]', WAIT)
      const rows = await page.$$eval('[data-testid=compare-table] tr.diff td:first-child', (tds) => tds.map((t) => t.textContent))
      assert.deepEqual(rows, ['device', 'epochs', 'lr'])
      assert.ok(await points(page, 'compare-loss') >= 2, 'both runs have epoch points')
      assert.deepEqual(errors, [])
      await page.close()
    } finally {
      await call(d.url, 'POST', '/runs/run-1/cancel')
      await d.close()
    }
  })

  it('with a token: reads and streams without it, refuses pause until it is entered, then keeps it', async () => {
    const auth = { authorization: 'Bearer lab-secret-token' }
    const d = await daemonWithRun(uiDir, auth, { tokens: [{ name: 'lab', token: 'lab-secret-token' }] })
    try {
      const page = await open(`${d.url}/#/runs/run-1`)
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=chart-loss]')?.getAttribute('data-points')) > 0, null, WAIT)
      await page.click('[data-testid=pause-run-1]')
      await page.waitForSelector('[data-testid=action-error]', WAIT)
      assert.match(await page.textContent('[data-testid=action-error]') ?? '', /token/)
      assert.equal((await call(d.url, 'GET', '/runs/run-1')).body.state, 'running')

      await page.click('[data-testid=token-edit]')
      await page.fill('[data-testid=token-input]', 'lab-secret-token')
      await page.click('[data-testid=token-save]')
      assert.equal(await page.textContent('[data-testid=token-state]'), 'token set')
      // the page starts again with the token: the stream and the curve come back
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=chart-loss]')?.getAttribute('data-points')) > 0, null, WAIT)
      await page.click('[data-testid=pause-run-1]')
      await page.waitForFunction(() => document.querySelector('[data-testid=run-state]')?.textContent === 'paused', null, WAIT)
      assert.equal((await call(d.url, 'GET', '/runs/run-1')).body.state, 'paused')

      // kept in this browser: a reload still has it
      await page.reload()
      assert.equal(await page.textContent('[data-testid=token-state]'), 'token set')
      assert.deepEqual(errors, [])
      await page.close()
    } finally {
      await call(d.url, 'POST', '/runs/run-1/cancel', undefined, auth)
      await d.close()
    }
  })
})
