// Headless Chromium for end-to-end tests of the dashboard: Debian's chromium driven by playwright-core
// (no browser download), with a fresh profile folder per launch.
import { existsSync } from 'node:fs'
import { chromium, type BrowserContext } from 'playwright-core'
import { tempDir } from './daemon.ts'

export const CHROMIUM = '/usr/bin/chromium'

/** Flags that keep Chromium off the network and quiet in CI (no QUIC, updates, sync or first-run pages). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Why the browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install -y chromium)`
}

/** A browser context on a fresh --user-data-dir; close() it to stop Chromium. */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir('chromium'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport })
}
