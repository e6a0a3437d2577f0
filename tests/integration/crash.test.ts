/**
 * Crash and restart under load, on the real docker-compose.yml (its own project). For each
 * service a verified load (tests/soak/checks.ts, the CLI's client libraries) runs from the
 * host while `docker compose kill -s SIGKILL <service>` takes the service down mid-stream:
 * every failed request fails within its deadline with a clear error naming the target (no
 * wrong answer, no hang), the CLI in a client container says the name is gone (exit 1),
 * and after `docker compose up -d --wait <service>` the same load, on the same client
 * objects, succeeds again. Host ports are pinned (free ports picked at start), so the
 * clients' target does not move across the restart.
 * For RPC, writers set keys concurrently over XML-RPC and JSON-RPC while the service is
 * SIGKILLed; after the restart (same volume) every acknowledged write is read back with its
 * value. Writes in flight at the kill may or may not be there; they are counted, not judged.
 */
import { randomInt } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRpcClient, type RpcClient, type Via } from '../../clients/cli/net/rpc-client.ts'
import { allChecks, type Endpoints } from '../soak/checks.ts'
import { ComposeProject, type Service } from '../soak/compose-project.ts'
import { type Outcome, runLoad } from '../soak/load.ts'

const REQUEST_TIMEOUT_MS = 2000

async function freeTcpPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4').bind(0, '127.0.0.1')
  await once(socket, 'listening')
  const { port } = socket.address()
  socket.close()
  return port
}

/** The CLI command per service, the line it prints while the service is down, and when it is up. */
const cli: Record<Service, { args: string[]; down: string; up: RegExp }> = {
  tcp: {
    args: ['tcp', 'upper', 'back', '--timeout', '2000'],
    down: 'netlab: cannot connect to tcp:9999: unknown host (ENOTFOUND)\n',
    up: /^BACK\n$/,
  },
  udp: {
    args: ['udp', 'time', '--timeout', '300', '--retries', '2'],
    down: 'netlab: cannot reach udp:20000: unknown host (ENOTFOUND)\n',
    up: /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/,
  },
  http: {
    args: ['http', 'get', '/hello/back', '--timeout', '2000'],
    down: 'netlab: http://http:8080/hello/back: unknown host (ENOTFOUND)\n',
    up: /^<h1>hello, back!<\/h1>\n$/,
  },
  rpc: {
    args: ['rpc', 'call', 'add', '2', '3', '--timeout', '2000'],
    down: 'netlab: rpc add via xmlrpc: http://rpc:15000/RPC2: unknown host (ENOTFOUND)\n',
    up: /^5\n$/,
  },
}

/** Error codes a request may fail with while its service is down: each says what happened. */
const CLEAR_CODES = new Set(['CONNECT_FAILED', 'CLOSED', 'TIMEOUT', 'NO_REPLY', 'HTTP_FAILED'])

describe('crash and restart under load (docker compose kill)', { timeout: 120_000 }, () => {
  let project: ComposeProject
  let endpoints: Endpoints
  beforeAll(async () => {
    const [tcpUpper, tcpEcho, udpProbe, http, rpcHttp, rpcJsonTcp] = [
      await freeTcpPort(),
      await freeTcpPort(),
      await freeUdpPort(),
      await freeTcpPort(),
      await freeTcpPort(),
      await freeTcpPort(),
    ] as number[]
    const at = (port: number | undefined) => ({ host: '127.0.0.1', port: port as number })
    endpoints = {
      tcpUpper: at(tcpUpper),
      tcpEcho: at(tcpEcho),
      udpProbe: at(udpProbe),
      http: at(http),
      rpcHttp: at(rpcHttp),
      rpcJsonTcp: at(rpcJsonTcp),
    }
    project = new ComposeProject('netlab-crash', process.env, {
      TCP_UPPER_HOST_PORT: String(tcpUpper),
      TCP_ECHO_HOST_PORT: String(tcpEcho),
      UDP_PROBE_HOST_PORT: String(udpProbe),
      HTTP_HOST_PORT: String(http),
      RPC_HTTP_HOST_PORT: String(rpcHttp),
      RPC_JSONRPC_HOST_PORT: String(rpcJsonTcp),
    })
    await project.up()
  }, 120_000)
  afterAll(() => project?.down())

  const runCli = (args: readonly string[]) =>
    project.compose(['run', '--rm', '--no-deps', '-T', 'client', ...args]).then(
      (r) => ({ exitCode: 0, stdout: r.stdout, stderr: r.stderr }),
      (err: { exitCode?: number; stdout?: string; stderr?: string }) => ({
        exitCode: err.exitCode,
        stdout: err.stdout ?? '',
        stderr: err.stderr ?? '',
      }),
    )

  it.each([
    'tcp',
    'udp',
    'http',
    'rpc',
  ] as const)('%s: killed mid-load, clear errors within the deadline, recovers after up', async (service) => {
    const checks = allChecks(endpoints, REQUEST_TIMEOUT_MS, `crash-${service}`).filter(
      (c) => c.service === service,
    )
    const outcomes: Outcome[] = []
    const count = (from: number, kind: Outcome['kind']) =>
      outcomes.slice(from).filter((o) => o.kind === kind).length
    const stop = new AbortController()
    const load = runLoad(checks, {
      durationMs: 100_000,
      ratePerCheck: 20,
      signal: stop.signal,
      onOutcome: (o) => outcomes.push(o),
    })
    try {
      await expect.poll(() => count(0, 'ok'), { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(10)
      const killedAt = outcomes.length
      await project.kill(service)
      await expect
        .poll(() => count(killedAt, 'failed'), { timeout: 20_000, interval: 100 })
        .toBeGreaterThanOrEqual(2)

      const down = await runCli(cli[service].args)
      expect([down.exitCode, down.stderr]).toEqual([1, cli[service].down])

      await project.up([service])
      const upAt = outcomes.length
      await expect.poll(() => count(upAt, 'ok'), { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(5)
    } finally {
      stop.abort()
    }
    const totals = await load
    expect(totals.map((t) => t.wrong)).toEqual(totals.map(() => 0))
    const failed = outcomes.filter((o) => o.kind === 'failed')
    expect(failed.length).toBeGreaterThan(0)
    // the UDP client retransmits (3 attempts, ≤ 1 + 2 + 2 s); the others have one deadline per request
    const deadline = service === 'udp' ? 5000 : REQUEST_TIMEOUT_MS
    const ports = Object.values(endpoints).map((e) => `127.0.0.1:${e.port}`)
    for (const o of failed) {
      expect(CLEAR_CODES.has(o.code ?? ''), `${o.code}: ${o.message}`).toBe(true)
      expect(
        ports.some((p) => o.message?.includes(p)),
        o.message,
      ).toBe(true)
      expect(o.latencyMs, o.message).toBeLessThan(deadline + 1500)
    }
    console.log(
      `${service}: ${outcomes.length} requests, ${failed.length} failed while down (${[...new Set(failed.map((o) => o.code))].join(', ')}), then recovered`,
    )

    const up = await runCli(cli[service].args)
    expect(up.stdout).toMatch(cli[service].up)
    expect(up.exitCode).toBe(0)
  })

  it('rpc: every write acknowledged before a SIGKILL mid-stream is there after the restart', async () => {
    const acked = new Map<string, string>()
    const inDoubt: string[] = []
    let stopWriting = false
    const writer = async (w: number, via: Via) => {
      const client: RpcClient = openRpcClient(via, {
        host: '127.0.0.1',
        ports: { http: endpoints.rpcHttp.port, jsonrpc: endpoints.rpcJsonTcp.port, mpRpc: 0 },
        timeoutMs: REQUEST_TIMEOUT_MS,
        authkey: '',
      })
      try {
        for (let n = 0; n < 5000 && !stopWriting; n++) {
          const key = `durable-${w}-${n}`
          const value = `v${randomInt(1e9)}`
          try {
            const outcome = await client.call('set', [key, value])
            if (outcome.kind === 'raised') throw new Error(`set raised ${outcome.raised.type}`)
            acked.set(key, value)
          } catch {
            inDoubt.push(key) // sent, never acknowledged: the service died under it
            return
          }
        }
      } finally {
        await client.close()
      }
    }
    const writers = Array.from({ length: 8 }, (_, w) => writer(w, w % 2 === 0 ? 'xmlrpc' : 'jsonrpc'))
    let killed = false
    try {
      await expect.poll(() => acked.size, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(300)
      await project.kill('rpc')
      killed = true
    } finally {
      // after the kill each writer ends on its first failure; without one, stop them
      if (!killed) stopWriting = true
      await Promise.all(writers)
    }
    expect(inDoubt.length).toBeGreaterThan(0) // the kill did land mid-stream
    await project.up(['rpc'])

    const reader = openRpcClient('jsonrpc', {
      host: '127.0.0.1',
      ports: { http: endpoints.rpcHttp.port, jsonrpc: endpoints.rpcJsonTcp.port, mpRpc: 0 },
      timeoutMs: 5000,
      authkey: '',
    })
    const missing: string[] = []
    let inDoubtPresent = 0
    try {
      for (const [key, value] of acked) {
        const got = await reader.call('get', [key])
        if (got.kind !== 'result' || got.value !== value) missing.push(key)
      }
      for (const key of inDoubt) {
        const got = await reader.call('exists', [key])
        if (got.kind === 'result' && got.value === true) inDoubtPresent++
      }
    } finally {
      await reader.close()
    }
    expect(missing).toEqual([])
    console.log(
      `rpc: ${acked.size} acknowledged writes all present after SIGKILL + restart; ${inDoubt.length} in flight at the kill (${inDoubtPresent} answered exists)`,
    )
  })
})
