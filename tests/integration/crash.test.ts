/**
 * Crash and restart under load, on the real docker-compose.yml (its own project). For each
 * service a verified load (tests/soak/checks.ts, the CLI's client libraries) runs from the
 * host while the service's Node process is SIGKILLed inside its container, a real crash (as
 * the OOM killer or an abort would end it; `docker compose kill` would count as stopped by
 * hand and the restart policy would leave it down). The compose file's `restart: on-failure`
 * must bring it back by itself: no `docker compose up`. Every failed request fails within
 * its deadline with a clear error naming the target (no wrong answer, no hang), then the
 * same load, on the same client objects, succeeds again, and so does the CLI in a client
 * container. Host ports are pinned (free ports picked at start), so the clients' target does
 * not move across the restart.
 * For RPC, writers set keys concurrently over XML-RPC and JSON-RPC while the service crashes;
 * once it is back (same volume) every acknowledged write is read back with its value. Writes
 * in flight at the crash may or may not be there; they are counted, not judged.
 */
import { randomInt } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRpcClient } from '../../clients/cli/net/rpc-client.ts'
import type { RpcClient, Via } from '../../clients/cli/net/rpc-types.ts'
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

/** The CLI command per service, and what it prints once the service is back. */
const cli: Record<Service, { args: string[]; up: RegExp }> = {
  tcp: { args: ['tcp', 'upper', 'back', '--timeout', '2000'], up: /^BACK\n$/ },
  udp: {
    args: ['udp', 'time', '--timeout', '300', '--retries', '2'],
    up: /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/,
  },
  http: { args: ['http', 'get', '/hello/back', '--timeout', '2000'], up: /^<h1>hello, back!<\/h1>\n$/ },
  rpc: { args: ['rpc', 'call', 'add', '2', '3', '--timeout', '2000'], up: /^5\n$/ },
}

/** comesBack waits until the crashed service was restarted by Docker and is healthy again. */
async function comesBack(project: ComposeProject, service: Service, restartsBefore: number): Promise<void> {
  await expect
    .poll(() => project.state(service), { timeout: 30_000, interval: 200 })
    .toEqual({ restarts: restartsBefore + 1, running: true, health: 'healthy' })
}

/** Error codes a request may fail with while its service is down: each says what happened. */
const CLEAR_CODES = new Set(['CONNECT_FAILED', 'CLOSED', 'TIMEOUT', 'NO_REPLY', 'HTTP_FAILED'])

describe('crash and restart under load (a real crash)', { timeout: 120_000 }, () => {
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
  ] as const)('%s: crashes mid-load, clear errors within the deadline, comes back by itself', async (service) => {
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
      const { restarts } = await project.state(service)
      await project.crash(service)
      await comesBack(project, service, restarts) // by itself: nobody runs `up`
      const upAt = outcomes.length
      await expect.poll(() => count(upAt, 'ok'), { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(5)
    } finally {
      stop.abort()
    }
    const totals = await load
    expect(totals.map((t) => t.wrong)).toEqual(totals.map(() => 0))
    // Requests sent while it was down failed; how many depends on how fast it came back (a
    // UDP request retransmitted past the restart may not fail at all).
    const failed = outcomes.filter((o) => o.kind === 'failed')
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
      `${service}: ${outcomes.length} requests, ${failed.length} failed while down (${[...new Set(failed.map((o) => o.code))].join(', ')}), restarted by itself`,
    )

    const up = await runCli(cli[service].args)
    expect(up.stdout).toMatch(cli[service].up)
    expect(up.exitCode).toBe(0)
  })

  it('rpc: every write acknowledged before a crash mid-stream is there once it is back by itself', async () => {
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
    let crashed = false
    const { restarts } = await project.state('rpc')
    try {
      await expect.poll(() => acked.size, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(300)
      await project.crash('rpc')
      crashed = true
    } finally {
      // after the crash each writer ends on its first failure; without one, stop them
      if (!crashed) stopWriting = true
      await Promise.all(writers)
    }
    expect(inDoubt.length).toBeGreaterThan(0) // the crash did land mid-stream
    await comesBack(project, 'rpc', restarts) // by itself: nobody runs `up`

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
      `rpc: ${acked.size} acknowledged writes all present after a crash and restart; ${inDoubt.length} in flight at the crash (${inDoubtPresent} answered exists)`,
    )
  })
})
