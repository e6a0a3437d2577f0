/**
 * A network partition between the client and a service: `docker network disconnect` takes
 * the running service off the lab network (it keeps running and stays healthy), the CLI in
 * the client container fails within its --timeout with a clear message, and after
 * `docker network connect --alias <service>` the same command works again.
 * Two views of the cut: a new command by service name (the name no longer resolves:
 * ENOTFOUND at once), and one aimed at the address the name had, as a client that resolved
 * before the cut would be (packets go nowhere: the client's own deadline must end it).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceName } from '../support/images.ts'
import { type ClientRun, type Lab, startLab } from '../support/lab.ts'

const run = promisify(execFile)
const TIMEOUT_MS = 1500

/** The CLI's request for each service, by name or at an address; and the reply when it works. */
const cases: readonly {
  service: ServiceName
  args: (host: string) => string[]
  ok: RegExp
  byName: string
  cut: (ip: string) => RegExp
}[] = [
  {
    service: 'tcp',
    args: (h) => ['tcp', 'upper', 'partition', '--host', h, '--timeout', String(TIMEOUT_MS)],
    ok: /^PARTITION\n$/,
    byName: 'netlab: cannot connect to tcp:9999: unknown host (ENOTFOUND)\n',
    cut: (ip) => new RegExp(`^netlab: connecting to ${ip}:9999 timed out after ${TIMEOUT_MS} ms\\n$`),
  },
  {
    service: 'udp',
    // the reliable client: 3 attempts, 300 ms then doubling (with jitter)
    args: (h) => ['udp', 'time', '--host', h, '--timeout', '300', '--retries', '2'],
    ok: /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/,
    byName: 'netlab: cannot reach udp:20000: unknown host (ENOTFOUND)\n',
    cut: (ip) =>
      new RegExp(
        `^netlab: no reply from ${ip}:20000 after 3 attempts \\([\\d sm]+\\)(: .+|; attempt \\d: .+)?\\n$`,
      ),
  },
  {
    service: 'http',
    args: (h) => ['http', 'get', `http://${h}:8080/hello/partition`, '--timeout', String(TIMEOUT_MS)],
    ok: /^<h1>hello, partition!<\/h1>\n$/,
    byName: 'netlab: http://http:8080/hello/partition: unknown host (ENOTFOUND)\n',
    cut: (ip) =>
      new RegExp(
        `^netlab: http://${ip}:8080/hello/partition: (connect timed out after|no response within) ${TIMEOUT_MS} ms\\n$`,
      ),
  },
  {
    service: 'rpc',
    args: (h) => [
      'rpc',
      'call',
      'add',
      '2',
      '3',
      '--via',
      'jsonrpc',
      '--host',
      h,
      '--timeout',
      String(TIMEOUT_MS),
    ],
    ok: /^5\n$/,
    byName: 'netlab: rpc add via jsonrpc: cannot connect to rpc:15001: unknown host (ENOTFOUND)\n',
    cut: (ip) =>
      new RegExp(
        `^netlab: rpc add via jsonrpc: (connecting to ${ip}:15001 timed out after|no reply from ${ip}:15001 within) ${TIMEOUT_MS} ms\\n$`,
      ),
  },
]

describe('partition: docker network disconnect and connect', { timeout: 90_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['tcp', 'udp', 'http', 'rpc'])
  })
  afterAll(() => lab?.stop())

  const timed = async (args: string[]): Promise<ClientRun & { ms: number }> => {
    const started = performance.now()
    const r = await lab.client(...args)
    return { ...r, ms: performance.now() - started }
  }

  it.each(
    cases,
  )('$service: fails within its timeout while cut off, works again after reconnect', async (c) => {
    const id = lab.container(c.service).getId()
    const net = lab.network.getName()
    const { stdout: ipText } = await run('docker', [
      'inspect',
      id,
      '--format',
      `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`,
    ])
    const ip = ipText.trim()
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/)

    const before = await lab.client(...c.args(c.service))
    expect(before.stdout).toMatch(c.ok)
    expect(before.exitCode).toBe(0)

    await run('docker', ['network', 'disconnect', net, id])
    try {
      const byName = await lab.client(...c.args(c.service))
      expect([byName.exitCode, byName.stderr]).toEqual([1, c.byName])
      const byAddress = await timed(c.args(ip))
      expect(byAddress.stderr).toMatch(c.cut(ip))
      expect(byAddress.exitCode).toBe(1)
      // it waited for its deadline (no hang past it: exec and node start-up are the slack)
      expect(byAddress.ms).toBeGreaterThanOrEqual(c.service === 'udp' ? 300 : TIMEOUT_MS)
      expect(byAddress.ms).toBeLessThan(20_000)
    } finally {
      await run('docker', ['network', 'connect', '--alias', c.service, net, id])
    }

    const after = await lab.client(...c.args(c.service))
    expect(after.stdout).toMatch(c.ok)
    expect(after.exitCode).toBe(0)
  })
})
