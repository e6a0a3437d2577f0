/**
 * The TCP baseline: a minimal single-threaded Node `net` server (no worker threads, no
 * connection limits, no idle timers, no counters) answering the same bytes as netlab's TCP
 * service on the same ports, so the same load generator drives both:
 *
 *   9999   upper: each chunk upper-cased (the service's own Utf8Upper)
 *   20000  echo: bytes back unchanged
 *   9998   cmd subset: `UPPER <text>` → `OK <TEXT>`, `ECHO <text>` → `OK <text>`,
 *          `PING` → `OK PONG`, anything else → `ERR UNKNOWN_COMMAND ...`
 */
import { once } from 'node:events'
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import { LineSplitter } from '../../protocols/line-splitter.ts'
import { Utf8Upper } from '../../protocols/utf8-upper.ts'

/** The TCP service's ports the baseline answers on. */
export const NET_PORTS = { upper: 9999, echo: 20000, cmd: 9998 } as const

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
 * startNetBaseline listens on the three ports (0: any free port; `ports` says which were
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
