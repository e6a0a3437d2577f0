/**
 * The soak's and the crash test's requests: one verified exchange per call, built on the
 * CLI's own client libraries (clients/cli/net/). "Verified" means the answer is checked, not
 * just received: echo returns the exact random bytes sent, upper upper-cases them, a UDP
 * probe comes back with its own sequence and session, HTTP /data/ is byte-identical to the
 * document the server is meant to build, RPC add returns the sum and kv get the value put.
 * A wrong answer throws WrongAnswer; a transport failure throws the client's LabError.
 */
import { randomBytes, randomInt } from 'node:crypto'
import { HttpClient } from '../../clients/cli/net/http-client.ts'
import { openRpcClient } from '../../clients/cli/net/rpc-client.ts'
import type { RpcClient, RpcOutcome } from '../../clients/cli/net/rpc-types.ts'
import { exchange, type Target } from '../../clients/cli/net/tcp-client.ts'
import { udpRequest } from '../../clients/cli/net/udp-client.ts'
import { LabError } from '../../lib/errors.ts'
import { decodeProbeReply, encodeProbe } from '../../protocols/probe/packet.ts'
import { dataDocument } from '../../protocols/seed-documents.ts'
import type { RpcValue } from '../../protocols/value.ts'
import type { Service } from './compose-project.ts'

/** WrongAnswer is a reply that arrived but is not the right one: the soak fails on any. */
export class WrongAnswer extends Error {
  override readonly name = 'WrongAnswer'
}

/** Endpoints is where each check sends its requests (host ports on 127.0.0.1, or in-lab names). */
export interface Endpoints {
  readonly tcpUpper: Target
  readonly tcpEcho: Target
  readonly udpProbe: Target
  readonly http: Target
  readonly rpcHttp: Target
  readonly rpcJsonTcp: Target
}

/** Check is one kind of verified request; `run` performs request number `n` (0-based). */
export interface Check {
  readonly name: string
  readonly service: Service
  run(n: number): Promise<void>
  close(): Promise<void>
}

function expectEqual(what: string, got: unknown, want: unknown): void {
  if (got !== want)
    throw new WrongAnswer(`${what}: got ${String(got).slice(0, 80)}, want ${String(want).slice(0, 80)}`)
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789 '

function randomText(length: number): string {
  let s = ''
  for (let i = 0; i < length; i++) s += LETTERS[randomInt(LETTERS.length)]
  return s
}

function resultOf(what: string, outcome: RpcOutcome): RpcValue {
  if (outcome.kind === 'raised')
    throw new WrongAnswer(`${what} raised ${outcome.raised.type}: ${outcome.raised.message}`)
  return outcome.value
}

/**
 * tcpExchange is exchange() for a request that must be answered: a connection closed with no
 * reply byte at all (a proxy whose backend is gone, a server killed mid-request) is a lost
 * request, not an empty answer.
 */
async function tcpExchange(target: Target, data: Buffer, timeoutMs: number): Promise<Buffer> {
  const reply = await exchange(target, data, timeoutMs)
  if (reply.length === 0 && data.length > 0)
    throw new LabError('CLOSED', `${target.host}:${target.port} closed the connection without a reply`)
  return reply
}

/** tcpEcho sends 1 B to 8 KiB of random bytes to the echo port and expects them back exactly. */
function tcpEcho(target: Target, timeoutMs: number): Check {
  return {
    name: 'tcp echo',
    service: 'tcp',
    async run() {
      const sent = randomBytes(randomInt(1, 8193))
      const got = await tcpExchange(target, sent, timeoutMs)
      if (!got.equals(sent))
        throw new WrongAnswer(`echo: ${got.length} bytes back for ${sent.length} sent, or different bytes`)
    },
    async close() {},
  }
}

/** tcpUpper sends random lower-case text to the upper port and expects it upper-cased. */
function tcpUpper(target: Target, timeoutMs: number): Check {
  return {
    name: 'tcp upper',
    service: 'tcp',
    async run() {
      const text = randomText(randomInt(1, 200))
      const got = await tcpExchange(target, Buffer.from(text), timeoutMs)
      expectEqual('upper', got.toString('utf8'), text.toUpperCase())
    },
    async close() {},
  }
}

/**
 * udpProbe sends one sequenced probe (retransmitted at most twice, so a lone dropped datagram
 * on a busy machine is retried, not counted lost) and expects the reply to carry its
 * sequence, session and send time.
 */
function udpProbe(target: Target, timeoutMs: number): Check {
  const session = randomInt(2 ** 31)
  return {
    name: 'udp probe',
    service: 'udp',
    async run(n) {
      const sentMs = Date.now()
      const { reply } = await udpRequest({
        ...target,
        timeoutMs,
        retries: 2,
        request: () => encodeProbe(n, session, sentMs, 64),
        match: (buf) => decodeProbeReply(buf),
      })
      expectEqual('probe sequence', reply.sequence, n)
      expectEqual('probe session', reply.session, session)
      expectEqual('probe T1', Math.round(reply.t1), sentMs)
    },
    async close() {},
  }
}

/** httpData GETs /data/?items=N for a random N and expects the exact document. */
function httpData(target: Target, timeoutMs: number): Check {
  const client = new HttpClient({ timeoutMs })
  return {
    name: 'http /data/',
    service: 'http',
    async run() {
      const items = randomInt(1, 2001)
      const url = new URL(`http://${target.host}:${target.port}/data/?items=${items}`)
      const res = await client.send({ method: 'GET', url, headers: {} })
      expectEqual('/data/ status', res.status, 200)
      const want = dataDocument(items)
      expectEqual('/data/ length', res.body.length, Buffer.byteLength(want))
      if (res.body.toString('utf8') !== want) throw new WrongAnswer(`/data/?items=${items}: body differs`)
    },
    close: () => client.close(),
  }
}

/** rpcAdd calls add(a, b) over JSON-RPC on TCP and expects a + b (as a Python int). */
function rpcAdd(target: Target, timeoutMs: number): Check {
  const client = rpcClient('jsonrpc', target, timeoutMs)
  return {
    name: 'rpc add',
    service: 'rpc',
    async run() {
      const a = BigInt(randomInt(-1e9, 1e9))
      const b = BigInt(randomInt(-1e9, 1e9))
      expectEqual('add', resultOf('add', await client.call('add', [a, b])), a + b)
    },
    close: () => client.close(),
  }
}

/**
 * rpcKv sets a key to a random value over XML-RPC, then gets it back. Keys cycle through 64
 * names, so the store's size (and the service's memory) stays bounded however long the soak.
 */
function rpcKv(target: Target, timeoutMs: number, prefix: string): Check {
  const client = rpcClient('xmlrpc', target, timeoutMs)
  return {
    name: 'rpc kv',
    service: 'rpc',
    async run(n) {
      const key = `${prefix}-${n % 64}`
      const value = randomText(32)
      resultOf('set', await client.call('set', [key, value]))
      expectEqual(`get ${key}`, resultOf('get', await client.call('get', [key])), value)
    },
    close: () => client.close(),
  }
}

function rpcClient(via: 'xmlrpc' | 'jsonrpc', target: Target, timeoutMs: number): RpcClient {
  // The two ports not used by `via` are never dialled; the authkey is only for mpconn.
  return openRpcClient(via, {
    host: target.host,
    ports: { http: target.port, jsonrpc: target.port, mpRpc: 0 },
    timeoutMs,
    authkey: '',
  })
}

/** allChecks builds one of each check against `endpoints`; `timeoutMs` bounds every request. */
export function allChecks(endpoints: Endpoints, timeoutMs: number, kvPrefix = 'soak'): Check[] {
  return [
    tcpEcho(endpoints.tcpEcho, timeoutMs),
    tcpUpper(endpoints.tcpUpper, timeoutMs),
    udpProbe(endpoints.udpProbe, Math.min(timeoutMs, 1000)),
    httpData(endpoints.http, timeoutMs),
    rpcAdd(endpoints.rpcJsonTcp, timeoutMs),
    rpcKv(endpoints.rpcHttp, timeoutMs, kvPrefix),
  ]
}
