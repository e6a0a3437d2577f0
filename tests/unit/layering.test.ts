/**
 * The house's layers: lib/ at the bottom, protocols/ (wire codecs and value models) on it,
 * and services/, clients/ and bench/ above. protocols/ imports only lib/ (and itself);
 * clients/ and bench/ never import services/, so their images ship no service code.
 * Every source file outside protocols/ stays within 400 lines.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f))
}

/** importsOf lists the repo-relative paths that `file`'s relative imports name. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  return [...text.matchAll(IMPORT)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[2] as string)))
}

const topOf = (path: string) => path.split(/[\\/]/)[0]

describe('layering', () => {
  it('protocols/ imports only lib/ and protocols/', () => {
    const bad = sources('protocols').flatMap((f) =>
      importsOf(f)
        .filter((target) => !['lib', 'protocols'].includes(topOf(target) ?? ''))
        .map((target) => `${f} -> ${target}`),
    )
    expect(bad).toEqual([])
  })

  it('lib/ imports nothing above it', () => {
    const bad = sources('lib').flatMap((f) =>
      importsOf(f)
        .filter((target) => topOf(target) !== 'lib')
        .map((target) => `${f} -> ${target}`),
    )
    expect(bad).toEqual([])
  })

  it('clients/ and bench/ never import services/', () => {
    const bad = [...sources('clients'), ...sources('bench')].flatMap((f) =>
      importsOf(f)
        .filter((target) => topOf(target) === 'services')
        .map((target) => `${f} -> ${target}`),
    )
    expect(bad).toEqual([])
  })

  it('finds the imports it checks (the scan is not empty)', () => {
    expect(importsOf('clients/cli/net/rpc-client.ts').some((t) => topOf(t) === 'protocols')).toBe(true)
    expect(importsOf('services/udp/handlers.ts')).toContain(join('protocols', 'sntp', 'packet.ts'))
  })

  it('no source file outside protocols/ is over 400 lines', () => {
    const long = ['lib', 'services', 'clients', 'bench', 'scripts', 'deploy']
      .flatMap(sources)
      .map((f) => ({ f, lines: readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > 400)
      .map(({ f, lines }) => `${f}: ${lines}`)
    expect(long).toEqual([])
  })
})
