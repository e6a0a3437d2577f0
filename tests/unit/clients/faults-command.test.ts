/**
 * `netlab faults …` end to end inside the process: the real command tree against the
 * real faults API listening on loopback (found through FAULTS_API_HOST_PORT, as on the host).
 */
import { type AddressInfo, createServer } from 'node:net'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Env } from '../../../lib/config.ts'
import { createLogger } from '../../../lib/log.ts'
import { buildApi } from '../../../services/faults/api.ts'
import { ProxyRegistry } from '../../../services/faults/proxy-registry.ts'
import { runCli } from '../../support/cli-harness.ts'
import { testRegistryOptions } from '../../support/registry-options.ts'

describe('netlab faults', () => {
  const log = createLogger('faults', 'silent')
  const registry = new ProxyRegistry(
    testRegistryOptions({
      maxProxies: 4,
      limits: {
        maxToxics: 4,
        maxConnections: 10,
        maxUdpSessions: 4,
        udpSessionIdleMs: 1000,
        maxUdpQueue: 100,
      },
      rng: Math.random,
      log,
    }),
  )
  const api = buildApi(registry, log)
  let env: Env

  beforeAll(async () => {
    await api.listen({ host: '127.0.0.1', port: 0 })
    env = { FAULTS_API_HOST_PORT: String((api.server.address() as AddressInfo).port) }
    return async () => {
      await registry.closeAll(0)
      await api.close()
    }
  })
  beforeEach(async () => {
    for (const p of registry.list()) await registry.remove(p.name)
    await registry.create({ name: 'udp-time', protocol: 'udp', listen: '127.0.0.1:0', upstream: 'udp:20000' })
  })

  it('adds a UDP loss toxic the way docs/faults.md shows', async () => {
    const r = await runCli(env, ['faults', 'add', 'udp-time', 'loss', '--toxicity', '0.2'])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toBe('added to udp-time: loss_downstream loss downstream toxicity=0.2\n')
    expect(
      registry
        .get('udp-time')
        .toxics.list()
        .map((t) => [t.name, t.toxicity]),
    ).toEqual([['loss_downstream', 0.2]])
  })

  it('passes --stream, --name and repeated -a attributes', async () => {
    const r = await runCli(env, [
      'faults',
      'add',
      'udp-time',
      'latency',
      '--stream',
      'upstream',
      '--name',
      'slow',
      '-a',
      'latency=200',
      '-a',
      'jitter=20',
    ])
    expect(r.stdout).toBe('added to udp-time: slow latency upstream toxicity=1 latency=200 jitter=20\n')
  })

  it('lists proxies with their toxics, as text and as --json', async () => {
    await runCli(env, ['faults', 'add', 'udp-time', 'duplicate', '-a', 'copies=2'])
    const listen = registry.get('udp-time').toJSON().listen
    const r = await runCli(env, ['faults', 'list'])
    const pad = ' '.repeat(Math.max(0, 6 - listen.length))
    expect(r.stdout).toBe(
      [
        `PROXY     PROTO  LISTEN${' '.repeat(Math.max(0, listen.length - 6))}  UPSTREAM   ENABLED`,
        `udp-time  udp    ${listen}${pad}  udp:20000  yes`,
        '  └ duplicate_downstream duplicate downstream toxicity=1 copies=2',
        '',
      ].join('\n'),
    )
    const j = await runCli(env, ['--json', 'faults', 'list'])
    expect(JSON.parse(j.stdout)).toEqual({ proxies: [registry.get('udp-time').toJSON()] })
  })

  it('removes a toxic, disables and enables a proxy, resets', async () => {
    await runCli(env, ['faults', 'add', 'udp-time', 'loss'])
    expect((await runCli(env, ['faults', 'remove', 'udp-time', 'loss_downstream'])).stdout).toBe(
      'removed loss_downstream from udp-time\n',
    )
    const listen = registry.get('udp-time').toJSON().listen
    expect((await runCli(env, ['faults', 'disable', 'udp-time'])).stdout).toBe(
      `udp-time disabled (${listen} → udp:20000)\n`,
    )
    expect(registry.get('udp-time').enabled).toBe(false)
    expect((await runCli(env, ['faults', 'enable', 'udp-time'])).stdout).toBe(
      `udp-time enabled (${listen} → udp:20000)\n`,
    )
    await runCli(env, ['faults', 'add', 'udp-time', 'loss'])
    expect((await runCli(env, ['faults', 'reset'])).stdout).toBe(
      'reset: every proxy enabled, every toxic removed\n',
    )
    expect(registry.get('udp-time').toxics.list()).toEqual([])
  })

  it('prints the API’s own error and exits 1', async () => {
    const r = await runCli(env, ['faults', 'add', 'udp-time', 'slicer'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      'netlab: faults API: invalid toxic type "slicer" for a udp proxy; valid types: latency, loss, duplicate, reorder, corrupt, rate (400)\n',
    )
    const missing = await runCli(env, ['--json', 'faults', 'remove', 'nope', 'x'])
    expect(JSON.parse(missing.stdout)).toEqual({
      error: 'PROXY_NOT_FOUND',
      message: 'faults API: proxy not found (404)',
    })
  })

  it('refuses a bad toxicity or attribute before calling the API (exit 2, usage on stderr)', async () => {
    const bad = await runCli(env, ['faults', 'add', 'udp-time', 'loss', '--toxicity', '2'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(
      "option '--toxicity <p>' argument '2' is invalid. expected a probability from 0 to 1",
    )
    const attr = await runCli(env, ['faults', 'add', 'udp-time', 'latency', '-a', 'latency'])
    expect(attr.stderr).toContain('expected key=integer, e.g. latency=200')
  })

  it('says clearly when the API cannot be reached', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const r = await runCli({ FAULTS_API_HOST_PORT: String(port) }, ['faults', 'list'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`netlab: cannot reach the faults API at http://127.0.0.1:${port}: ECONNREFUSED\n`)
  })
})
