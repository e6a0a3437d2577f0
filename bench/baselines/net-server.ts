/**
 * The TCP baseline: a minimal single-threaded Node `net` server (no worker threads, no
 * connection limits, no idle timers, no counters) answering the same bytes as netlab's TCP
 * service on the same ports, so the same load generator drives both:
 *
 *   9999   upper: each chunk upper-cased (the service's own Utf8Upper)
 *   20000  echo: bytes back unchanged
 *   9998   cmd subset: `UPPER <text>` → `OK <TEXT>`, `ECHO <text>` → `OK <text>`,
 *          `PING` → `OK PONG`, anything else → `ERR UNKNOWN_COMMAND ...`
 *   15001  JSON-RPC 2.0 over TCP, one request line → one reply line (the rpc service's
 *          jsonrpc-tcp port): `add`, `sub` and `echo`, with JSON-RPC's own error objects for
 *          a bad line (-32700), a bad request (-32600), an unknown method (-32601) and bad
 *          params (-32602); a line over 64 KiB gets -32600 and the connection goes on
 */
import { once } from 'node:events'
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import { LineSplitter } from '../../protocols/line-splitter.ts'
import { Utf8Upper } from '../../protocols/utf8-upper.ts'

/** The TCP service's ports the baseline answers on. */
export const NET_PORTS = { upper: 9999, echo: 20000, cmd: 9998, jsonrpc: 15001 } as const

/** cmdReply answers one line of the cmd subset. */
export function cmdReply(line: string): string {
  const space = line.indexOf(' ')
  const name = (space === -1 ? line : line.slice(0, space)).toUpperCase()
  const arg = space === -1 ? '' : line.slice(space + 1)
  if (name === 'UPPER') return `OK ${arg.toUpperCase()}\n`
  if (name === 'ECHO') return `OK ${arg}\n`
  if (name === 'PING') return 'OK PONG\n'
  return `ERR UNKNOWN_COMMAND the baseline knows UPPER, ECHO and PING, not ${JSON.stringify(name)}\n`
}

type JsonRpcId = string | number | null
const rpcError = (id: JsonRpcId, code: number, message: string) =>
  `${JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id })}\n`
const METHODS: Readonly<Record<string, (params: unknown[]) => unknown>> = {
  add: ([a, b]) => (typeof a === 'number' && typeof b === 'number' ? a + b : undefined),
  sub: ([a, b]) => (typeof a === 'number' && typeof b === 'number' ? a - b : undefined),
  echo: ([v]) => v,
}

/** jsonRpcReply answers one JSON-RPC 2.0 request line (no batches, no notifications). */
export function jsonRpcReply(line: string): string {
  let req: unknown
  try {
    req = JSON.parse(line)
  } catch {
    return rpcError(null, -32700, 'Parse error')
  }
  if (typeof req !== 'object' || req === null || Array.isArray(req))
    return rpcError(null, -32600, 'Invalid Request')
  const { jsonrpc, method, params, id: rawId } = req as Record<string, unknown>
  const id: JsonRpcId = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null
  if (jsonrpc !== '2.0' || typeof method !== 'string') return rpcError(id, -32600, 'Invalid Request')
  const fn = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined
  if (!fn) return rpcError(id, -32601, 'Method not found')
  const result = Array.isArray(params) ? fn(params) : undefined
  if (result === undefined) return rpcError(id, -32602, 'Invalid params')
  return `{"jsonrpc":"2.0","result":${JSON.stringify(result)},"id":${JSON.stringify(id)}}\n`
}

function jsonrpc(socket: Socket): void {
  const lines = new LineSplitter({ maxLineBytes: 64 * 1024 })
  socket.on('data', (chunk: Buffer) => {
    let out = ''
    for (const line of lines.push(chunk))
      out += typeof line === 'string' ? jsonRpcReply(line) : rpcError(null, -32600, 'line over 64 KiB')
    if (out !== '') socket.write(out)
  })
  socket.on('end', () => socket.end())
}

function upper(socket: Socket): void {
  const u = new Utf8Upper()
  socket.on('data', (chunk: Buffer) => socket.write(u.push(chunk)))
  socket.on('end', () => socket.end(u.end()))
}

function echo(socket: Socket): void {
  socket.on('data', (chunk: Buffer) => socket.write(chunk))
  socket.on('end', () => socket.end())
}

function cmd(socket: Socket): void {
  const lines = new LineSplitter({ maxLineBytes: 64 * 1024 })
  socket.on('data', (chunk: Buffer) => {
    let out = ''
    for (const line of lines.push(chunk))
      out += typeof line === 'string' ? cmdReply(line) : 'ERR LINE_TOO_LONG line over 64 KiB\n'
    if (out !== '') socket.write(out)
  })
  socket.on('end', () => socket.end())
}

/** NetPorts are the ports to listen on (0: any) or that were bound. */
export type NetPorts = { readonly [K in keyof typeof NET_PORTS]: number }

/**
 * startNetBaseline listens on the four ports (0: any free port; `ports` says which were
 * bound); close() stops them and drops every connection.
 */
export async function startNetBaseline(
  host = '0.0.0.0',
  want: NetPorts = NET_PORTS,
): Promise<{ readonly ports: NetPorts; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const servers: Server[] = []
  const handlers = [
    ['upper', upper],
    ['echo', echo],
    ['cmd', cmd],
    ['jsonrpc', jsonrpc],
  ] as const
  const ports = { ...want }
  for (const [name, handle] of handlers) {
    const server = createServer({ noDelay: true }, (socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => socket.destroy())
      handle(socket)
    })
    server.listen(want[name], host)
    await once(server, 'listening')
    ports[name] = (server.address() as AddressInfo).port
    servers.push(server)
  }
  return {
    ports,
    async close() {
      for (const s of sockets) s.destroy()
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
    },
  }
}
