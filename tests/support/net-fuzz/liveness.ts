/**
 * After a fuzz run: does every port still answer a real request, and is every container
 * the same process it was (running, healthy, never restarted, not OOM-killed), with its
 * memory use known? Each check has a deadline; UDP checks retry a few times, since the
 * fuzz may have spent this host's rate-limit tokens.
 */
import { execFile } from 'node:child_process'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { exchange, LineClient } from '../../../clients/cli/net/tcp-client.ts'
import { MpConnection } from '../../../protocols/mpconn/connection.ts'
import { clientHandshake } from '../../../protocols/mpconn/handshake.ts'
import { decodePickle } from '../../../protocols/pickle/decode.ts'
import { encodePickle, unwrapBytes, wrapBytes } from '../../../protocols/pickle/encode.ts'
import { PyDict, PyTuple } from '../../../protocols/pickle/value.ts'
import { decodeProbeReply, encodeProbe } from '../../../protocols/probe/packet.ts'
import { decodeReply, encodeRequest } from '../../../protocols/sntp/packet.ts'
import { decodeMethodResponse, encodeMethodCall } from '../../../protocols/xmlrpc/codec.ts'
import type { ServiceName } from '../images.ts'
import type { Lab } from '../lab.ts'

const run = promisify(execFile)
const TIMEOUT_MS = 5000

/** PortAnswer is one port's real exchange after the fuzz: what came back, or why nothing did. */
export interface PortAnswer {
  readonly port: string
  readonly answer: string
}

async function udpAnswer(
  lab: Lab,
  port: number,
  request: Buffer,
  read: (b: Buffer) => string,
): Promise<string> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const [reply] = await lab.udp('udp', port, request, 300)
    if (reply !== undefined) return read(reply)
    await sleep(200)
  }
  return 'no reply in 10 tries'
}

async function mpAnswer(lab: Lab, port: number, authkey: string, payload: Buffer): Promise<Buffer> {
  const socket = connect({ host: '127.0.0.1', port: lab.hostPort('rpc', port) })
  const conn = new MpConnection(socket)
  try {
    await clientHandshake(conn, Buffer.from(authkey), { timeoutMs: TIMEOUT_MS })
    await conn.send(payload)
    return await conn.recv()
  } finally {
    conn.destroy()
  }
}

const safely = async (port: string, f: () => Promise<string>): Promise<PortAnswer> => {
  try {
    return { port, answer: await f() }
  } catch (err) {
    return { port, answer: `error: ${(err as Error).message}` }
  }
}

/** answersOnEveryPort makes one real request on every published port; the answers read like `HI`, `5`, `PONG`. */
export async function answersOnEveryPort(lab: Lab, authkey: string): Promise<PortAnswer[]> {
  const target = (service: ServiceName, port: number) => ({
    host: '127.0.0.1',
    port: lab.hostPort(service, port),
  })
  const post = async (path: string, type: string, body: string) => {
    const res = await fetch(`${lab.baseUrl('rpc', 15000)}${path}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    return res.text()
  }
  return Promise.all([
    safely('tcp:9999', async () =>
      (await exchange(target('tcp', 9999), Buffer.from('hi'), TIMEOUT_MS)).toString(),
    ),
    safely('tcp:20000', async () =>
      (await exchange(target('tcp', 20000), Buffer.from('abc'), TIMEOUT_MS)).toString(),
    ),
    safely('tcp:9998', async () => {
      const c = await LineClient.connect(target('tcp', 9998), TIMEOUT_MS)
      try {
        return await c.request('PING')
      } finally {
        c.close()
      }
    }),
    safely('udp:20000', () => udpAnswer(lab, 20000, Buffer.alloc(0), (b) => `${b.length} bytes`)),
    safely('udp:9999', () => udpAnswer(lab, 9999, Buffer.from('Michael'), (b) => b.toString())),
    safely('udp:37', () => udpAnswer(lab, 37, Buffer.alloc(0), (b) => `${b.length} bytes`)),
    safely('udp:123', () =>
      udpAnswer(lab, 123, encodeRequest(Date.now()), (b) => `mode ${decodeReply(b)?.mode}`),
    ),
    safely('udp:9000', () =>
      udpAnswer(lab, 9000, encodeProbe(7, 1, Date.now()), (b) => `seq ${decodeProbeReply(b)?.sequence}`),
    ),
    safely('http:8080', async () => {
      const res = await fetch(`${lab.baseUrl('http', 8080)}/health`, {
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      return `${res.status} ${await res.text()}`
    }),
    safely('rpc:15000 xmlrpc', async () => {
      const r = decodeMethodResponse(await post('/RPC2', 'text/xml', encodeMethodCall('add', [2n, 3n])))
      return r.kind === 'result' ? String(r.value) : `fault ${r.message}`
    }),
    safely('rpc:15000 jsonrpc', () =>
      post('/jsonrpc', 'application/json', '{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}'),
    ),
    safely('rpc:15001', async () => {
      const c = await LineClient.connect(target('rpc', 15001), TIMEOUT_MS)
      try {
        return await c.request('{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}')
      } finally {
        c.close()
      }
    }),
    safely('rpc:25000', async () =>
      String(decodePickle(await mpAnswer(lab, 25000, authkey, encodePickle('hi')))),
    ),
    safely('rpc:17000', async () => {
      const call = new PyTuple(['add', new PyTuple([2n, 3n]), new PyDict()])
      const reply = unwrapBytes(
        decodePickle(await mpAnswer(lab, 17000, authkey, wrapBytes(encodePickle(call)))) as Uint8Array,
      )
      return reply === undefined ? 'not a wrapped pickle' : String(decodePickle(reply))
    }),
  ])
}

/** The answers a healthy lab gives to answersOnEveryPort. */
export const HEALTHY_ANSWERS: readonly PortAnswer[] = [
  { port: 'tcp:9999', answer: 'HI' },
  { port: 'tcp:20000', answer: 'abc' },
  { port: 'tcp:9998', answer: 'OK PONG' },
  { port: 'udp:20000', answer: '24 bytes' },
  { port: 'udp:9999', answer: 'Hello, Michael!' },
  { port: 'udp:37', answer: '4 bytes' },
  { port: 'udp:123', answer: 'mode 4' },
  { port: 'udp:9000', answer: 'seq 7' },
  { port: 'http:8080', answer: '200 {"status":"ok"}' },
  { port: 'rpc:15000 xmlrpc', answer: '5' },
  { port: 'rpc:15000 jsonrpc', answer: '{"jsonrpc":"2.0","result":5,"id":1}' },
  { port: 'rpc:15001', answer: '{"jsonrpc":"2.0","result":5,"id":1}' },
  { port: 'rpc:25000', answer: 'hi' },
  { port: 'rpc:17000', answer: '5' },
]

/** ContainerState is what docker says about a service's container. */
export interface ContainerState {
  readonly status: string
  readonly health: string
  readonly restarts: number
  readonly oomKilled: boolean
  readonly exitCode: number
  readonly startedAt: string
  /** memory in use (cgroup), bytes */
  readonly memoryBytes: number
}

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
}

/** containerState reads `docker inspect` and one `docker stats` sample. */
export async function containerState(id: string): Promise<ContainerState> {
  const [inspect, stats] = await Promise.all([
    run('docker', ['inspect', id, '--format', '{{json .State}} {{.RestartCount}}']),
    run('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', id]),
  ])
  const space = inspect.stdout.trim().lastIndexOf(' ')
  const state = JSON.parse(inspect.stdout.slice(0, space)) as {
    Status: string
    OOMKilled: boolean
    ExitCode: number
    StartedAt: string
    Health?: { Status: string }
  }
  const m = /^([\d.]+)\s*([A-Za-z]+)/.exec(stats.stdout.trim())
  return {
    status: state.Status,
    health: state.Health?.Status ?? 'none',
    restarts: Number(inspect.stdout.slice(space + 1)),
    oomKilled: state.OOMKilled,
    exitCode: state.ExitCode,
    startedAt: state.StartedAt,
    memoryBytes: m ? Number(m[1]) * (UNITS[m[2] as string] ?? Number.NaN) : Number.NaN,
  }
}
