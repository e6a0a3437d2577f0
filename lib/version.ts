/**
 * netlab's version: the one in package.json, the single source for the CLI's --version,
 * the images (which carry package.json beside dist/) and the services that report one.
 * It is read once, walking up from this file: lib/ in the source tree, dist/lib/ in an image.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown
        version?: unknown
      }
      if (pkg.name === 'netlab' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // no package.json here (or not ours): keep walking up
    }
    const parent = dirname(dir)
    if (parent === dir) return '0.0.0-unknown'
    dir = parent
  }
}

/** VERSION is netlab's semantic version, e.g. `0.2.0`. */
export const VERSION: string = readVersion()
