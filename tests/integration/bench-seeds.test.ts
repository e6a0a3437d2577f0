/**
 * The seeds' own Python servers as bench baselines, quickly (no lab, no netlab service): the
 * bench profile's baseline-pyseeds (seed 003's threaded TCP upper, seed 004's
 * ThreadingTCPServer echo and UDPServer time), baseline-flask (seed 000's Flask server on
 * Werkzeug's development server) and baseline-httpbin (httpbin under gunicorn) under a unique
 * project, driven by the real load generator over the compose network. Every seed figure
 * must come back with exchanges and no errors. Timings are never asserted.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BenchEvent, parseEvent } from '../../bench/events.ts'
import type { Measurement } from '../../bench/result.ts'
import { buildSuite, HOSTS } from '../../bench/suite.ts'

const execFileP = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')
const project = `netlab-bench-seeds-${randomUUID().slice(0, 8)}`
const SEEDS = [HOSTS.pyseeds, HOSTS.flask, HOSTS.httpbin]

const compose = (args: string[], timeout = 120_000) =>
  execFileP('docker', ['compose', '-p', project, '--profile', 'bench', ...args], {
    cwd: root,
    env: process.env,
    timeout,
    maxBuffer: 16 * 1024 * 1024,
  })

describe('the seed Python baselines (bench smoke)', { timeout: 120_000 }, () => {
  let events: BenchEvent[]

  beforeAll(async () => {
    await compose(['up', '-d', '--wait', '--no-deps', ...SEEDS])
    const { stdout } = await compose(
      [
        'run',
        '--rm',
        '-T',
        '--no-deps',
        'bench-load',
        '--seconds',
        '0.3',
        '--smoke',
        '--hosts',
        SEEDS.join(','),
        '--only',
        'tcp,udp,http',
      ],
      90_000,
    )
    events = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => parseEvent(l))
      .filter((e): e is BenchEvent => !(e instanceof Error))
  }, 120_000)
  afterAll(async () => {
    await compose(['down', '--volumes', '--remove-orphans']).catch(() => undefined)
  }, 60_000)

  it('measures every step that has a seed server, each with exchanges and no errors', () => {
    const want = buildSuite()
      .filter((s) => s.group !== 'rpc')
      .flatMap((s) =>
        s.subjects.filter((sub) => SEEDS.includes(sub.host as never)).map((sub) => `${s.id}|${sub.name}`),
      )
    expect(want.sort()).toEqual([
      'http.data.c32|python Flask dev server (seed 000)',
      'http.get.c32|python httpbin + gunicorn (seed 004)',
      'http.post-data|python Flask dev server (seed 000)',
      'tcp.echo.c32|python ThreadingTCPServer echo (seed 004)',
      'tcp.upper.c32|python ThreadingTCPServer upper (seed 003)',
      'udp.ctime.c32|python UDPServer ctime (seed 004)',
    ])
    const failed = events.filter((e) => e.type === 'failed')
    expect(failed).toEqual([])
    const got = new Map<string, Measurement>()
    for (const e of events)
      if (e.type === 'result') got.set(`${e.measurement.id}|${e.measurement.subject}`, e.measurement)
    expect([...got.keys()].sort()).toEqual(want)
    for (const key of want) {
      const m = got.get(key)
      expect(m?.ops, key).toBeGreaterThan(0)
      expect(m?.errors, key).toBe(0)
      expect([m?.role, m?.family]).toEqual(['baseline', 'seed'])
    }
  })

  it('brackets each measured step with start and end marks naming the server', () => {
    const marks = events.filter((e) => e.type === 'mark')
    expect(marks).toHaveLength(12)
    expect(marks[0]).toEqual({
      type: 'mark',
      phase: 'start',
      id: 'tcp.upper.c32',
      subject: 'python ThreadingTCPServer upper (seed 003)',
      host: HOSTS.pyseeds,
    })
    expect(events.at(-1)).toEqual({ type: 'done' })
  })
})
