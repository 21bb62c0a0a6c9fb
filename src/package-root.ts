// The package's own folder, found from this module's location. Run from source this file sits in
// src/, compiled it sits in dist/src/: one level deeper, so fixed '../..' paths would break in one of
// the two. Walking up to the first package.json works in both.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
}

/** Absolute path of the folder holding eqprop-hil's package.json (and firmware-protocol/, etc.). */
export const PACKAGE_ROOT = findRoot()
