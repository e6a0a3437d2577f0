/**
 * `netlab http post-data`, seed 000's client, inside the process: the real command against the
 * real HTTP app on loopback (one with a 1 KiB body limit for the 413), and a node:http double
 * whose /data/ lies about what it received.
 */
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../../../lib/config.ts'
import { createLogger } from '../../../lib/log.ts'
import { buildApp } from '../../../services/http/app.ts'
import { loadHttpConfig } from '../../../services/http/config.ts'
import { runCli } from '../../support/cli-harness.ts'

/** Python's json.dumps size of {0: {'name': 'tigerrose'}, ...}: `"i": {"name": "tigerrose"}` joined by ", ". */
function pythonSize(items: number): number {
  let size = 2 // { }
  for (let i = 0; i < items; i++) size += String(i).length + 25
  return size + 2 * (items - 1)
}

/** JSON.stringify's size of the same document: `"i":{"name":"tigerrose"}` joined by ",". */
function compactSize(items: number): number {
  let size = 2
  for (let i = 0; i < items; i++) size += String(i).length + 23
  return size + (items - 1)
}

const grouped = (n: number) => n.toLocaleString('en-US')

/** lying receipt: POST /data/ on the double says it got 999 items in 5 bytes. */
const LIE = { result: 'success', items: 999, bytes: 5, parse_ms: 1, unpack_ms: 1 }

describe('netlab http post-data', () => {
  let env: Env
  let base: string
  let double: string

  const app = buildApp(loadHttpConfig({ HTTP_PORT: '0' }), createLogger('http', 'silent'))
  const small = buildApp(
    loadHttpConfig({ HTTP_PORT: '0', HTTP_MAX_BODY_BYTES: '1024' }),
    createLogger('http', 'silent'),
  )
  const liar = createHttpServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(LIE)))
  })

  beforeAll(async () => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    await small.listen({ host: '127.0.0.1', port: 0 })
    const appPort = (app.server.address() as AddressInfo).port
    env = { HTTP_HOST_PORT: String(appPort) }
    base = `http://127.0.0.1:${appPort}`
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve))
    double = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await Promise.all([app.close(), small.close(), new Promise((resolve) => liar.close(resolve))])
  })

  it('--items 1000 --runs 3: the table, every phase, and the exact bytes', async () => {
    const r = await runCli(env, ['http', 'post-data', '--items', '1000', '--runs', '3'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const bytes = grouped(pythonSize(1000))
    expect(bytes).toBe('29,890')
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe(
      `POST ${base}/data/: 1000 items, ${bytes} bytes (json.dumps spacing), 3 runs, 1 connection`,
    )
    expect(lines[1]).toMatch(/^phase +min +median +max +seed 000 +seed\/median$/)
    const n = '\\d+\\.\\d{3}'
    const phases: readonly (readonly [string, string])[] = [
      ['pack', '368\\.087'],
      ['transfer', '1012\\.829'],
      ['server parse', 'n/a'],
      ['server unpack', '106\\.405'],
      ['client unpack', 'n/a'],
      ['total', '1380\\.916'],
    ]
    for (const [phase, seed] of phases) {
      const ratio = seed === 'n/a' ? 'n/a' : '\\d+\\.\\d{2}'
      expect(r.stdout).toMatch(new RegExp(`^${phase} ms +${n} +${n} +${n} +${seed} +${ratio}$`, 'm'))
    }
    expect(r.stdout).toMatch(new RegExp(`^bytes +${bytes} +3,188,890 +106\\.69$`, 'm'))
    expect(r.stdout).toContain(`\nreceived: 1000 items, ${bytes} bytes (as sent)\n`)
    expect(lines.at(-2)).toBe('note: seed 000 sent 100000 items; the ratios compare unlike sizes')
  })

  it('--compact sends JSON.stringify bytes', async () => {
    const r = await runCli(env, ['http', 'post-data', '--items', '1000', '--compact'])
    expect(r.code).toBe(0)
    const bytes = grouped(compactSize(1000))
    expect(r.stdout.split('\n')[0]).toBe(
      `POST ${base}/data/: 1000 items, ${bytes} bytes (compact JSON.stringify), 1 run, 1 connection`,
    )
    expect(r.stdout).toMatch(/^phase +ours +seed 000 +seed\/ours$/m)
    expect(r.stdout).toContain(`\nreceived: 1000 items, ${bytes} bytes (as sent)\n`)
  })

  it('--json: phases with min/median/max per run, the seed and the ratios', async () => {
    const r = await runCli(env, ['--json', 'http', 'post-data', '--items', '500', '--runs', '2'])
    const data = JSON.parse(r.stdout) as Record<string, unknown> & {
      phases_ms: Record<string, { min: number; median: number; max: number; values: number[] } | null>
      ratio_seed_to_ours: Record<string, number | null>
    }
    expect(data).toMatchObject({
      service: 'http',
      proto: 'post-data',
      url: `${base}/data/`,
      items: 500,
      runs: 2,
      spacing: 'python',
      bytes: pythonSize(500),
      received: { items: 500, bytes: pythonSize(500) },
      connections: 1,
      seed: {
        items: 100000,
        bytes: 3188890,
        pack_ms: 368.087,
        transfer_ms: 1012.829,
        server_parse_ms: null,
        server_unpack_ms: 106.405,
        client_unpack_ms: null,
        total_ms: 1380.916,
      },
    })
    expect(Object.keys(data.phases_ms)).toEqual([
      'pack',
      'transfer',
      'server_parse',
      'server_unpack',
      'client_unpack',
      'total',
    ])
    for (const s of Object.values(data.phases_ms)) {
      expect(s?.values).toHaveLength(2)
      expect(s?.min).toBeLessThanOrEqual(s?.median ?? Number.NaN)
      expect(s?.median).toBeLessThanOrEqual(s?.max ?? Number.NaN)
    }
    expect(data.ratio_seed_to_ours.server_parse).toBeNull()
    expect(data.ratio_seed_to_ours.bytes).toBe(Math.round((3188890 / pythonSize(500)) * 100) / 100)
  })

  it('fails when the server did not receive what was sent', async () => {
    const r = await runCli({}, ['http', 'post-data', `${double}/data/`, '--items', '10'])
    expect(r).toMatchObject({
      stdout: '',
      stderr:
        `netlab: POST ${double}/data/: the server received 999 items in 5 bytes, ` +
        `but 10 items in ${pythonSize(10)} bytes were sent (run 1)\n`,
      code: 1,
    })
  })

  it("names the server's body limit on 413", async () => {
    const url = `http://127.0.0.1:${(small.server.address() as AddressInfo).port}/data/`
    const r = await runCli({}, ['http', 'post-data', url, '--items', '100'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      `netlab: POST ${url} → 413 BODY_TOO_LARGE: Request body is too large ` +
        `(100 items are ${pythonSize(100)} bytes, over the server's body limit: HTTP_MAX_BODY_BYTES)\n`,
    )
  })
})
