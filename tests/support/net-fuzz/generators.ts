/**
 * What the network fuzz sends to each port: valid requests of the port's own protocol,
 * mutated (bit flips, truncation, splices: tests/support/mutate.ts), and plain random
 * bytes. One Target per published port of every service.
 */
import fc from 'fast-check'
import { encodeRequest as encodeJsonRpc } from '../../../protocols/jsonrpc/codec.ts'
import { encodeFrame } from '../../../protocols/mpconn/framing.ts'
import { rpcToPy } from '../../../protocols/pickle/convert.ts'
import { encodePickle, wrapBytes } from '../../../protocols/pickle/encode.ts'
import { PyDict, PyTuple } from '../../../protocols/pickle/value.ts'
import { encodeProbe, encodeStatsRequest } from '../../../protocols/probe/packet.ts'
import { encodeRequest as encodeSntp } from '../../../protocols/sntp/packet.ts'
import { encodeMethodCall } from '../../../protocols/xmlrpc/codec.ts'
import type { ServiceName } from '../images.ts'
import { hostile } from '../mutate.ts'
import { rpcValue } from '../rpc-values.ts'

/** Target is one published port and what to throw at it. */
export interface Target {
  readonly service: ServiceName
  readonly port: number
  readonly transport: 'tcp' | 'udp'
  readonly protocol: string
  /** for mp-connection ports: authenticate with the lab's key first, then send the input */
  readonly handshake?: boolean
  readonly inputs: fc.Arbitrary<Buffer>
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b))
const text = fc.string({ unit: 'grapheme', maxLength: 60 })
const u32 = fc.integer({ min: 0, max: 0xffff_ffff })
const methods = fc.constantFrom('add', 'sub', 'echo', 'set', 'get', 'delete', 'exists', 'keys', 'nope')
const args = fc.array(rpcValue('json'), { maxLength: 3 })

const cmdLines = fc
  .array(
    fc.tuple(
      fc.constantFrom('UPPER', 'echo', 'SLEEP', 'TIME', 'WHOAMI', 'STATS', 'PING', 'HELP', 'QUIT', 'X'),
      text,
    ),
    { maxLength: 6 },
  )
  .map((ls) => Buffer.from(ls.map(([c, a]) => `${c} ${c === 'SLEEP' ? String(a.length) : a}\r\n`).join('')))

/** httpRequest writes a request with a correct Content-Length, so only the mutations are wrong. */
const httpRequest = (paths: fc.Arbitrary<string>, bodies: fc.Arbitrary<[string, Buffer]>) =>
  fc
    .tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'), paths, bodies, fc.boolean())
    .map(([method, path, [type, body], keepAlive]) =>
      Buffer.concat([
        Buffer.from(
          `${method} ${path} HTTP/1.1\r\nHost: lab\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n` +
            `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`,
        ),
        body,
      ]),
    )

const httpBodies = fc.oneof(
  fc
    .jsonValue({ maxDepth: 4 })
    .map((v): [string, Buffer] => ['application/json', Buffer.from(JSON.stringify(v))]),
  text.map((t): [string, Buffer] => [
    'application/x-www-form-urlencoded',
    Buffer.from(`a=${encodeURIComponent(t)}&b=2`),
  ]),
  bytes(200).map((b): [string, Buffer] => ['application/octet-stream', b]),
)
const xmlRpc = fc
  .tuple(methods, args)
  .map(([m, a]): [string, Buffer] => ['text/xml', Buffer.from(encodeMethodCall(m, a))])
const jsonRpc = fc
  .tuple(fc.option(fc.integer()), methods, args)
  .map(([id, m, a]) => encodeJsonRpc(id === null ? undefined : BigInt(id), m, a))

/** a pickled call as the seed's RPCProxy sends it: pickle.dumps(pickle.dumps((name, args, kwargs))) */
const rpcCall = fc
  .tuple(methods, args)
  .map(([m, a]) =>
    encodeFrame(wrapBytes(encodePickle(new PyTuple([m, new PyTuple(a.map(rpcToPy)), new PyDict()])))),
  )
const echoFrame = rpcValue('json').map((v) => encodeFrame(encodePickle(rpcToPy(v))))
/** an answer to the server's challenge: a digest-prefixed MAC (wrong), framed */
const authAnswer = bytes(48).map((b) => encodeFrame(Buffer.concat([Buffer.from('{sha256}'), b])))

const tcp = (service: ServiceName, port: number, protocol: string, valid: fc.Arbitrary<Buffer>): Target => ({
  service,
  port,
  transport: 'tcp',
  protocol,
  inputs: hostile(valid, 2048),
})
const udp = (port: number, protocol: string, valid: fc.Arbitrary<Buffer>): Target => ({
  service: 'udp',
  port,
  transport: 'udp',
  protocol,
  inputs: hostile(valid, 1400),
})
const mp = (port: number, protocol: string, frames: fc.Arbitrary<Buffer>): Target[] => [
  { ...tcp('rpc', port, `${protocol} handshake`, authAnswer) },
  { ...tcp('rpc', port, protocol, frames), handshake: true },
]

/** targets: every published port of every service. */
export const targets: readonly Target[] = [
  tcp('tcp', 9999, 'upper', bytes(300)),
  tcp('tcp', 20000, 'echo', bytes(300)),
  tcp('tcp', 9998, 'cmd', cmdLines),
  udp(20000, 'ctime', bytes(64)),
  udp(
    9999,
    'hello',
    text.map((t) => Buffer.from(t)),
  ),
  udp(37, 'rfc868', bytes(16)),
  udp(
    123,
    'sntp',
    fc
      .tuple(fc.double({ min: 1, max: 2e12, noNaN: true }), fc.integer({ min: 1, max: 4 }))
      .map(([t, v]) => encodeSntp(t, v)),
  ),
  udp(
    9000,
    'probe',
    fc.oneof(
      fc
        .tuple(u32, u32, fc.integer({ min: 40, max: 300 }))
        .map(([s, id, len]) => encodeProbe(s, id, Date.now(), len)),
      fc.integer({ min: 0, max: 1400 }).map((len) => encodeStatsRequest(len)),
    ),
  ),
  tcp(
    'http',
    8080,
    'http',
    httpRequest(
      fc.constantFrom(
        '/',
        '/get',
        '/post',
        '/anything',
        '/data/',
        '/hello/x',
        '/status/404',
        '/json',
        '/bytes/10',
      ),
      httpBodies,
    ),
  ),
  tcp(
    'rpc',
    15000,
    'xmlrpc+jsonrpc http',
    fc.oneof(
      httpRequest(fc.constantFrom('/', '/RPC2'), xmlRpc),
      httpRequest(
        fc.constant('/jsonrpc'),
        jsonRpc.map((j): [string, Buffer] => ['application/json', Buffer.from(j)]),
      ),
    ),
  ),
  tcp(
    'rpc',
    15001,
    'jsonrpc tcp',
    fc.array(jsonRpc, { minLength: 1, maxLength: 4 }).map((ls) => Buffer.from(`${ls.join('\n')}\n`)),
  ),
  ...mp(25000, 'mpconn echo', echoFrame),
  ...mp(17000, 'mpconn rpc', rpcCall),
]

/** targetName is how reports name a target: `rpc:17000 mpconn rpc`. */
export const targetName = (t: Target) => `${t.service}:${t.port}/${t.transport} ${t.protocol}`
