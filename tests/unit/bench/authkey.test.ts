/** The Python baseline's key: new and random for each bench run, never the seeds' public one. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { newBenchAuthkey, SEED_AUTHKEY, withBenchAuthkey } from '../../../bench/authkey.ts'

const root = join(import.meta.dirname, '..', '..', '..')

describe('bench authkey', () => {
  it('is 192 random bits, different on every run', () => {
    const keys = Array.from({ length: 50 }, newBenchAuthkey)
    expect(new Set(keys).size).toBe(50)
    for (const k of keys) {
      expect(k).toMatch(/^[A-Za-z0-9_-]{32}$/)
      expect(k).not.toBe(SEED_AUTHKEY)
    }
  })

  it('replaces whatever BENCH_AUTHKEY the environment held, the seed key included', () => {
    const env = withBenchAuthkey({ BENCH_AUTHKEY: 'peekaboo', PATH: '/bin' }, 'k')
    expect(env).toEqual({ BENCH_AUTHKEY: 'k', PATH: '/bin' })
  })

  it('docker-compose.yml gives baseline-pyrpc and bench-load no default key', () => {
    const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8')
    const lines = compose.split('\n').filter((l) => l.includes('BENCH_AUTHKEY:'))
    // compose's interpolation syntax, not a template string
    const unsetMeansEmpty = ['BENCH_AUTHKEY: $', '{BENCH_AUTHKEY:-}'].join('')
    expect(lines.map((l) => l.trim())).toEqual(Array(2).fill(unsetMeansEmpty))
  })
})
