/**
 * Checks that the images exist before any container starts (they are built by
 * `make images`, which `make test` runs first), and after the run removes any
 * container a crashed test left behind (Ryuk, testcontainers' reaper, cannot be pulled here).
 */
import { execFileSync } from 'node:child_process'
import { images, testLabel } from './images.ts'

const docker = (...args: string[]) =>
  execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

export function setup(): void {
  const missing = Object.values(images).filter((image) => {
    try {
      docker('image', 'inspect', image)
      return false
    } catch {
      return true
    }
  })
  if (missing.length > 0)
    throw new Error(`missing images ${missing.join(', ')}: run \`make images\` (or \`make test\`) first`)
}

export function teardown(): void {
  const [key, value] = Object.entries(testLabel)[0] as [string, string]
  const ids = docker('ps', '-aq', '--filter', `label=${key}=${value}`).split('\n').filter(Boolean)
  if (ids.length > 0) docker('rm', '-f', '-v', ...ids)
}
