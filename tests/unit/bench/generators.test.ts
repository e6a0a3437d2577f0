/**
 * The load generators against the minimal baselines, in process on loopback: each loop
 * completes exchanges with zero errors when the server answers right, and counts an
 * error (not a success) when the reply is not the expected one. Timings are never asserted.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDgramBaseline } from '../../../bench/baselines/dgram-server.ts'
import { startHttpBaseline } from '../../../bench/baselines/http-server.ts'
import { jsonRpcReply, startNetBaseline } from '../../../bench/baselines/net-server.ts'
import { httpRequests } from '../../../bench/load/http-requests.ts'
import { postData } from '../../../bench/load/post-data.ts'
import { jsonRpcTcpCalls } from '../../../bench/load/rpc-calls.ts'
import { runStep } from '../../../bench/load/run-step.ts'
import { tcpRoundTrips } from '../../../bench/load/tcp-round-trips.ts'
import { udpLoss } from '../../../bench/load/udp-loss.ts'
import { buildSuite, CMD_REPLY, CMD_REQUEST, DATA_BYTES, TCP_PAYLOAD } from '../../../bench/suite.ts'

const HOST = '127.0.0.1'
const SECONDS = 0.2
type Started<T extends (...args: never[]) => unknown> = Awaited<ReturnType<T>>
let net: Started<typeof startNetBaseline>
let dgram: Started<typeof startDgramBaseline>
let http: Started<typeof startHttpBaseline>

beforeAll(async () => {
  net = await startNetBaseline(HOST, { upper: 0, echo: 0, cmd: 0, jsonrpc: 0 })
  dgram = await startDgramBaseline(HOST, { ctime: 0, probe: 0 })
  http = await startHttpBaseline(HOST, 0)
})
afterAll(async () => {
  await Promise.all([net?.close(), dgram?.close(), http?.close()])
})

describe('the JSON-RPC over TCP baseline', () => {
  it('answers the rpc step line for line, with no errors', async () => {
    const out = await jsonRpcTcpCalls({
      host: HOST,
      port: net.ports.jsonrpc,
      concurrency: 4,
      seconds: SECONDS,
    })
    expect([out.errors, out.ops > 0, out.firstError]).toEqual([0, true, undefined])
  })

  it('gives JSON-RPC 2.0 error objects for bad input, and answers add, sub and echo', () => {
    const reply = (line: string) => JSON.parse(jsonRpcReply(line)) as unknown
    expect(reply('{"jsonrpc":"2.0","method":"sub","params":[2,3],"id":"a"}')).toEqual({
      jsonrpc: '2.0',
      result: -1,
      id: 'a',
    })
    expect(reply('{"jsonrpc":"2.0","method":"echo","params":[{"x":[1]}],"id":7}')).toMatchObject({
      result: { x: [1] },
    })
    expect(reply('{nope')).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error' },
      id: null,
    })
    expect(reply('[1]')).toMatchObject({ error: { code: -32600 } })
    expect(reply('{"jsonrpc":"1.0","method":"add","id":1}')).toMatchObject({ error: { code: -32600 }, id: 1 })
    expect(reply('{"jsonrpc":"2.0","method":"__proto__","params":[],"id":1}')).toMatchObject({
      error: { code: -32601 },
    })
    expect(reply('{"jsonrpc":"2.0","method":"add","params":["a",1],"id":1}')).toMatchObject({
      error: { code: -32602 },
    })
    expect(reply('{"jsonrpc":"2.0","method":"add","params":{"a":1},"id":1}')).toMatchObject({
      error: { code: -32602 },
    })
  })
})

describe('httpRequests against a server that closes every connection', () => {
  it('opens a new connection for each request, as a client must, and counts no error', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': 2, connection: 'close' })
      res.end('ok')
    })
    server.listen(0, HOST)
    await once(server, 'listening')
    try {
      const out = await httpRequests({
        host: HOST,
        port: (server.address() as AddressInfo).port,
        concurrency: 2,
        seconds: SECONDS,
        path: '/',
        expectBytes: 2,
      })
      expect([out.errors, out.firstError]).toEqual([0, undefined])
      expect(out.ops).toBeGreaterThan(2)
      expect(out.extra?.reconnects).toBeGreaterThanOrEqual(out.ops - 2)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('tcpRoundTrips', () => {
  it('completes upper round trips on 4 connections with no errors', async () => {
    const out = await tcpRoundTrips({
      host: HOST,
      port: net.ports.upper,
      concurrency: 4,
      seconds: SECONDS,
      request: Buffer.from(TCP_PAYLOAD),
      expected: Buffer.from(TCP_PAYLOAD.toUpperCase()),
    })
    expect(out.errors).toBe(0)
    expect(out.ops).toBeGreaterThan(0)
    expect(out.latency.count).toBe(out.ops)
    expect(out.firstError).toBeUndefined()
  })

  it('answers the cmd step: UPPER line → OK line', async () => {
    const out = await tcpRoundTrips({
      host: HOST,
      port: net.ports.cmd,
      concurrency: 2,
      seconds: SECONDS,
      request: Buffer.from(CMD_REQUEST),
      expected: Buffer.from(CMD_REPLY),
    })
    expect([out.errors, out.ops > 0]).toEqual([0, true])
  })

  it('counts a wrong reply as an error and ends that connection', async () => {
    // echo answers the payload unchanged, not upper-cased
    const out = await tcpRoundTrips({
      host: HOST,
      port: net.ports.echo,
      concurrency: 3,
      seconds: SECONDS,
      request: Buffer.from(TCP_PAYLOAD),
      expected: Buffer.from(TCP_PAYLOAD.toUpperCase()),
    })
    expect(out).toMatchObject({ ops: 0, errors: 3 })
    expect(out.firstError).toBe(
      `unexpected reply from ${HOST}:${net.ports.echo}: ${JSON.stringify(TCP_PAYLOAD)}`,
    )
  })

  it('fails with CONNECT_FAILED naming the target when nothing listens', async () => {
    const closed = await startNetBaseline(HOST, { upper: 0, echo: 0, cmd: 0, jsonrpc: 0 })
    await closed.close()
    await expect(
      tcpRoundTrips({
        host: HOST,
        port: closed.ports.upper,
        concurrency: 1,
        seconds: SECONDS,
        request: Buffer.from('x'),
        expected: Buffer.from('X'),
      }),
    ).rejects.toThrow(`cannot connect to ${HOST}:${closed.ports.upper}: ECONNREFUSED`)
  })
})

describe('httpRequests', () => {
  it('reads keep-alive GET /data/ responses of exactly DATA_BYTES', async () => {
    const out = await httpRequests({
      host: HOST,
      port: http.port,
      concurrency: 4,
      seconds: SECONDS,
      path: '/data/',
      expectBytes: DATA_BYTES,
    })
    expect([out.errors, out.ops > 0, out.firstError]).toEqual([0, true, undefined])
  })

  it('counts a 404 as an error with the status in the message', async () => {
    const out = await httpRequests({
      host: HOST,
      port: http.port,
      concurrency: 2,
      seconds: SECONDS,
      path: '/nope',
    })
    expect(out).toMatchObject({
      ops: 0,
      errors: 2,
      firstError: `GET /nope on ${HOST}:${http.port}: status 404`,
    })
  })

  it('counts a body of the wrong length as an error', async () => {
    const out = await httpRequests({
      host: HOST,
      port: http.port,
      concurrency: 1,
      seconds: SECONDS,
      path: '/hello/x',
      expectBytes: 5,
    })
    expect(out.firstError).toBe(`GET /hello/x on ${HOST}:${http.port}: body of 18 bytes, expected 5`)
    expect(out.errors).toBe(1)
  })
})

describe('postData', () => {
  it('runs seed 000 POST /data/ at least once and reports each phase', async () => {
    const out = await postData({ host: HOST, port: http.port, seconds: 0.01 })
    expect([out.ops, out.errors]).toEqual([1, 0])
    expect(Object.keys(out.extra ?? {}).sort()).toEqual(
      [
        'clientUnpackMs',
        'endToEndMs',
        'items',
        'packMs',
        'packTransferMs',
        'serverParseMs',
        'serverUnpackMs',
        'transferMs',
      ].sort(),
    )
    expect(out.extra?.items).toBe(100_000)
  })
})

describe('udp generators', () => {
  it('runs the ctime and probe steps against the dgram baseline with no loss', async () => {
    const steps = buildSuite().filter((s) => s.id === 'udp.ctime.c32' || s.id === 'udp.probe.c1')
    expect(steps).toHaveLength(2)
    for (const step of steps) {
      const port =
        step.load.kind === 'udp' && step.load.proto === 'ctime' ? dgram.ports.ctime : dgram.ports.probe
      const subject = { name: 'node dgram', role: 'baseline' as const, host: HOST }
      const { measurement, firstError } = await runStep(
        { ...step, load: { ...step.load, port } },
        subject,
        SECONDS,
        { netlab: 'k', baseline: 'k' },
      )
      expect([measurement.errors, firstError, measurement.ops > 0]).toEqual([0, undefined, true])
      expect(measurement).toMatchObject({
        id: step.id,
        subject: 'node dgram',
        role: 'baseline',
        unit: 'ops/s',
      })
    }
  })

  it('udpLoss sends rate × seconds probes and counts every reply', async () => {
    const out = await udpLoss({ host: HOST, port: dgram.ports.probe, ratePps: 500, seconds: 0.2 })
    expect(out.extra?.sent).toBe(100)
    expect(out.ops + out.errors).toBe(100)
    expect(out.extra?.lossPct).toBe(Math.round((10_000 * out.errors) / 100) / 100)
  })
})
